package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A head's end is found however it arrives, and a head that outgrows its limits is refused as soon
 * as enough of it has come, before its end: on byte arrays, as the connection's buffer holds them.
 */
class RequestHeadScannerTest {

    private static final HttpLimits LIMITS = HttpLimits.defaults().withMaxRequestLineLength(32).withMaxHeaderSectionSize(64);

    @Test
    void aHeadArrivingByteByByteEndsAfterItsEmptyLineAndTheNextOneStartsAfresh() throws Exception {
        byte[] b = bytes("xxGET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\n\r\n");
        int start = 2; // where the buffer's unread part begins
        int headLength = "GET / HTTP/1.1\r\nHost: a\r\n\r\n".length();
        RequestHeadScanner scanner = new RequestHeadScanner(LIMITS);
        assertTrue(scanner.atStart());
        for (int available = 1; available < headLength; available++) {
            assertEquals(-1, scanner.findEnd(b, start, available), "not all there with " + available + " bytes");
            assertFalse(scanner.atStart());
        }
        assertEquals(start + headLength, scanner.findEnd(b, start, headLength));
        assertTrue(scanner.atStart(), "the next head is scanned from its own start");
        int next = start + headLength;
        assertEquals(b.length, scanner.findEnd(b, next, b.length - next));
    }

    @Test
    void anOverlongRequestLineIsA414BeforeItsEnd() throws Exception {
        byte[] b = bytes("GET /" + "a".repeat(40));
        RequestHeadScanner scanner = new RequestHeadScanner(LIMITS);
        assertEquals(-1, scanner.findEnd(b, 0, 32), "exactly the limit, not ended: it may still end");
        BadRequestException e = assertThrows(BadRequestException.class, () -> scanner.findEnd(b, 0, 33));
        assertEquals(414, e.status());
        assertEquals(-1, new RequestHeadScanner(LIMITS).findEnd(bytes("GET /" + "a".repeat(27) + "\r"), 0, 33),
                "a line of the limit whose CR has come: the CR is not part of the line");
    }

    @Test
    void anOversizedHeaderSectionIsA431BeforeItsEnd() throws Exception {
        String line = "GET / HTTP/1.1\r\n";
        byte[] b = bytes(line + "X: " + "v".repeat(100));
        RequestHeadScanner scanner = new RequestHeadScanner(LIMITS);
        assertEquals(-1, scanner.findEnd(b, 0, line.length() + 64 + 1), "the limit and a CR: it may still end with its LF");
        BadRequestException e = assertThrows(BadRequestException.class, () -> scanner.findEnd(b, 0, line.length() + 64 + 2));
        assertEquals(431, e.status());
    }

    @Test
    void aTlsClientHelloOnThePlainPortIsA400AtOnce() {
        byte[] clientHello = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03, 0x0a};
        BadRequestException e = assertThrows(BadRequestException.class,
                () -> new RequestHeadScanner(LIMITS).findEnd(clientHello, 0, clientHello.length));
        assertEquals(400, e.status());
    }

    @Test
    void aCompleteRequestLineWithoutAVersionIsA400AtOnce() throws Exception {
        for (String line : new String[] {"GET /\r\n", "GET /plaintext\n", "POST /x?a=b\r\n", "GET\r\n"}) {
            byte[] b = bytes(line);
            RequestHeadScanner scanner = new RequestHeadScanner(LIMITS);
            assertEquals(-1, scanner.findEnd(b, 0, line.indexOf('\n')), "not complete yet: " + line.strip());
            BadRequestException e = assertThrows(BadRequestException.class, () -> scanner.findEnd(b, 0, b.length), line.strip());
            assertEquals(400, e.status());
            assertEquals(ComplianceViolation.INVALID_REQUEST_LINE, e.violation());
        }
    }

    @Test
    void aBareLfLineWithoutAVersionOneByteOverTheLimitIsLeftForTheParsersA414() throws Exception {
        String line = "GET /" + "a".repeat(28) + "\n"; // 33 bytes before its LF: one over LIMITS' 32
        byte[] b = bytes(line);
        RequestHeadScanner scanner = new RequestHeadScanner(LIMITS);
        assertEquals(-1, scanner.findEnd(b, 0, b.length), "no 400 for a missing version: the line is too long");
        BadRequestException e = assertThrows(BadRequestException.class,
                () -> new RequestParser(LIMITS.withCompliance(HttpCompliance.strict().relaxing(ComplianceViolation.BARE_LF_LINE_ENDINGS)))
                        .parse(bytes(line + "\n"), 0, b.length + 1));
        assertEquals(414, e.status(), "as the whole head gets it");
    }

    @Test
    void aFirstLineEndingInABareLfIsA400AtOnceUnlessRelaxed() throws Exception {
        HttpLimits relaxed = LIMITS.withCompliance(HttpCompliance.strict().relaxing(ComplianceViolation.BARE_LF_LINE_ENDINGS));
        for (String start : new String[] {"\nJ\u00f7", "\n\u00f7 noise", "GET / HTTP/1.1\n", "GET / HTTP/1.1\nHost: a\n"}) {
            byte[] b = start.getBytes(StandardCharsets.ISO_8859_1);
            BadRequestException e = assertThrows(BadRequestException.class, () -> new RequestHeadScanner(LIMITS).findEnd(b, 0, b.length),
                    "a client's bytes after a bare LF would wait for the head timeout: " + start.strip());
            assertEquals(400, e.status());
            assertEquals(ComplianceViolation.BARE_LF_LINE_ENDINGS, e.violation());
        }
        String line = "GET / HTTP/1.1\n";
        assertEquals(-1, new RequestHeadScanner(relaxed).findEnd(bytes(line), 0, line.length()), "relaxed: the head goes on");
    }

    @Test
    void aCompleteRequestLineWithAVersionWaitsForTheRestOfItsHead() throws Exception {
        for (String line : new String[] {"GET / HTTP/1.1\r\n", "GET / HTTP/9.9\r\n", "GET  / HTTP/1.1\r\n", "GET /a\tb HTTP/1.1\r\n", "\r\n"}) {
            assertEquals(-1, new RequestHeadScanner(LIMITS).findEnd(bytes(line), 0, line.length()),
                    "parse() judges it once the head is complete: " + line.strip());
        }
    }

    @Test
    void aValidHeadSplitAnywhereIsNeitherRefusedNorEndedEarly() throws Exception {
        String[] heads = {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", "OPTIONS * HTTP/1.0\r\n\r\n",
                "GET http://a/b?c=d HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n", "POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n"};
        for (String head : heads) {
            byte[] b = bytes(head);
            for (int cut = 1; cut < b.length; cut++) {
                RequestHeadScanner scanner = new RequestHeadScanner(LIMITS);
                assertEquals(-1, scanner.findEnd(b, 0, cut), head.strip() + ", first " + cut + " bytes");
                assertEquals(b.length, scanner.findEnd(b, 0, b.length), head.strip() + ", the rest after " + cut);
            }
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
