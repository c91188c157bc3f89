package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.TimeoutWindow;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * The responses the server writes itself, over real sockets: each has the right status, a short
 * text/plain body and {@code Connection: close}, the connection is then closed, and nothing else
 * (an idle keep-alive connection, a new connection) is disturbed.
 */
class ErrorResponsesTest {

    /** Echoes method, path and body length; {@code /boom} throws before starting the response. */
    private static final WsgiApp APP = (environ, startResponse) -> {
        if (environ.pathInfo().equals("/boom")) throw new IllegalStateException("boom (thrown by the test app)");
        byte[] body = environ.input().readAllBytes();
        startResponse.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
        return List.of(("ok " + environ.method() + " " + environ.pathInfo() + " " + body.length)
                .getBytes(StandardCharsets.ISO_8859_1));
    };

    private static final int MAX_LINE = 256;
    private static final HttpLimits LIMITS = HttpLimits.defaults()
            .withMaxRequestLineLength(MAX_LINE).withMaxHeaderSectionSize(1024).withMaxHeaderCount(20).withMaxBodySize(100);
    /**
     * Short head and body timeouts for the 408 cases (the same, so a 408 is due this long after the
     * request's first bytes, whichever of the two it is); everything else as default.
     */
    private static final Duration SHORT_TIMEOUT = Duration.ofMillis(750);
    private static final HttpTimeouts TIMEOUTS = HttpTimeouts.defaults()
            .withRequestHead(SHORT_TIMEOUT).withBodyRead(SHORT_TIMEOUT);

    private static TestServer startServer() throws IOException {
        return TestServer.start(APP, b -> b.limits(LIMITS).timeouts(TIMEOUTS));
    }

    private static String headers(int count) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) sb.append("X-H").append(i).append(": ").append(i).append("\r\n");
        return sb.toString();
    }

    private static String chunk(int size) {
        return Integer.toHexString(size) + "\r\n" + "c".repeat(size) + "\r\n";
    }

    static Stream<Arguments> serverErrors() {
        return Stream.of(
                arguments(400, "malformed request line", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "malformed header", "GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n"),
                arguments(400, "bare LF line ends", "GET / HTTP/1.1\nHost: a\n\n"),
                arguments(400, "missing Host", "GET / HTTP/1.1\r\n\r\n"),
                arguments(400, "Transfer-Encoding with Content-Length",
                        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n"),
                arguments(400, "malformed chunked body read by the app",
                        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
                arguments(408, "partial head", "GET / HTTP/1.1\r\nHost: a\r\n"),
                arguments(408, "partial request line", "GET /slow"),
                // unfinished, but never a request: refused at once, not held until the head timeout
                arguments(400, "TLS handshake on the plain port", "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u00fc\u0003\u0003"),
                // a real ClientHello holds LFs (the supported_groups extension is type 0x000a): its line is "complete"
                arguments(400, "TLS handshake holding an LF on the plain port",
                        "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u00fc\u0003\u0003\u0000\n\u0000\u0017"),
                arguments(400, "control byte in the method of a complete line", "G\u0001T / HTTP/1.1\r\nHost: a\r\n"),
                arguments(400, "NUL in an unfinished method", "GE\u0000T /slow"),
                arguments(400, "binary noise", "\u0000\u00ff\u0010"),
                arguments(408, "body that stops arriving", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhalf"),
                arguments(413, "declared Content-Length over the limit",
                        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n"),
                arguments(413, "declared Content-Length over the limit with 100-continue",
                        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n"),
                arguments(413, "chunked body over the limit read by the app",
                        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                                + chunk(50) + chunk(50) + chunk(50) + "0\r\n\r\n"),
                arguments(414, "request line over the limit",
                        "GET /" + "x".repeat(MAX_LINE) + " HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(414, "unfinished request line over the limit", "GET /" + "x".repeat(2 * MAX_LINE)),
                arguments(501, "method over the line limit", "X".repeat(MAX_LINE + 1) + " / HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(501, "unfinished method over the line limit", "X".repeat(2 * MAX_LINE)),
                arguments(431, "too many header fields", "GET / HTTP/1.1\r\nHost: a\r\n" + headers(20) + "\r\n"),
                arguments(431, "header section over the limit",
                        "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "v".repeat(1100) + "\r\n\r\n"),
                arguments(431, "unfinished header section over the limit",
                        "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "v".repeat(3000)),
                // over the section's limit but not yet the head buffer's (line limit + section limit)
                arguments(431, "unfinished header section just over the limit",
                        "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "v".repeat(1020)),
                // a section within the limit has ended by limit + 2 bytes (its empty line's CRLF included)
                arguments(431, "unfinished header section of the limit + 2 bytes",
                        "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "v".repeat(1026 - 16)),
                arguments(417, "unsupported expectation", "GET / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n"),
                arguments(501, "unknown transfer coding",
                        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
                arguments(501, "CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
                arguments(505, "HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n"));
    }

    @ParameterizedTest(name = "{0} for {1}")
    @MethodSource("serverErrors")
    void answersClosesAndDisturbsNothingElse(int status, String description, String request) throws Exception {
        try (TestServer server = startServer();
             RawClient bystander = server.connect()) {
            assertServed(bystander, "/before");

            try (RawClient client = server.connect()) {
                long sent = System.nanoTime(); // before: the head and body clocks start after it
                client.send(request);
                assertAnsweredAndClosed(status, client, sent);
            }

            assertServed(bystander, "/after"); // an idle keep-alive connection still works
            try (RawClient fresh = server.connect()) {
                assertServed(fresh, "/fresh"); // and so does a new one
            }
        }
    }

    static Stream<Arguments> headRequestErrors() {
        return Stream.of(
                arguments(400, "missing Host", "HEAD / HTTP/1.1\r\n\r\n"),
                arguments(400, "malformed header", "HEAD / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n"),
                arguments(408, "partial head", "HEAD / HTTP/1.1\r\nHost: a\r\n"),
                arguments(413, "declared Content-Length over the limit", "HEAD / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n"),
                arguments(417, "unsupported expectation", "HEAD / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n"),
                arguments(431, "unfinished header section over the limit", "HEAD / HTTP/1.1\r\nHost: a\r\nX-Big: " + "v".repeat(1020)));
    }

    /** RFC 9110 section 9.3.2: a response to HEAD has no content, the server's own error responses included. */
    @ParameterizedTest(name = "{0} for {1}")
    @MethodSource("headRequestErrors")
    void errorResponsesToHeadCarryNoBody(int status, String description, String request) throws Exception {
        try (TestServer server = startServer(); RawClient client = server.connect()) {
            long sent = System.nanoTime();
            client.send(request);
            RawClient.Response r = client.read(true);
            long answered = System.nanoTime();
            assertEquals(status, r.status(), r.reason());
            if (status == 408) TimeoutWindow.assertFiredInWindow(SHORT_TIMEOUT, sent, answered, "the 408 came");
            assertEquals("close", r.header("Connection"));
            assertTrue(Integer.parseInt(r.header("Content-Length")) > 0, "the length a GET's error body would have");
            // isClosedByServer reads one byte: it is false if the body was sent after all
            assertTrue(client.isClosedByServer(), "nothing may follow the head of a response to HEAD");
        }
    }

    @Test
    void headerSectionOfExactlyTheLimitIsServedWhenItsEndArrivesSplit() throws Exception {
        String section = "Host: a\r\nX-Pad: " + "p".repeat(1024 - 9 - 7 - 2) + "\r\n";
        assertEquals(1024, section.length());
        try (TestServer server = startServer(); RawClient client = server.connect()) {
            String allButTheLastLf = "GET /full HTTP/1.1\r\n" + section + "\r";
            client.send(allButTheLastLf);
            awaitRead(server, allButTheLastLf.length()); // the server has all of the head but the last LF
            client.send("\n");
            RawClient.Response r = client.read();
            assertEquals(200, r.status(), r.bodyText());
            assertEquals("ok GET /full 0", r.bodyText());
        }
    }

    @Test
    void bodyCutShortByTheClientIs400() throws Exception {
        try (TestServer server = startServer(); RawClient client = server.connect()) {
            client.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhalf");
            client.socket().shutdownOutput(); // end of stream before the declared length
            assertAnsweredAndClosed(400, client);
        }
    }

    @Test
    void applicationErrorBeforeTheResponseIs500AndTheConnectionStaysUsable() throws Exception {
        try (TestServer server = startServer(); RawClient client = server.connect()) {
            client.send("GET /boom HTTP/1.1\r\nHost: a\r\n\r\n");
            RawClient.Response r = client.read();
            assertErrorResponse(500, r);
            assertFalse(r.bodyText().contains("boom"), "the exception must not leak to the client: " + r.bodyText());
            // The request was fully read, so the framing is intact: keep-alive may go on.
            assertServed(client, "/next");
        }
    }

    @Test
    void applicationErrorIs500AndClosesWhenTheClientAskedToClose() throws Exception {
        try (TestServer server = startServer(); RawClient client = server.connect()) {
            client.send("GET /boom HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            assertAnsweredAndClosed(500, client);
        }
    }

    @Test
    void idleConnectionIsClosedAfterTheKeepAliveTimeoutWithoutAResponse() throws Exception {
        HttpTimeouts timeouts = HttpTimeouts.defaults().withKeepAlive(Duration.ofMillis(500));
        try (TestServer server = TestServer.start(APP, b -> b.limits(LIMITS).timeouts(timeouts));
             RawClient silent = server.connect();
             RawClient afterOne = server.connect()) {
            assertServed(afterOne, "/one");
            // isClosedByServer reads one byte: true only on end of stream, so no response was sent
            assertTrue(silent.isClosedByServer(), "a connection that sends nothing must be closed");
            assertTrue(afterOne.isClosedByServer(), "an idle connection after a response must be closed");
        }
    }

    @Test
    void connectionSendingOnlyEmptyLinesIsClosedWithoutAResponse() throws Exception {
        HttpTimeouts timeouts = TIMEOUTS.withKeepAlive(Duration.ofMillis(750));
        try (TestServer server = TestServer.start(APP, b -> b.limits(LIMITS).timeouts(timeouts));
             RawClient client = server.connect()) {
            client.send("\r\n\r\n");
            assertTrue(client.isClosedByServer(),
                    "empty lines are not a request (RFC 9112 2.2): the idle connection closes at the keep-alive timeout");
        }
    }

    /**
     * An HTTP/0.9 client sends its request line and nothing more, no version, no empty line: it gets
     * its 400 when that line is complete, not a 408 at the head timeout (as Jetty and cheroot answer).
     */
    @Test
    void anHttp09RequestLineIsAnswered400AtOnceNotAtTheHeadTimeout() throws Exception {
        HttpTimeouts timeouts = HttpTimeouts.defaults().withRequestHead(Duration.ofSeconds(60));
        try (TestServer server = TestServer.start(APP, b -> b.limits(LIMITS).timeouts(timeouts));
             RawClient client = server.connect()) {
            client.send("GET /x");
            Thread.sleep(50); // not synchronisation: the line's end usually comes in a read of its own
            client.send("\r\n");
            assertAnsweredAndClosed(400, client); // RawClient's read times out well before 60 s
            try (RawClient other = server.connect()) {
                assertServed(other, "/after");
            }
        }
    }

    /** Noise after a leading bare LF (not relaxed) is refused at once too, not left for the head timeout (soak review). */
    @Test
    void noiseAfterABareLfIsAnswered400AtOnceNotAtTheHeadTimeout() throws Exception {
        HttpTimeouts timeouts = HttpTimeouts.defaults().withRequestHead(Duration.ofSeconds(60));
        try (TestServer server = TestServer.start(APP, b -> b.limits(LIMITS).timeouts(timeouts));
             RawClient client = server.connect()) {
            client.send(new byte[] {'\n', 'J', (byte) 0xf7});
            assertAnsweredAndClosed(400, client); // RawClient's read times out well before 60 s
        }
    }

    @Test
    void emptyLinesBeforeARequestAreIgnored() throws Exception {
        try (TestServer server = startServer(); RawClient client = server.connect()) {
            client.send("\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n");
            RawClient.Response r = client.read();
            assertEquals(200, r.status());
            assertEquals("ok GET /x 0", r.bodyText());
        }
    }

    @Test
    void requestLineOfExactlyTheLimitIsServed() throws Exception {
        String line = limitLengthRequestLine();
        try (TestServer server = startServer(); RawClient client = server.connect()) {
            client.send(line + "\r\nHost: a\r\n\r\n");
            assertEquals(200, client.read().status());
        }
    }

    @Test
    void requestLineOfExactlyTheLimitIsServedWhenItsLineEndArrivesSplit() throws Exception {
        String line = limitLengthRequestLine();
        try (TestServer server = startServer(); RawClient client = server.connect()) {
            client.send(line + "\r");
            awaitRead(server, line.length() + 1); // the server has the line with its CR alone
            client.send("\nHost: a\r\n\r\n");
            RawClient.Response r = client.read();
            assertEquals(200, r.status(), r.bodyText());
        }
    }

    private static String limitLengthRequestLine() {
        String prefix = "GET /";
        String suffix = " HTTP/1.1";
        String line = prefix + "p".repeat(MAX_LINE - prefix.length() - suffix.length()) + suffix;
        assertEquals(MAX_LINE, line.length());
        return line;
    }

    /**
     * A client (or a proxy such as nginx) that sends a whole refused body before it reads the answer
     * gets it: the server reads and drops what follows (RFC 9112 section 9.6) instead of closing with
     * unread bytes, which would reset the connection under the client's writes and lose the 413.
     */
    @Test
    void aLargeRefusedBodySentWholeIsAbsorbedAndTheAnswerArrives() throws Exception {
        int size = 20 << 20;
        try (TestServer server = TestServer.start(APP, b -> b.limits(LIMITS));
             RawClient client = server.connect()) {
            var writer = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: " + size + "\r\n\r\n");
                    byte[] piece = new byte[64 * 1024];
                    for (int sent = 0; sent < size; sent += piece.length) client.socket().getOutputStream().write(piece);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            writer.get(30, java.util.concurrent.TimeUnit.SECONDS); // all 20 MiB taken: no reset under the writes
            assertEquals(413, client.read().status());
        }
    }

    /**
     * README: the lingering close reads what the client still sends "for at most 2 s": a client that
     * never stops sending after its refused request cannot keep the connection (and its place under
     * maxConnections) open. It is closed while the client still writes, within seconds.
     */
    @Test
    void aClientThatNeverStopsSendingIsClosedAfterTheLinger() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        try (TestServer server = TestServer.start(APP, b -> b.limits(LIMITS));
             RawClient client = server.connect()) {
            client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 999999999999\r\n\r\n");
            assertEquals(413, client.read().status());
            var writer = java.util.concurrent.CompletableFuture.runAsync(() -> {
                byte[] piece = new byte[1024];
                try {
                    while (!stop.get()) { // about 20 KiB a second, forever: never the 128 MiB bound
                        client.socket().getOutputStream().write(piece);
                        Thread.sleep(50);
                    }
                } catch (IOException | InterruptedException closedByTheServer) {
                    // what the test waits for
                }
            });
            try {
                Poll.until(() -> server.server().openConnections(), n -> n == 0, "the lingering connection closed");
                writer.get(10, java.util.concurrent.TimeUnit.SECONDS); // its writes then fail: the connection is gone
            } finally {
                stop.set(true);
            }
        }
    }

    /** Waits until the server has read {@code bytes} bytes from its clients (this test's only client). */
    private static void awaitRead(TestServer server, long bytes) throws InterruptedException {
        Poll.until(() -> server.server().statistics().bytesRead(), n -> n >= bytes, bytes + " bytes read by the server");
    }

    /** Reads an error response with {@code status} (other than 408) and {@code Connection: close}, then sees the server close. */
    private static void assertAnsweredAndClosed(int status, RawClient client) throws IOException {
        assertAnsweredAndClosed(status, client, 0);
    }

    /**
     * Reads an error response with {@code status} and {@code Connection: close}, then sees the server
     * close. A 408 must come at the timeout after {@code sentNanos}, taken before the request was sent.
     */
    private static void assertAnsweredAndClosed(int status, RawClient client, long sentNanos) throws IOException {
        RawClient.Response r = client.read();
        long answered = System.nanoTime();
        assertErrorResponse(status, r);
        if (status == 408) TimeoutWindow.assertFiredInWindow(SHORT_TIMEOUT, sentNanos, answered, "the 408 came");
        assertEquals("close", r.header("Connection"), "Connection header");
        assertTrue(client.isClosedByServer(), "the server must close the connection after " + status);
    }

    private static void assertErrorResponse(int status, RawClient.Response r) {
        assertEquals(status, r.status(), () -> "status; body: " + r.bodyText());
        assertEquals("HTTP/1.1", r.version());
        assertEquals(HttpStatus.reason(status), r.reason());
        String type = r.header("Content-Type");
        assertNotNull(type, "Content-Type");
        assertTrue(type.startsWith("text/plain"), type);
        assertEquals(String.valueOf(r.body().length), r.header("Content-Length"));
        assertTrue(r.body().length > 1 && r.body().length < 200, () -> "a short body: " + r.bodyText());
        assertNotNull(r.header("Date"), "Date");
    }

    private static void assertServed(RawClient client, String path) throws IOException {
        client.send("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n");
        RawClient.Response r = client.read();
        assertEquals(200, r.status(), () -> "status of GET " + path + ": " + r.bodyText());
        assertEquals("ok GET " + path + " 0", r.bodyText());
    }
}
