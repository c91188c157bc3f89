package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.minipylib.wsgiserver.http.ParsedHeads.assertRejected;
import static org.minipylib.wsgiserver.http.ParsedHeads.parse;
import static org.minipylib.wsgiserver.http.ParsedHeads.prepend;
import static org.minipylib.wsgiserver.http.ParsedHeads.request;

/** {@link RequestParser} against {@link HttpLimits}: request line (414, 501), field count and header section size (431). */
class RequestHeadLimitsTest {

    private final HttpLimits tight = HttpLimits.defaults()
            .withMaxRequestLineLength(32).withMaxHeaderCount(3).withMaxHeaderSectionSize(64);

    @Test
    void requestLineOfExactlyTheLimitIsAccepted() throws Exception {
        String line = "GET /" + "a".repeat(32 - 14) + " HTTP/1.1";
        assertEquals(32, line.length());
        assertEquals(1, parse(tight, line + "\r\nHost: a\r\n\r\n").minorVersion());
    }

    @Test
    void requestLineOverTheLimitIs414() {
        String line = "GET /" + "a".repeat(33 - 14) + " HTTP/1.1";
        assertRejected(414, tight, line + "\r\nHost: a\r\n\r\n");
    }

    @Test
    void methodOverTheLineLimitIs501() { // RFC 9112 section 3: longer than any method implemented
        assertRejected(501, tight, "M".repeat(33) + " / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertRejected(414, tight, "M".repeat(32) + " / HTTP/1.1\r\nHost: a\r\n\r\n"); // the 33rd byte is the space
    }

    @Test
    void longTargetWithDefaultLimitsIs414() {
        assertRejected(414, request("GET", "/" + "x".repeat(8 * 1024), "HTTP/1.1", "Host: a"));
    }

    @Test
    void maxHeaderCountFieldsAreAccepted() throws Exception {
        assertEquals(3, parse(tight, request("GET", "/", "HTTP/1.1", "Host: a", "A: 1", "B: 2")).headers().size());
    }

    @Test
    void tooManyHeaderFieldsIs431() {
        assertRejected(431, tight, request("GET", "/", "HTTP/1.1", "Host: a", "A: 1", "B: 2", "C: 3"));
    }

    @Test
    void headerSectionLargerThanTheLimitIs431() {
        assertRejected(431, tight, request("GET", "/", "HTTP/1.1", "Host: a", "X: " + "v".repeat(64)));
    }

    @Test
    void headerSectionOfExactlyTheLimitIsAccepted() throws Exception {
        // the section is its field lines with their CRLFs: 9 + 55 = 64 bytes; the empty line ends it
        String head = request("GET", "/", "HTTP/1.1", "Host: a", "X: " + "v".repeat(50));
        assertEquals(64, head.length() - "GET / HTTP/1.1\r\n".length() - 2);
        assertEquals("v".repeat(50), parse(tight, head).headers().get("X"));
        assertRejected(431, tight, request("GET", "/", "HTTP/1.1", "Host: a", "X: " + "v".repeat(51)));
    }

    @Test
    void headerSectionWithinTheLimitIsAccepted() throws Exception {
        assertEquals("v".repeat(40), parse(tight, request("GET", "/", "HTTP/1.1", "Host: a", "X: " + "v".repeat(40)))
                .headers().get("X"));
    }

    @Test
    void defaultHeaderCountLimitIs431AtOneHundredAndOne() throws Exception {
        String[] lines = new String[100];
        lines[0] = "Host: a";
        for (int i = 1; i < lines.length; i++) lines[i] = "X-" + i + ": " + i;
        assertEquals(100, parse(request("GET", "/", "HTTP/1.1", lines)).headers().size());
        assertRejected(431, request("GET", "/", "HTTP/1.1", prepend("X-0: 0", lines)));
    }
}
