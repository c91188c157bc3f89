package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.minipylib.wsgiserver.http.Gateway;
import org.minipylib.wsgiserver.http.HttpResponse;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A response that started and was then cut off (the client went away mid-download, it stopped
 * reading until the write timeout) was answered as far as the client is concerned: it gets an
 * access-log entry and is counted, with its status and the body bytes it got to, as nginx logs it.
 * So does one that {@code stop()} cut after its shutdown timeout: in the log before it closes.
 */
class AccessLogCutResponsesTest {

    /** 64 MiB in 64 KiB pieces: far more than the socket buffers hold. */
    private static final WsgiApp LARGE = WsgiTestApps.large();

    @Test
    void aDownloadTheClientAbandonsIsLoggedAndCounted() throws Exception {
        List<AccessLogEntry> entries = new CopyOnWriteArrayList<>();
        try (TestServer server = TestServer.start(LARGE, b -> b.accessLog(entries::add))) {
            try (RawClient client = server.connect()) {
                client.send("GET /large HTTP/1.1\r\nHost: a\r\n\r\n");
                assertEquals("HTTP/1.1 200 OK", client.readLine());
                client.socket().setSoLinger(true, 0); // then gone, with a reset
            }
            Poll.until(entries::size, n -> n == 1, "the cut response's entry");
            AccessLogEntry entry = entries.get(0);
            assertEquals(200, entry.status());
            assertEquals("GET /large HTTP/1.1", entry.requestLine());
            // what was written for it before the reset: the first write, head and 64 KiB, may itself be cut
            assertTrue(entry.bodyBytes() >= 0 && entry.bodyBytes() < 64L << 20, "the bytes written for it: " + entry.bodyBytes());
            assertEquals(1L, server.server().statistics().responsesByStatus().get(200));
        }
    }

    /**
     * A small response sits in the connection's output buffer until its turn ends; if the client
     * resets the connection first, none of it went out, and it is logged with no body bytes (the
     * flush failed), not whole. The response before it went out (it was read) and is logged whole.
     */
    @Test
    void aBufferedResponseWhoseClientResetFirstIsLoggedWithTheBytesThatWentOut() throws Exception {
        CountDownLatch clientGone = new CountDownLatch(1);
        WsgiApp app = (env, sr) -> {
            if (env.pathInfo().equals("/after-reset")) assertTrue(clientGone.await(10, TimeUnit.SECONDS));
            sr.start("200 OK", List.of(Header.of("Content-Type", "application/octet-stream")));
            return List.of(new byte[8000]);
        };
        List<AccessLogEntry> entries = new CopyOnWriteArrayList<>();
        try (TestServer server = TestServer.start(app, b -> b.accessLog(entries::add))) {
            try (RawClient client = server.connect()) {
                // pipelined: the first response is held while the second request runs, and written when it runs long
                client.send("GET /first HTTP/1.1\r\nHost: a\r\n\r\nGET /after-reset HTTP/1.1\r\nHost: a\r\n\r\n");
                assertEquals(8000, client.read().body().length);
                client.socket().setSoLinger(true, 0); // then gone, with a reset, before the second response is written
            }
            clientGone.countDown();
            Poll.until(entries::size, n -> n == 2, "both entries");
            assertEquals(List.of("GET /first HTTP/1.1", "GET /after-reset HTTP/1.1"),
                    entries.stream().map(AccessLogEntry::requestLine).toList());
            assertEquals(List.of(200, 200), entries.stream().map(AccessLogEntry::status).toList());
            assertEquals(List.of(8000L, 0L), entries.stream().map(AccessLogEntry::bodyBytes).toList());
            Poll.until(() -> server.server().statistics().socketErrors(), n -> n == 1, "the reset counted");
        }
    }

    /**
     * The {@code 100 Continue} the server puts in front of a response begun before the body was read
     * (a gateway that writes its head first, as the JDK's API may) is no part of that response's
     * body: one whose head went out with it, and whose body did not (the client reset first), is
     * logged with no body bytes, not with the interim response's 25.
     */
    @Test
    void aContinueInFrontOfABegunResponseIsNotCountedInItsBody() throws Exception {
        CountDownLatch bodyRead = new CountDownLatch(1);
        CountDownLatch clientGone = new CountDownLatch(1);
        Gateway headFirst = exchange -> {
            HttpResponse response = exchange.response();
            response.begin(200, "OK", List.of(), 8000);
            exchange.body().readAllBytes(); // its first read: 100 Continue in front of the head, both written
            bodyRead.countDown();
            WsgiTestApps.await(clientGone);
            response.write(new byte[8000], 0, 8000); // buffered, and never written: the flush at the turn's end fails
            response.finish();
        };
        List<AccessLogEntry> entries = new CopyOnWriteArrayList<>();
        WsgiServer server = new WsgiServer(headFirst, ServerConfig.builder().bind("127.0.0.1", 0).accessLog(entries::add).build());
        server.start();
        try {
            try (RawClient client = new RawClient("127.0.0.1", server.port())) {
                client.send("POST /upload HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
                assertEquals("HTTP/1.1 100 Continue", client.readLine());
                assertEquals("", client.readLine());
                assertEquals("HTTP/1.1 200 OK", client.readLine());
                client.send("hello");
                WsgiTestApps.await(bodyRead);
                client.socket().setSoLinger(true, 0); // then gone, with a reset
            }
            clientGone.countDown();
            Poll.until(entries::size, n -> n == 1, "the cut response's entry");
            assertEquals(0L, entries.get(0).bodyBytes());
        } finally {
            server.stop();
        }
    }

    /** Some of the body went out (the socket buffers took it), far from all of it. */
    private static void assertWrittenInPart(AccessLogEntry entry) {
        assertTrue(entry.bodyBytes() >= 64 * 1024 && entry.bodyBytes() < 64L << 20, "the bytes written for it: " + entry.bodyBytes());
    }

    @Test
    void aResponseCutByTheWriteTimeoutIsLogged() throws Exception {
        AccessLogEntry entry = entryOfAResponseCutByTheWriteTimeout(LARGE, "/stalled");
        assertEquals(200, entry.status());
        assertEquals("GET /stalled HTTP/1.1", entry.requestLine());
        assertWrittenInPart(entry);
    }

    /**
     * One large piece, an array or a direct buffer the size of the whole body, cut in its middle:
     * logged with what went out of it, not 0 (the piece never completed).
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aSinglePieceBodyCutInItsMiddleIsLoggedWithWhatWentOut(boolean directBuffer) throws Exception {
        int size = 64 << 20;
        WsgiApp onePiece = (env, sr) -> {
            sr.start("200 OK", List.of(Header.of("Content-Type", "application/octet-stream")));
            return directBuffer ? ByteBufferBody.of(ByteBuffer.allocateDirect(size)) : List.of(new byte[size]);
        };
        assertWrittenInPart(entryOfAResponseCutByTheWriteTimeout(onePiece, "/one-piece"));
    }

    /** The access-log entry of {@code GET path} from a client that never reads, cut at a 500 ms write timeout. */
    private static AccessLogEntry entryOfAResponseCutByTheWriteTimeout(WsgiApp app, String path) throws Exception {
        List<AccessLogEntry> entries = new CopyOnWriteArrayList<>();
        HttpTimeouts timeouts = HttpTimeouts.defaults().withWrite(Duration.ofMillis(500));
        try (TestServer server = TestServer.start(app, b -> b.timeouts(timeouts).accessLog(entries::add));
             RawClient client = server.connect()) {
            client.socket().setReceiveBufferSize(16 * 1024);
            client.send("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n"); // and never read
            Poll.until(entries::size, n -> n == 1, "the cut response's entry");
            return entries.get(0);
        }
    }

    /** An access log that keeps what it is given before and after its close apart. */
    private static final class ClosingLog implements AccessLog {
        final List<AccessLogEntry> entries = new CopyOnWriteArrayList<>();
        final List<AccessLogEntry> afterClose = new CopyOnWriteArrayList<>();
        private volatile boolean closed;

        @Override public void log(AccessLogEntry entry) {
            (closed ? afterClose : entries).add(entry);
        }

        @Override public void close() {
            closed = true;
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aResponseCutByStopIsLoggedBeforeTheLogCloses(WorkerMode mode) throws Exception {
        ClosingLog log = new ClosingLog();
        List<AccessLogEntry> entries = log.entries;
        List<AccessLogEntry> afterClose = log.afterClose;
        TestServer server = TestServer.start(LARGE, b -> b.workerMode(mode).shutdownTimeout(Duration.ofMillis(200)).accessLog(log));
        try (RawClient client = server.connect()) {
            client.socket().setReceiveBufferSize(16 * 1024);
            client.send("GET /in-flight HTTP/1.1\r\nHost: a\r\n\r\n"); // and never read: the response stays in flight
            assertEquals("HTTP/1.1 200 OK", client.readLine());
            server.close(); // stop(): the shutdown timeout passes, the connection is closed under its thread
            assertEquals(1, entries.size(), "entries before the log closed: " + entries + "; after: " + afterClose);
            assertEquals(200, entries.get(0).status());
            assertEquals("GET /in-flight HTTP/1.1", entries.get(0).requestLine());
            assertWrittenInPart(entries.get(0));
        }
    }

    /**
     * A stop interrupted while it waits for requests in flight (the command line's second signal)
     * closes them at once, and still gives their threads a moment to log what they had sent.
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aResponseCutByAnInterruptedStopIsLoggedBeforeTheLogCloses(WorkerMode mode) throws Exception {
        ClosingLog log = new ClosingLog();
        TestServer server = TestServer.start(LARGE, b -> b.workerMode(mode).shutdownTimeout(Duration.ofSeconds(60)).accessLog(log));
        try (RawClient client = server.connect()) {
            client.socket().setReceiveBufferSize(16 * 1024);
            client.send("GET /in-flight HTTP/1.1\r\nHost: a\r\n\r\n"); // and never read: the response stays in flight
            assertEquals("HTTP/1.1 200 OK", client.readLine());
            Thread stopping = Thread.ofPlatform().start(server::close);
            Poll.until(() -> server.server().isDraining(), d -> d, "the stop waiting for the request in flight");
            stopping.interrupt();
            stopping.join(10_000);
            assertTrue(!stopping.isAlive(), "the interrupted stop ended long before its 60 s timeout");
            assertEquals(1, log.entries.size(), "entries before the log closed: " + log.entries + "; after: " + log.afterClose);
            assertEquals("GET /in-flight HTTP/1.1", log.entries.get(0).requestLine());
        } finally {
            server.close();
        }
    }
}
