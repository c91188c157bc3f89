package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link PercentDecoder#decodePath}: PEP 3333 PATH_INFO decoding, byte for byte to ISO-8859-1. */
class PercentDecoderTest {

    @Test
    void pathWithoutPercentIsReturnedAsIs() throws Exception {
        String raw = "/plain/path+with;params";
        assertSame(raw, PercentDecoder.decodePath(raw));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "/a%20b       | /a b",
            "%41%42%43    | ABC",
            "/%7e%7E      | /~~",
            "/x%3Fy%23z   | /x?y#z",
            "/100%25      | /100%",
            "/%2541       | /%41",
            "/a+b         | /a+b",
            "/%c3%A9      | /\u00c3\u00a9",
            "/%FF%80      | /\u00ff\u0080",
            "/end%21      | /end!"})
    void decodesEachEscapeToOneLatin1Character(String raw, String decoded) throws Exception {
        assertEquals(decoded, PercentDecoder.decodePath(raw));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/a%2Fb", "/a%2fb", "%2F", "/a%2F%2F/b"})
    void encodedSlashStaysAsSent(String raw) throws Exception {
        assertEquals(raw, PercentDecoder.decodePath(raw));
    }

    /** An encoded percent sign that would make an encoded slash stays encoded: the two paths must differ. */
    @ParameterizedTest
    @CsvSource({"/a%252Fb, /a%252Fb", "/a%252fb, /a%252fb", "/a%25%32%46b, /a%252Fb", "/a%25%32fb, /a%252fb",
            "/a%252Gb, /a%2Gb", "/a%25, /a%", "/a%252, /a%2", "/50%25off, /50%off"})
    void encodedPercentBeforeA2FStaysEncoded(String raw, String decoded) throws Exception {
        assertEquals(decoded, PercentDecoder.decodePath(raw));
    }

    /** RFC 3986 section 5.2.4, with %2E as a dot (section 6.2.2.2); an encoded slash separates nothing. */
    @ParameterizedTest
    @CsvSource({"/a/./b, /a/b", "/a/x/../b, /a/b", "/a/.., /", "/a/b/.., /a/", "/a/., /a/", "/., /", "/./a, /a",
            "/a//../b, /a/b", "/a/%2e%2E/b, /b", "/a/.%2e/b, /b", "/a/%2E/b, /a/b", "/.well-known/x, /.well-known/x",
            "/a/.../b, /a/.../b", "/a/..b/c, /a/..b/c", "/a/..%2Fb, /a/..%2Fb", "/app/../admin, /admin", "/a.b/c, /a.b/c"})
    void dotSegmentsAreResolved(String raw, String decoded) throws Exception {
        assertEquals(decoded, PercentDecoder.decodePath(raw));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/..", "/../a", "/a/../..", "/a/../../b", "/%2e%2e/a", "/./../a"})
    void aDotDotAboveTheRootIs400(String raw) {
        BadRequestException e = assertThrows(BadRequestException.class, () -> PercentDecoder.decodePath(raw));
        assertEquals(400, e.status());
        assertEquals(ComplianceViolation.DOT_SEGMENT_ABOVE_ROOT, e.violation());
    }

    @Test
    void aPathWithoutDotSegmentsIsReturnedAsIs() throws Exception {
        String raw = "/static/app.min.js";
        assertSame(raw, PercentDecoder.decodePath(raw));
    }

    @Test
    void encodedSlashAndEncodedPercentSlashDecodeDifferently() throws Exception {
        assertNotEquals(PercentDecoder.decodePath("/a%2Fb"), PercentDecoder.decodePath("/a%252Fb"));
    }

    @Test
    void encodedSlashNextToOtherEscapes() throws Exception {
        assertEquals("/a b%2fc d", PercentDecoder.decodePath("/a%20b%2fc%20d"));
    }

    @Test
    void rawLatin1CharactersPassThrough() throws Exception {
        assertEquals("/caf\u00e9 x", PercentDecoder.decodePath("/caf\u00e9%20x"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"%", "/a%", "/a%4", "/a%zz", "/a%4g", "/a%g4", "/a%%41", "/a% 41", "/a%-1", "/ok%20then%2"})
    void malformedEscapesAre400(String raw) {
        BadRequestException e = assertThrows(BadRequestException.class, () -> PercentDecoder.decodePath(raw));
        assertEquals(400, e.status());
    }
}
