package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The token characters are exactly RFC 9110's tchar, and hex digits have their values in either case. */
class HttpCharsTest {

    @Test
    void tokenCharactersAreRfc9110sTchar() {
        String tchar = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        for (int c = -1; c <= 0x10ffff; c = c < 512 ? c + 1 : c * 2) {
            assertEquals(c >= 0 && tchar.indexOf(c) >= 0, HttpChars.isTokenChar(c), "char " + c);
        }
    }

    @Test
    void hexDigitsHaveTheirValuesAndNothingElseHasOne() {
        String digits = "0123456789abcdef";
        for (int c = -128; c < 512; c++) {
            int expected = c >= 0 ? digits.indexOf(Character.toLowerCase(c)) : -1;
            if (c > 127) expected = -1; // no other script's digits or letters
            assertEquals(expected, HttpChars.hexValue(c), "char " + c);
            assertEquals(expected >= 0, HttpChars.isHexDigit(c), "char " + c);
        }
    }
}
