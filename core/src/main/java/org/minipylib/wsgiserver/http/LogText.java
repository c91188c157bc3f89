package org.minipylib.wsgiserver.http;

/**
 * Text that came from a client or an application (a header name, a TLS server name, a PROXY line),
 * made safe to quote in a log message: every character outside printable ASCII escaped, so that a
 * line break cannot start a forged log line nor an escape sequence drive a terminal, and cut to a
 * length. The access log escapes its fields itself ({@link org.minipylib.wsgiserver.AccessLogEntry}).
 */
public final class LogText {

    /** Characters kept of a longer text; "..." marks the cut. */
    static final int MAX_LENGTH = 100;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private LogText() {
    }

    /**
     * {@code text} with each character outside {@code 0x20-0x7e} written {@code \xNN} (or {@code \\uNNNN}
     * above {@code 0xff}) and a backslash doubled, cut after {@value #MAX_LENGTH} characters;
     * {@code "null"} for null.
     */
    public static String printable(String text) {
        if (text == null) return "null";
        int length = Math.min(text.length(), MAX_LENGTH);
        StringBuilder b = null;
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            boolean plain = c >= 0x20 && c < 0x7f && c != '\\';
            if (plain && b == null) continue;
            if (b == null) b = new StringBuilder(length + 16).append(text, 0, i);
            if (plain) {
                b.append(c);
            } else if (c == '\\') {
                b.append("\\\\");
            } else if (c <= 0xff) {
                b.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xf]);
            } else {
                b.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xf]).append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
            }
        }
        String kept = b == null ? text.substring(0, length) : b.toString();
        return text.length() > MAX_LENGTH ? kept + "..." : kept;
    }
}
