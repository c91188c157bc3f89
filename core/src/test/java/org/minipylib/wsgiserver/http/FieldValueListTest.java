package org.minipylib.wsgiserver.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * A list field value (RFC 9110 section 5.6.1) is matched member by member: whitespace around a
 * member and empty members do not count, case does not matter, and a member is never matched by a
 * part of it.
 */
class FieldValueListTest {

    @Test
    void aMemberIsFoundWhateverItsPlaceCaseAndSurroundingWhitespace() {
        assertTrue(FieldValueList.contains("close", "close"));
        assertTrue(FieldValueList.contains("keep-alive, Close", "close"));
        assertTrue(FieldValueList.contains(" \tCLOSE\t ,upgrade", "close"));
        assertTrue(FieldValueList.contains(",,close,", "close"));
    }

    @Test
    void aPartOfAMemberOrWhitespaceInsideItIsNoMatch() {
        assertFalse(FieldValueList.contains("closed", "close"));
        assertFalse(FieldValueList.contains("xclose", "close"));
        assertFalse(FieldValueList.contains("clo se", "close"));
        assertFalse(FieldValueList.contains("", "close"));
        assertFalse(FieldValueList.contains("keep-alive;close", "close"));
    }

    @Test
    void anEmptyMemberIsThereOnlyWhereTheListHasOne() {
        assertTrue(FieldValueList.contains("a, ,b", ""));
        assertTrue(FieldValueList.contains("", ""));
        assertFalse(FieldValueList.contains("a,b", ""));
    }
}
