package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.testing.RawClient;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Handlers that fail or forget: an exception before the headers is a 500, after them a closed
 * connection; a handler that returns without closing has its response ended; one that sends no
 * headers (or closes first) gets a 500; headers cannot be sent twice; an exchange closed by another
 * thread while its handler reads the body closes the connection.
 */
class HandlerFailuresTest {

    private static final ServerFixture servers = new ServerFixture();
    private static final AtomicReference<String> secondSend = new AtomicReference<>();
    /** The exchange a handler of /handed-off left to another thread, which answers it once released. */
    private static final SynchronousQueue<HttpExchange> handedOff = new SynchronousQueue<>();
    /** The exchange of /reads-body, and its handler's thread, as it begins to read the request body. */
    private static final SynchronousQueue<Map.Entry<HttpExchange, Thread>> reading = new SynchronousQueue<>();
    /** What the read of /reads-body ended with. */
    private static final LinkedBlockingQueue<String> readOutcome = new LinkedBlockingQueue<>();
    private static int port;

    @BeforeAll
    static void start() throws IOException {
        HttpServer server = servers.ours();
        server.createContext("/throws", t -> {
            throw new IllegalStateException("handler bug");
        });
        server.createContext("/throws-midway", t -> {
            t.sendResponseHeaders(200, 0);
            OutputStream out = t.getResponseBody();
            out.write("part".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            throw new IOException("handler gave up");
        });
        server.createContext("/unclosed-fixed", t -> {
            t.sendResponseHeaders(200, 4);
            t.getResponseBody().write("done".getBytes(StandardCharsets.US_ASCII));
        });
        server.createContext("/unclosed-chunked", t -> {
            t.sendResponseHeaders(200, 0);
            t.getResponseBody().write("streamed".getBytes(StandardCharsets.US_ASCII));
        });
        server.createContext("/silent", t -> { });
        server.createContext("/closed-first", t -> t.close());
        server.createContext("/handed-off", t -> {
            try {
                handedOff.put(t); // and returns at once, as if another thread were to answer
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.createContext("/reads-body", t -> {
            String outcome;
            try {
                reading.put(Map.entry(t, Thread.currentThread()));
                outcome = "read " + t.getRequestBody().readAllBytes().length + " bytes";
            } catch (IOException e) {
                outcome = "failed: " + e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            readOutcome.offer(outcome);
        });
        server.createContext("/twice", t -> {
            t.sendResponseHeaders(200, -1);
            try {
                t.sendResponseHeaders(500, -1);
            } catch (IOException e) {
                secondSend.set(e.getMessage());
            }
        });
        server.start();
        port = ServerFixture.port(server);
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    private static RawClient.Response get(RawClient c, String path) throws IOException {
        return c.send("GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n").read();
    }

    @Test
    void anExceptionBeforeTheHeadersIsA500() throws IOException {
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            assertEquals(500, get(c, "/throws").status());
        }
    }

    @Test
    void anExceptionAfterTheHeadersWentOutClosesTheConnection() throws IOException {
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            assertThrows(IOException.class, () -> get(c, "/throws-midway"), "the chunked body never ends");
        }
    }

    @Test
    void aResponseLeftOpenIsEndedAndTheConnectionKept() throws IOException {
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            assertEquals("done", get(c, "/unclosed-fixed").bodyText());
            RawClient.Response chunked = get(c, "/unclosed-chunked");
            assertEquals("chunked", chunked.header("Transfer-Encoding"));
            assertEquals("streamed", chunked.bodyText());
            assertEquals("done", get(c, "/unclosed-fixed").bodyText());
        }
    }

    @Test
    void noHeadersSentIsA500() throws IOException {
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            assertEquals(500, get(c, "/silent").status());
            assertEquals(500, get(c, "/closed-first").status());
        }
    }

    /**
     * A thread that answers an exchange after its handler returned (the server has answered it 500
     * by then) must not write into the connection, whose next request would get that answer.
     */
    @Test
    void anExchangeAnsweredAfterItsHandlerReturnedIsRefusedAndTheNextRequestGetsItsOwnAnswer() throws Exception {
        try (RawClient c = new RawClient("127.0.0.1", port).timeout(5000)) {
            c.send("GET /handed-off HTTP/1.1\r\nHost: h\r\n\r\n");
            HttpExchange late = handedOff.poll(10, TimeUnit.SECONDS);
            assertEquals(500, c.read().status(), "the handler returned without sending headers");
            IOException refused = assertThrows(IOException.class, () -> TestHandlers.send(late, 200, 5, "stray"));
            assertTrue(refused.getMessage().contains("handler returned"), refused.getMessage());
            assertThrows(IOException.class, () -> late.getRequestBody().read());
            late.close();
            RawClient.Response next = get(c, "/unclosed-fixed");
            assertEquals(200, next.status());
            assertEquals("done", next.bodyText(), "the next request's own answer");
        }
    }

    /**
     * As the JDK's server: an exchange closed by another thread before its headers were sent, while
     * its handler waits for the rest of the request body, closes the connection, so that read fails
     * at once instead of waiting for the server's read timeout (seconds; it then answered 408).
     */
    @Test
    void anExchangeClosedElsewhereWhileItsHandlerReadsTheBodyEndsTheReadAndTheConnection() throws Exception {
        try (RawClient c = new RawClient("127.0.0.1", port).timeout(3000)) {
            c.send("POST /reads-body HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc");
            Map.Entry<HttpExchange, Thread> handler = reading.poll(10, TimeUnit.SECONDS);
            assertTrue(handler != null, "the handler ran");
            for (int i = 0; i < 1000 && !isWaiting(handler.getValue()); i++) Thread.sleep(5);
            assertTrue(isWaiting(handler.getValue()), "the handler waits in its read: " + handler.getValue().getState());
            long closedAt = System.nanoTime();
            handler.getKey().close();
            String outcome = readOutcome.poll(10, TimeUnit.SECONDS);
            long readEndedMillis = (System.nanoTime() - closedAt) / 1_000_000;
            assertTrue(outcome != null && outcome.startsWith("failed"), String.valueOf(outcome));
            assertTrue(readEndedMillis < 1000, "the read ended " + readEndedMillis + " ms after the close");
            assertEquals("", new String(c.readToEnd(), StandardCharsets.ISO_8859_1), "no answer, the connection closed");
        }
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            assertEquals("done", get(c, "/unclosed-fixed").bodyText(), "the server serves on");
        }
    }

    private static boolean isWaiting(Thread t) {
        Thread.State state = t.getState();
        return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
    }

    @Test
    void headersGoOutOnce() throws IOException {
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            assertEquals(200, get(c, "/twice").status());
            assertTrue(c.timeout(200).isClosedByServer() == false);
        }
        assertEquals("headers already sent", secondSend.get());
    }
}
