package org.minipylib.wsgiserver.http;

import java.nio.charset.StandardCharsets;

/**
 * Shared strings for common methods and header names, so that parsing a typical request allocates
 * no string for them. Lookups compare bytes in place.
 */
final class KnownNames {

    private KnownNames() {
    }

    private static final String[] METHODS = {
            "GET", "PUT", "POST", "HEAD", "PATCH", "TRACE", "DELETE", "CONNECT", "OPTIONS"};

    private static final String[] HEADERS = {
            "Host", "Accept", "Accept-Encoding", "Accept-Language", "Accept-Charset", "User-Agent",
            "Connection", "Content-Length", "Content-Type", "Transfer-Encoding", "Expect", "Cookie",
            "Referer", "Origin", "Authorization", "Cache-Control", "Pragma", "If-Modified-Since",
            "If-None-Match", "Upgrade", "Upgrade-Insecure-Requests", "Keep-Alive", "TE", "Range",
            "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Requested-With",
            "X-Real-IP", "Forwarded", "Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest",
            "Sec-Fetch-User", "Priority", "DNT", "Via", "Date", "Content-Encoding"};

    // Indexed by length: candidates of that length.
    private static final String[][] HEADERS_BY_LENGTH = byLength(HEADERS);
    private static final String[][] METHODS_BY_LENGTH = byLength(METHODS);

    /** The shared method string for b[off, off+len) (exact case), or a new string. */
    static String method(byte[] b, int off, int len) {
        if (len < METHODS_BY_LENGTH.length) {
            for (String m : METHODS_BY_LENGTH[len]) {
                if (equalsExact(m, b, off, len)) return m;
            }
        }
        return new String(b, off, len, StandardCharsets.ISO_8859_1);
    }

    /** The canonical header name for b[off, off+len) if it is a common one (any case), or a new string. */
    static String header(byte[] b, int off, int len) {
        if (len < HEADERS_BY_LENGTH.length) {
            for (String h : HEADERS_BY_LENGTH[len]) {
                if (equalsIgnoreCase(h, b, off, len)) return h;
            }
        }
        return new String(b, off, len, StandardCharsets.ISO_8859_1);
    }

    private static boolean equalsExact(String s, byte[] b, int off, int len) {
        for (int i = 0; i < len; i++) {
            if (s.charAt(i) != b[off + i]) return false;
        }
        return true;
    }

    private static boolean equalsIgnoreCase(String s, byte[] b, int off, int len) {
        for (int i = 0; i < len; i++) {
            int c = b[off + i];
            int k = s.charAt(i);
            if (c != k && (c | 0x20) != (k | 0x20)) return false;
            // the OR trick is only valid for letters; reject e.g. '-' vs '\r' mismatches
            if (c != k && (k < 'A' || (k > 'Z' && k < 'a') || k > 'z')) return false;
        }
        return true;
    }

    private static String[][] byLength(String[] names) {
        int max = 0;
        for (String n : names) max = Math.max(max, n.length());
        String[][] table = new String[max + 1][];
        for (int len = 0; len <= max; len++) {
            int count = 0;
            for (String n : names) if (n.length() == len) count++;
            table[len] = new String[count];
            int i = 0;
            for (String n : names) if (n.length() == len) table[len][i++] = n;
        }
        return table;
    }
}
