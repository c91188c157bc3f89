package org.minipylib.wsgiserver.http;

/**
 * The character classes HTTP's grammar is written in, for bytes and ISO-8859-1 characters alike:
 * token characters (RFC 9110 section 5.6.2) and hexadecimal digits (RFC 5234 HEXDIG, as chunk
 * sizes and percent-encodings use them).
 */
public final class HttpChars {

    /** tchar, indexed by byte value. */
    static final boolean[] TCHAR = new boolean[256];

    static {
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) TCHAR[c] = true;
        for (char c = '0'; c <= '9'; c++) TCHAR[c] = true;
        for (char c = 'a'; c <= 'z'; c++) TCHAR[c] = true;
        for (char c = 'A'; c <= 'Z'; c++) TCHAR[c] = true;
    }

    private HttpChars() {
    }

    /** True if {@code c} may appear in a token (RFC 9110 section 5.6.2). */
    public static boolean isTokenChar(int c) {
        return c >= 0 && c < 256 && TCHAR[c];
    }

    /** True if {@code c} is an ASCII hexadecimal digit, in either case. */
    public static boolean isHexDigit(int c) {
        return hexValue(c) >= 0;
    }

    /** The value of the ASCII hexadecimal digit {@code c}, or -1 if it is none. */
    public static int hexValue(int c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
}
