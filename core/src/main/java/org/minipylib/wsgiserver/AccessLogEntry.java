package org.minipylib.wsgiserver;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * What the access log records of one request.
 *
 * @param remoteAddress  the client's address (host only): the connection's peer, or the client a trusted proxy
 *                       forwarded the request for (what middleware put in REMOTE_ADDR in place of the server's
 *                       value); {@code null} or empty when it has none (a client on a UNIX socket), or a UNIX
 *                       peer's identity ({@code unix-peer:USER:GROUP}) with peer credentials
 * @param time           when the request arrived
 * @param requestLine    e.g. {@code GET /index.html HTTP/1.1}; for a request the server refused before
 *                       parsing it (400, 408, 414, 431...), as much of its first line as arrived (any
 *                       bytes, ISO-8859-1), or {@code null} if none did
 * @param status         the status answered
 * @param bodyBytes      response body bytes that went out (to the operating system): all of them, or for a
 *                       response cut off (the client reset the connection, a write timed out) those before the cut
 * @param referer        the Referer header, or {@code null}
 * @param userAgent      the User-Agent header, or {@code null}
 * @param durationNanos  from the complete request head (a wait for a worker included) to the end of the response;
 *                       for the server's own refusal of a parsed head the same; 0 for one refused before its
 *                       head was complete
 * @param host           the Host header as sent, or {@code null}
 */
public record AccessLogEntry(String remoteAddress, Instant time, String requestLine, int status, long bodyBytes,
                             String referer, String userAgent, long durationNanos, String host) {

    /** An entry without a Host header. */
    public AccessLogEntry(String remoteAddress, Instant time, String requestLine, int status, long bodyBytes,
                          String referer, String userAgent, long durationNanos) {
        this(remoteAddress, time, requestLine, status, bodyBytes, referer, userAgent, durationNanos, null);
    }

    private static final LogTimeText CLF_TIME = new LogTimeText(
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneId.systemDefault()));
    /** JSON's time to the second; the milliseconds follow. */
    private static final LogTimeText JSON_TIME = new LogTimeText(
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC));
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** The entry in Apache's combined log format. */
    public String combinedFormat() {
        return commonFormat() + " \"" + escape(referer) + "\" \"" + escape(userAgent) + '"';
    }

    /**
     * The entry as one JSON object, its fields named after nginx's variables: {@code time} (ISO 8601,
     * UTC, milliseconds), {@code remote_addr}, {@code request}, {@code status}, {@code body_bytes_sent},
     * {@code http_referer}, {@code http_user_agent}, {@code http_host} and {@code request_time}
     * (seconds, milliseconds resolution, from the complete request head to the end of the response; 0 for a refusal before the head was complete, and for a
     * negative {@code durationNanos}). An absent value is {@code null}. Only ASCII is written: any
     * other character, and every control character, is a JSON unicode escape (backslash, {@code u},
     * four hex digits), so a line is valid JSON whatever a client sent. A request's bytes above ASCII
     * (characters 0x80-0xFF here) are read as UTF-8 where they form UTF-8 ({@code c3 a9} is
     * {@code 00e9}, é) and as ISO-8859-1 where they do not (a lone byte 0xE9 is {@code 00e9} too).
     */
    public String jsonFormat() {
        StringBuilder sb = new StringBuilder(176 + length(requestLine) + length(referer) + length(userAgent) + length(host));
        int timeMillis = time.getNano() / 1_000_000;
        sb.append("{\"time\":\"").append(JSON_TIME.format(time)).append('.');
        if (timeMillis < 100) sb.append('0');
        if (timeMillis < 10) sb.append('0');
        sb.append(timeMillis).append('Z');
        sb.append("\",\"remote_addr\":");
        jsonString(sb, remoteAddress == null || remoteAddress.isEmpty() ? null : remoteAddress);
        sb.append(",\"request\":");
        jsonString(sb, requestLine);
        sb.append(",\"status\":").append(status);
        sb.append(",\"body_bytes_sent\":").append(bodyBytes);
        sb.append(",\"http_referer\":");
        jsonString(sb, referer);
        sb.append(",\"http_user_agent\":");
        jsonString(sb, userAgent);
        sb.append(",\"http_host\":");
        jsonString(sb, host);
        long millis = Math.max(0, durationNanos) / 1_000_000; // a negative one (only a hand-built entry's) would be "0.00-1"
        sb.append(",\"request_time\":").append(millis / 1000).append('.');
        long fraction = millis % 1000;
        if (fraction < 100) sb.append('0');
        if (fraction < 10) sb.append('0');
        return sb.append(fraction).append('}').toString();
    }

    private static int length(String s) {
        return s == null ? 0 : s.length();
    }

    private static void jsonString(StringBuilder sb, String s) {
        if (s == null) {
            sb.append("null");
            return;
        }
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c >= 0x20 && c < 0x7f) {
                sb.append(c);
            } else if (c >= 0x80 && c <= 0xff) {
                i = appendRequestBytes(sb, s, i) - 1;
            } else {
                appendUnicodeEscape(sb, c);
            }
        }
        sb.append('"');
    }

    /**
     * The run of a request's bytes above ASCII that starts at {@code start} (characters 0x80-0xFF, one per
     * byte): each UTF-8 sequence in it as the character it encodes, any other byte as the ISO-8859-1
     * character it is; returns where the run ends. Clients that send text beyond ASCII send UTF-8, and
     * its bytes taken one by one would be mojibake ({@code Ã©} for {@code é}) in every log collector.
     */
    private static int appendRequestBytes(StringBuilder sb, String s, int start) {
        int end = start;
        while (end < s.length() && s.charAt(end) >= 0x80 && s.charAt(end) <= 0xff) end++;
        ByteBuffer in = ByteBuffer.wrap(s.substring(start, end).getBytes(StandardCharsets.ISO_8859_1));
        CharBuffer out = CharBuffer.allocate(end - start);
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder(); // reports malformed input
        while (true) {
            CoderResult result = utf8.decode(in, out, true);
            out.flip();
            while (out.hasRemaining()) appendUnicodeEscape(sb, out.get());
            out.clear();
            if (!result.isError()) break; // underflow: the run is decoded (output cannot overflow: a byte makes at most a char)
            for (int k = 0; k < result.length(); k++) appendUnicodeEscape(sb, (char) (in.get() & 0xff));
        }
        return end;
    }

    private static void appendUnicodeEscape(StringBuilder sb, char c) {
        sb.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xf]).append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
    }

    /** The entry in the NCSA common log format. */
    public String commonFormat() {
        return hostField(remoteAddress) + " - - [" + CLF_TIME.format(time) + "] \""
                + escape(requestLine) + "\" " + status + ' ' + (bodyBytes == 0 ? "-" : Long.toString(bodyBytes));
    }

    /**
     * The host field: {@code -} when there is no address, and never a space (nor a control character),
     * which would shift every field after it for log parsers.
     */
    private static String hostField(String address) {
        if (address == null || address.isEmpty()) return "-";
        String escaped = escape(address);
        return escaped.indexOf(' ') < 0 ? escaped : escaped.replace(" ", "\\x20");
    }

    /**
     * A field's text for a quoted field of the combined and common formats, as nginx writes it: a
     * quote, a backslash, a control character and any byte above 0x7E as {@code \xHH} (Apache
     * writes {@code \"} and {@code \\}, which the {@code "[^"]*"} patterns of common log shippers
     * cut short: a client could put its own line out of their reach with a quote in its User-Agent).
     * No quote is left in a field, so none can end it early.
     */
    private static String escape(String s) {
        if (s == null) return "-";
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
            if (plain) {
                if (sb != null) sb.append(c);
                continue;
            }
            if (sb == null) sb = new StringBuilder(s.length() + 16).append(s, 0, i);
            if (c <= 0xff) { // a byte of the request (ISO-8859-1), or a quote or backslash
                appendHexByte(sb, c);
            } else { // a character above U+00FF (an application's or a user name's): its UTF-8 bytes
                int end = Character.isHighSurrogate(c) && i + 1 < s.length() ? i + 2 : i + 1;
                for (byte b : s.substring(i, end).getBytes(StandardCharsets.UTF_8)) appendHexByte(sb, b & 0xff);
                i = end - 1;
            }
        }
        return sb == null ? s : sb.toString();
    }

    private static void appendHexByte(StringBuilder sb, int b) {
        sb.append("\\x").append(Character.forDigit(b >> 4, 16)).append(Character.forDigit(b & 0xf, 16));
    }
}
