package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * In virtual-thread mode, clients that read a large response slowly or not at all (a slow-read
 * attack) do not hold the server's request turns: others are served meanwhile, and the slow
 * responses still arrive complete and in order.
 */
class SlowResponseReadersTest {

    private static final int CHUNK = 64 * 1024;
    /** Far more than any socket buffer on loopback, so a client that does not read blocks the write. */
    private static final int CHUNKS = 512;
    /** Chunk i is filled with the byte i % PATTERNS, so that reordered or lost slices show. */
    private static final int PATTERNS = 7;

    private final AtomicInteger bigResponsesStarted = new AtomicInteger();

    private WsgiApp app() {
        List<byte[]> patterns = new ArrayList<>();
        for (int p = 0; p < PATTERNS; p++) {
            byte[] chunk = new byte[CHUNK];
            java.util.Arrays.fill(chunk, (byte) p);
            patterns.add(chunk);
        }
        return (env, sr) -> {
            if (!env.pathInfo().equals("/big")) {
                sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
                return List.of("small".getBytes(StandardCharsets.US_ASCII));
            }
            bigResponsesStarted.incrementAndGet();
            sr.start("200 OK", List.of(Header.of("Content-Type", "application/octet-stream"),
                    Header.of("Content-Length", Long.toString((long) CHUNK * CHUNKS))));
            return () -> new Iterator<>() {
                private int next;

                public boolean hasNext() {
                    return next < CHUNKS;
                }

                public byte[] next() {
                    if (next == CHUNKS) throw new NoSuchElementException();
                    return patterns.get(next++ % PATTERNS);
                }
            };
        };
    }

    /** Opens a connection with a small receive buffer and asks for the big response; reads nothing. */
    private static Socket requestBigAndDoNotRead(TestServer server) throws Exception {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.setSoTimeout(20_000); // every read below is bounded
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
        socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        return socket;
    }

    @Test
    void clientsThatDoNotReadTheirResponsesLeaveTheTurnsToOthers() throws Exception {
        // Long client timeouts: without lending, the third request would wait for a turn until a
        // write timed out (60 s), far beyond the probe's bound below.
        HttpTimeouts timeouts = HttpTimeouts.defaults().withWrite(Duration.ofSeconds(60)).withRequestHead(Duration.ofSeconds(60));
        try (TestServer server = TestServer.start(app(), b -> b.workerMode(WorkerMode.VIRTUAL).maxThreads(2)
                .acceptQueueSize(8).timeouts(timeouts));
             Socket slow = requestBigAndDoNotRead(server)) {
            Socket gone = requestBigAndDoNotRead(server);
            try {
                Poll.until(bigResponsesStarted::get, n -> n == 2, "both big responses started");
                // both writes block on their clients, each having lent its turn back
                Poll.until(() -> server.server().busyWorkers(), n -> n == 0, "no turn held by a blocked write");
                for (int i = 0; i < 3; i++) assertSmallRequestServed(server);
            } finally {
                gone.close(); // its writes now fail: the server must clean up and give its turn back
            }
            assertCompleteBigResponse(slow.getInputStream());

            Poll.until(() -> server.server().openConnections(), n -> n == 0, "both big connections closed");
            assertEquals(0, server.server().busyWorkers(), "every turn given back exactly once");
            assertSmallRequestServed(server);
        }
    }

    private static void assertSmallRequestServed(TestServer server) throws Exception {
        try (RawClient other = server.connect().timeout(20_000)) {
            other.send("GET /small HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            RawClient.Response r = other.read();
            assertEquals(200, r.status());
            assertEquals("small", r.bodyText());
        }
    }

    @Test
    void stoppingWhileWritesWaitOnClientsEndsEveryConnection() throws Exception {
        try (TestServer server = TestServer.start(app(), b -> b.workerMode(WorkerMode.VIRTUAL).maxThreads(1)
                .shutdownTimeout(Duration.ofMillis(200)));
             Socket first = requestBigAndDoNotRead(server);
             Socket second = requestBigAndDoNotRead(server)) {
            Poll.until(bigResponsesStarted::get, n -> n == 2, "both big responses started");
            Poll.until(() -> server.server().busyWorkers(), n -> n == 0, "no turn held by a blocked write");
            server.server().stop();
            assertEquals(0, server.server().openConnections());
            Poll.until(() -> server.server().statistics().threads(), n -> n == 0, "no connection thread left");
            assertTrue(endsSoon(first.getInputStream()) && endsSoon(second.getInputStream()), "both connections closed");
        }
    }

    /** Reads until the end of the stream (bounded by a socket timeout): true if it ended. */
    private static boolean endsSoon(InputStream in) throws Exception {
        byte[] scratch = new byte[64 * 1024];
        try {
            for (int i = 0; i < CHUNKS * 2; i++) {
                if (in.read(scratch) < 0) return true;
            }
        } catch (java.net.SocketException e) {
            return true; // reset: closed too
        }
        return false;
    }

    /** Reads the head and the whole body, and checks every byte of it. */
    private static void assertCompleteBigResponse(InputStream raw) throws Exception {
        InputStream in = new java.io.BufferedInputStream(raw, 64 * 1024);
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            assertTrue(c >= 0, "the head ended early: " + head);
            head.append((char) c);
        }
        assertTrue(head.toString().startsWith("HTTP/1.1 200 "), head.toString());
        byte[] chunk = new byte[CHUNK];
        for (int i = 0; i < CHUNKS; i++) {
            int got = in.readNBytes(chunk, 0, CHUNK);
            assertEquals(CHUNK, got, "chunk " + i + " complete");
            for (byte b : chunk) {
                if (b != (byte) (i % PATTERNS)) throw new AssertionError("chunk " + i + " holds a byte of another chunk");
            }
        }
        assertEquals(-1, in.read(), "nothing after the body");
    }
}
