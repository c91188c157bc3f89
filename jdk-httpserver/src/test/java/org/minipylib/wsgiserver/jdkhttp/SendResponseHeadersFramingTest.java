package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.testing.RawClient;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code sendResponseHeaders(code, length)} puts on the wire, read with raw sockets: a length
 * is Content-Length, 0 is chunked (close-delimited for HTTP/1.0), -1 is an empty body; HEAD, 204 and
 * 304 carry none; bytes beyond a length are refused, a body short of it closes the connection; the
 * connection is reused and pipelined requests are answered in order.
 */
class SendResponseHeadersFramingTest {

    private static final ServerFixture servers = new ServerFixture();
    private static final AtomicReference<String> overrun = new AtomicReference<>();
    private static final AtomicReference<String> shortClose = new AtomicReference<>();
    private static volatile CountDownLatch afterClose = new CountDownLatch(0);
    private static int port;

    @BeforeAll
    static void start() throws IOException {
        HttpServer server = servers.ours();
        TestHandlers.mountAll(server);
        server.createContext("/overrun", t -> {
            t.sendResponseHeaders(200, 3);
            OutputStream out = t.getResponseBody();
            try {
                out.write("abcde".getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                overrun.set(e.getMessage());
            }
            out.write("abc".getBytes(StandardCharsets.US_ASCII));
            out.close();
        });
        server.createContext("/short", t -> {
            t.sendResponseHeaders(200, 10);
            OutputStream out = t.getResponseBody();
            out.write("abc".getBytes(StandardCharsets.US_ASCII));
            try {
                out.close();
            } catch (IOException e) {
                shortClose.set(e.getMessage());
            }
        });
        server.createContext("/ownframing", t -> { // framing headers of the handler's own, wrong for what it sends
            t.getResponseHeaders().set("Transfer-Encoding", "chunked");
            t.getResponseHeaders().set("Content-Length", "99");
            boolean noContent = t.getRequestURI().getQuery() != null;
            TestHandlers.send(t, noContent ? 204 : 200, noContent ? -1 : 5, noContent ? null : "hello");
        });
        server.createContext("/port", t -> TestHandlers.send(t, 200, 0, Integer.toString(t.getRemoteAddress().getPort())));
        server.createContext("/closeThenWork", t -> {
            TestHandlers.send(t, 200, 5, "early"); // sends and closes the exchange
            try {
                afterClose.await(10, TimeUnit.SECONDS); // works on after close(), as handlers may
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        port = ServerFixture.port(server);
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    private static RawClient.Response get(String path) throws IOException {
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            return c.send("GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n").read();
        }
    }

    private static void assertFramed(RawClient.Response r, String contentLength, String transferEncoding, String body) {
        assertEquals(contentLength, r.header("Content-Length"));
        assertEquals(transferEncoding, r.header("Transfer-Encoding"));
        assertEquals(body, r.bodyText());
    }

    @Test
    void aPositiveLengthIsTheContentLength() throws IOException {
        assertFramed(get("/t/fixed"), "5", null, "hello");
    }

    @Test
    void lengthZeroIsChunkedInHttp11() throws IOException {
        assertFramed(get("/t/chunked"), null, "chunked", "hello");
    }

    @Test
    void lengthZeroEndsAtTheCloseInHttp10() throws IOException {
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            assertFramed(c.send("GET /t/chunked HTTP/1.0\r\n\r\n").read(), null, null, "hello");
        }
    }

    /** README: the JDK's server would send its chunked encoding and the handler's Content-Length both. */
    @Test
    void framingHeadersTheHandlerSetGiveWayToThoseSendResponseHeadersChose() throws IOException {
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            assertFramed(c.send("GET /ownframing HTTP/1.1\r\nHost: h\r\n\r\n").read(), "5", null, "hello");
            RawClient.Response noContent = c.send("GET /ownframing?204 HTTP/1.1\r\nHost: h\r\n\r\n").read();
            assertEquals(204, noContent.status());
            assertFramed(noContent, null, null, "");
        }
    }

    @Test
    void minusOneIsAnEmptyBody() throws IOException {
        RawClient.Response r = get("/t/empty");
        assertEquals(200, r.status());
        assertEquals("0", r.header("Content-Length"));
    }

    @Test
    void noContentAndNotModifiedHaveNoBodyNorLength() throws IOException {
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            RawClient.Response noContent = c.send("GET /t/nocontent HTTP/1.1\r\nHost: h\r\n\r\n").read();
            assertEquals(204, noContent.status());
            assertNull(noContent.header("Content-Length"));
            assertNull(noContent.header("Transfer-Encoding"));
            RawClient.Response notModified = c.send("GET /t/notmodified HTTP/1.1\r\nHost: h\r\n\r\n").read();
            assertEquals(304, notModified.status());
            assertEquals("\"v1\"", notModified.header("ETag"));
            // the same connection answers next: neither response sent body bytes
            assertEquals("hello", c.send("GET /t/fixed HTTP/1.1\r\nHost: h\r\n\r\n").read().bodyText());
        }
    }

    @Test
    void headKeepsTheLengthTheHandlerSetAndSendsNoBody() throws IOException {
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            RawClient.Response head = c.send("HEAD /t/headlength HTTP/1.1\r\nHost: h\r\n\r\n").read(true);
            assertEquals(200, head.status());
            assertEquals("5", head.header("Content-Length"));
            RawClient.Response naive = c.send("HEAD /t/fixed HTTP/1.1\r\nHost: h\r\n\r\n").read(true);
            assertEquals(200, naive.status());
            assertNull(naive.header("Content-Length"), "as the JDK: a length given for HEAD is not sent");
            assertEquals("hello", c.send("GET /t/headlength HTTP/1.1\r\nHost: h\r\n\r\n").read().bodyText());
        }
    }

    @Test
    void bytesBeyondTheLengthAreRefusedAndTheStreamStaysUsable() throws IOException {
        RawClient.Response r = get("/overrun");
        assertEquals("abc", r.bodyText());
        assertEquals("too many bytes to write to stream", overrun.get());
    }

    @Test
    void aBodyShortOfItsLengthThrowsAtCloseAndClosesTheConnection() throws IOException {
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            RawClient.Response r = c.send("GET /short HTTP/1.1\r\nHost: h\r\n\r\n").read();
            assertEquals("10", r.header("Content-Length"));
            assertArrayEquals("abc".getBytes(StandardCharsets.US_ASCII), r.body());
            assertTrue(c.isClosedByServer());
        }
        assertEquals("insufficient bytes written to stream", shortClose.get());
    }

    @Test
    void oneConnectionServesRequestAfterRequest() throws IOException {
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            String first = c.send("GET /port HTTP/1.1\r\nHost: h\r\n\r\n").read().bodyText();
            String second = c.send("GET /port HTTP/1.1\r\nHost: h\r\n\r\n").read().bodyText();
            assertEquals(Integer.toString(c.socket().getLocalPort()), first);
            assertEquals(first, second);
            assertFalse(c.timeout(200).isClosedByServer());
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws IOException {
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            c.send("GET /t/fixed HTTP/1.1\r\nHost: h\r\n\r\n"
                    + "POST /t/echo HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody"
                    + "GET /t/chunked HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals("hello", c.read().bodyText());
            assertEquals("body", c.read().bodyText());
            assertEquals("hello", c.read().bodyText());
        }
    }

    /** close() sends the response at once (the JDK's server does too), though the handler goes on working. */
    @Test
    void theResponseGoesOutAtCloseWhileTheHandlerWorksOn() throws Exception {
        afterClose = new CountDownLatch(1);
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            c.timeout(5000);
            assertEquals("early", c.send("GET /closeThenWork HTTP/1.1\r\nHost: h\r\n\r\n").read().bodyText());
        } finally {
            afterClose.countDown();
        }
    }

    /**
     * Pipelined behind a request: the closed response waits to share the next ones' write, but only
     * for the batching window, not for as long as the handler works on after close(); all arrive.
     */
    @Test
    void aClosedResponseWithARequestPipelinedBehindItGoesOutWhileTheHandlerWorksOn() throws Exception {
        afterClose = new CountDownLatch(1);
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            c.send("GET /closeThenWork HTTP/1.1\r\nHost: h\r\n\r\nGET /t/fixed HTTP/1.1\r\nHost: h\r\n\r\n");
            c.timeout(5000); // the handler works on for twice that
            assertEquals("early", c.read().bodyText());
            afterClose.countDown();
            assertEquals("hello", c.read().bodyText());
        } finally {
            afterClose.countDown();
        }
    }
}
