package org.minipylib.wsgiserver.http;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** For the {@link RequestParser} tests: heads written as text, parsed from their bytes, and refusals checked. */
final class ParsedHeads {

    private static final String CRLF = "\r\n";

    private ParsedHeads() {
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Finds the head end in {@code text} (which must hold one complete head) and parses it. */
    static RequestHead parse(HttpLimits limits, String text) throws BadRequestException {
        byte[] b = bytes(text);
        int end = RequestParser.findHeadEnd(b, 0, 0, b.length);
        assertTrue(end > 0, "findHeadEnd did not find the end of the head");
        return new RequestParser(limits).parse(b, 0, end);
    }

    static HttpLimits relaxed(ComplianceViolation... violations) {
        return HttpLimits.defaults().withCompliance(HttpCompliance.strict().relaxing(violations));
    }

    static RequestHead parse(String text) throws BadRequestException {
        return parse(HttpLimits.defaults(), text);
    }

    /** A GET for {@code target} with Host: example.com and the given extra field lines. */
    static RequestHead get(String target, String... fieldLines) throws BadRequestException {
        return parse(request("GET", target, "HTTP/1.1", prepend("Host: example.com", fieldLines)));
    }

    static String[] prepend(String first, String... rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    static String request(String method, String target, String version, String... fieldLines) {
        StringBuilder sb = new StringBuilder(method).append(' ').append(target).append(' ').append(version).append(CRLF);
        for (String line : fieldLines) sb.append(line).append(CRLF);
        return sb.append(CRLF).toString();
    }

    static void assertRejected(int status, HttpLimits limits, String text) {
        BadRequestException e = assertThrows(BadRequestException.class, () -> parse(limits, text));
        assertEquals(status, e.status(), () -> "status for " + text.replace("\r", "\\r").replace("\n", "\\n")
                + " (message: " + e.getMessage() + ")");
        assertFalse(e.getMessage() == null || e.getMessage().isBlank(), "an error must say what was wrong");
    }

    static void assertRejected(int status, String text) {
        assertRejected(status, HttpLimits.defaults(), text);
    }
}
