package org.minipylib.wsgiserver.http;

/**
 * A field value that is a comma-separated list (RFC 9110 section 5.6.1), such as {@code Connection}
 * or {@code Expect}, scanned member by member in place: no string per member. A member is compared
 * without the optional whitespace around it, case-insensitively (the lists read here hold tokens);
 * empty members are allowed, as the RFC asks a recipient to.
 */
final class FieldValueList {

    private FieldValueList() {
    }

    /** The end of the member that starts at {@code from}: the next comma, or the value's end. */
    static int memberEnd(String value, int from) {
        int comma = value.indexOf(',', from);
        return comma < 0 ? value.length() : comma;
    }

    /** Whether {@code value[from, to)}, without the optional whitespace around it, is {@code token} (case-insensitive). */
    static boolean memberIs(String value, int from, int to, String token) {
        while (from < to && isOws(value.charAt(from))) from++;
        while (to > from && isOws(value.charAt(to - 1))) to--;
        return to - from == token.length() && value.regionMatches(true, from, token, 0, token.length());
    }

    /** Whether one of the members of {@code value} is {@code token}. */
    static boolean contains(String value, String token) {
        for (int from = 0; from <= value.length(); ) {
            int to = memberEnd(value, from);
            if (memberIs(value, from, to, token)) return true;
            from = to + 1;
        }
        return false;
    }

    private static boolean isOws(char c) {
        return c == ' ' || c == '\t';
    }
}
