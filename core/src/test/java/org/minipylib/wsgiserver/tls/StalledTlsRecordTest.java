package org.minipylib.wsgiserver.tls;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.http.HttpConnection;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.http.Transport;
import org.minipylib.wsgiserver.server.ReadinessLoop;
import org.minipylib.wsgiserver.testing.EngineTlsClient;
import org.minipylib.wsgiserver.testing.LiveThreads;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.TimeoutWindow;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import javax.net.ssl.SSLContext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * A TLS client that sends a request and, in the same write, the first bytes of its next record,
 * then stalls: nothing decrypted is waiting, but a request has begun, as a head read in part has.
 * Neither the keep-alive timeout nor a server stop closes it as idle: it is closed at the
 * request-head timeout from when the record began (the begun-record deadline), and a record
 * completed before that is served. A whole pipelined record is served too.
 */
class StalledTlsRecordTest {

    @TempDir
    static Path dir;
    static TlsConfig config;
    static SSLContext client;

    @BeforeAll
    static void makeCertificates() throws Exception {
        TestCertificates.LocalhostTls tls = TestCertificates.localhostTls(dir, "stalled-ca");
        config = tls.server();
        client = tls.client();
    }

    private static TestServer start(Duration keepAlive, Duration shutdownTimeout) throws Exception {
        return start(keepAlive, HttpTimeouts.defaults().requestHead(), shutdownTimeout);
    }

    private static TestServer start(Duration keepAlive, Duration requestHead, Duration shutdownTimeout) throws Exception {
        return start(WorkerMode.VIRTUAL, keepAlive, requestHead, shutdownTimeout);
    }

    /** In virtual mode an idle connection waits on a readiness loop without a thread; in pool mode on a thread of its own. */
    private static TestServer start(WorkerMode mode, Duration keepAlive, Duration requestHead, Duration shutdownTimeout)
            throws Exception {
        return start(new JsseSslAdapter(config), mode, keepAlive, requestHead, shutdownTimeout);
    }

    private static TestServer start(SslAdapter adapter, WorkerMode mode, Duration keepAlive, Duration requestHead,
                                    Duration shutdownTimeout) throws Exception {
        return TestServer.start(WsgiTestApps.text("200 OK", "served"), b -> b.sslAdapter(adapter).workerMode(mode)
                .timeouts(HttpTimeouts.defaults().withKeepAlive(keepAlive).withRequestHead(requestHead))
                .shutdownTimeout(shutdownTimeout));
    }

    /**
     * Sends a request plus the first {@code prefix} bytes of the next record in one write; reads the
     * response. Returns the rest of that record.
     */
    private static byte[] requestThenStall(EngineTlsClient tls, int prefix) throws Exception {
        byte[] request = tls.record(get("/"));
        byte[] next = tls.record(get("/next")); // wrapped second: records carry sequence numbers
        tls.send(request, Arrays.copyOf(next, prefix));
        assertTrue(tls.readUntil("served").startsWith("HTTP/1.1 200 OK"));
        return Arrays.copyOfRange(next, prefix, next.length);
    }

    @Test
    void partialRecordAfterARequestIsClosedAtTheHeadTimeout() throws Exception {
        try (TestServer server = start(Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofSeconds(30))) {
            for (int prefix : new int[] {1, 4, 5, 30}) { // within the 5-byte record header, and past it
                try (EngineTlsClient tls = EngineTlsClient.connect(client, server.port())) {
                    requestThenStall(tls, prefix);
                    assertTrue(tls.awaitClosedByServer(), // the socket timeout is 10 s
                            "a " + prefix + "-byte partial record kept the connection past the 1 s head timeout");
                }
            }
            Poll.until(() -> server.server().openConnections(), n -> n == 0, "no open connections");
        }
    }

    /**
     * A record begun before the keep-alive timeout (behind the request, or on its own just after
     * the response, while the connection waits) is a request begun: the connection waits for its
     * rest up to the head timeout instead. Before, it was half-closed as idle at the keep-alive
     * timeout, and the request, once sent whole, was dropped.
     */
    @ParameterizedTest(name = "{0}, behind the request: {1}")
    @CsvSource({"VIRTUAL, true", "VIRTUAL, false", "POOL, true", "POOL, false"})
    void aRecordBegunBeforeTheKeepAliveTimeoutIsServedAfterIt(WorkerMode mode, boolean behindRequest) throws Exception {
        try (TestServer server = start(mode, Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofSeconds(30));
             EngineTlsClient tls = EngineTlsClient.connect(client, server.port())) {
            byte[] rest;
            if (behindRequest) {
                rest = requestThenStall(tls, 7);
            } else {
                tls.send(tls.record(get("/")));
                assertTrue(tls.readUntil("served").startsWith("HTTP/1.1 200 OK"));
                byte[] next = tls.record(get("/next"));
                tls.send(Arrays.copyOf(next, 7)); // at once: well within the 500 ms keep-alive timeout
                rest = Arrays.copyOfRange(next, 7, next.length);
            }
            Thread.sleep(1500); // the keep-alive timeout passes, and the watchdog (every 100 ms) looks
            tls.send(rest);
            assertTrue(tls.readUntil("served").startsWith("HTTP/1.1 200 OK"));
        }
    }

    @Test
    void aRecordTrickledInAByteAtATimeDoesNotExtendTheHeadTimeout() throws Exception {
        try (TestServer server = start(Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofSeconds(30));
             EngineTlsClient tls = EngineTlsClient.connect(client, server.port())) {
            tls.send(tls.record(get("/")));
            assertTrue(tls.readUntil("served").startsWith("HTTP/1.1 200 OK"));
            byte[] next = tls.record(get("/next"));
            // The server's end is read as it comes, on a thread of its own (the trickle below only
            // writes raw bytes, ready before): a send would find the close only later, if lingering.
            var closed = TimeoutWindow.inBackground(tls::awaitClosedByServer);
            long start = System.nanoTime(); // before the record's first byte, which starts the head deadline
            for (int i = 0; i < next.length - 1 && !closed.isDone(); i++) { // each byte wakes the idle connection
                try {
                    tls.send(new byte[] {next[i]});
                } catch (java.io.IOException refused) {
                    break;
                }
                Thread.sleep(100);
                if (System.nanoTime() - start > Duration.ofSeconds(4).toNanos()) break;
            }
            TimeoutWindow.Timed<Boolean> close = closed.get(15, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(close.value(), "the trickling client kept the connection open");
            TimeoutWindow.assertFiredInWindow(Duration.ofSeconds(1), start, close.atNanos(), "the trickling client was closed");
        }
    }

    /**
     * stop() leaves a connection with a record begun to be served, but not past the begun-record
     * deadline: a client stalled mid-record is closed then, well within the shutdown timeout.
     */
    @Test
    void stopClosesAConnectionStalledMidRecordAtItsHeadTimeout() throws Exception {
        TestServer server = start(Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofSeconds(60));
        try (EngineTlsClient tls = EngineTlsClient.connect(client, server.port())) {
            requestThenStall(tls, 3);
            Thread stopping = Thread.ofVirtual().start(server::close);
            assertTrue(tls.awaitClosedByServer(), "not closed at the 1 s head timeout after stop()");
            stopping.join(Duration.ofSeconds(10)); // far below the 60 s shutdown timeout
            assertFalse(stopping.isAlive(), "stop() is still waiting for the stalled connection");
            assertEquals(0, server.server().openConnections());
        } finally {
            server.close();
        }
    }

    /**
     * A client has sent the first half of a request's record (on a new connection, or on a
     * keep-alive one after a request) when stop() begins: it sends the rest and gets its response,
     * which closes the connection cleanly (close_notify). Before, stop() half-closed the connection
     * as idle (nothing was decrypted yet) and the request was dropped unanswered.
     */
    @ParameterizedTest(name = "{0}, after a keep-alive request: {1}")
    @CsvSource({"VIRTUAL, false", "VIRTUAL, true", "POOL, false", "POOL, true"})
    void aRequestRecordHalfSentWhenStopBeginsIsServed(WorkerMode mode, boolean afterKeepAlive) throws Exception {
        LastOpened adapter = new LastOpened(new JsseSslAdapter(config));
        TestServer server = start(adapter, mode, Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofSeconds(30));
        try (EngineTlsClient tls = EngineTlsClient.connect(client, server.port())) {
            if (afterKeepAlive) {
                tls.send(tls.record(get("/first")));
                assertTrue(tls.readUntil("served").startsWith("HTTP/1.1 200 OK"));
            }
            byte[] record = tls.record(get("/begun"));
            tls.send(Arrays.copyOf(record, record.length / 2));
            // The socket read counts the bytes a moment before the TLS layer marks the record begun; a
            // stop in between finds the connection idle and closes it cleanly (the client may retry).
            Poll.until(adapter::inputBegun, begun -> begun, "the TLS layer marked the record begun");
            Thread stopping = Thread.ofVirtual().start(server::close);
            awaitRefused(server.port(), "stop() closed the listener, after its first look at the connections");
            tls.send(Arrays.copyOfRange(record, record.length / 2, record.length));
            String response = tls.readUntil("served");
            assertTrue(response.startsWith("HTTP/1.1 200 OK"), response);
            assertTrue(response.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), response);
            assertTrue(tls.serverSentCloseNotify(), "the connection did not end cleanly");
            stopping.join(Duration.ofSeconds(10));
            assertFalse(stopping.isAlive(), "stop() is still waiting");
        } finally {
            server.close();
        }
    }

    /**
     * Polls until a connection to {@code port} is refused: stop() closes its listeners right after
     * its first pass over the connections, closing those idle. (A probe accepted before that is a
     * connection in its TLS setup, which stop() closes at its next pass.)
     */
    private static void awaitRefused(int port, String what) throws InterruptedException {
        Poll.until(() -> {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return false;
            } catch (ConnectException refused) {
                return true;
            } catch (IOException e) {
                return false;
            }
        }, refused -> refused, what);
    }

    /** An adapter that keeps the transport of the last connection it opened, for the test to look at. */
    private static final class LastOpened implements SslAdapter {
        private final SslAdapter adapter;
        private volatile Transport opened;

        LastOpened(SslAdapter adapter) {
            this.adapter = adapter;
        }

        @Override
        public Transport open(Transport transport, long deadlineNanos) throws IOException {
            Transport tls = adapter.open(transport, deadlineNanos);
            opened = tls;
            return tls;
        }

        @Override
        public void tick() {
            adapter.tick();
        }

        /** Whether part of a record waits on the last connection opened (see Transport.inputBegun). */
        boolean inputBegun() {
            Transport t = opened;
            return t != null && t.inputBegun();
        }
    }

    /**
     * The close after a last response (maxRequestsPerConnection 1) reads and drops what the client
     * still sends. A client that then sends a whole record and more than the rest of the buffer's
     * worth of the next one, and stalls, leaves the connection waiting for the rest as an idle one
     * does, without a thread; before, a read blocked for the rest (a thread and the TLS buffers held
     * until the watchdog's close at the linger deadline, 2 s on). Below JDK 24, where a lingering
     * close waits with a thread, the connection and its thread end at that deadline.
     */
    @Test
    void aLingeringCloseStalledMidRecordHoldsNoThread() throws Exception {
        assertLingersWithoutAThread(tls -> {
            String filler = "x".repeat(16 * 1024); // one whole record each
            byte[] whole = tls.record(filler);
            byte[] next = tls.record(filler);
            return new byte[][] {whole, Arrays.copyOf(next, next.length / 2)};
        });
    }

    /**
     * As above, with a record of data followed by one without (a TLS 1.3 KeyUpdate): once the data
     * is dropped, the record left decrypts to nothing and the socket has nothing more; the read
     * returns instead of waiting on the socket.
     */
    @Test
    void aLingeringCloseAfterARecordWithoutDataHoldsNoThread() throws Exception {
        assertLingersWithoutAThread(tls -> new byte[][] {tls.record("x".repeat(100)), tls.keyUpdates(1)});
    }

    /** What a client sends after the last response, made with its engine. */
    private interface AfterResponse {
        byte[][] records(EngineTlsClient tls) throws Exception;
    }

    private static void assertLingersWithoutAThread(AfterResponse after) throws Exception {
        JsseSslAdapter adapter = new JsseSslAdapter(config);
        long threadsBefore = LiveThreads.runningIn(HttpConnection.class);
        try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "served"),
                b -> b.sslAdapter(adapter).maxRequestsPerConnection(1));
             EngineTlsClient tls = EngineTlsClient.connect(client, server.port())) {
            byte[] request = tls.record(get("/"));
            byte[][] records = after.records(tls); // wrapped in order: records carry sequence numbers
            tls.send(request);
            assertTrue(tls.readUntil("served").startsWith("HTTP/1.1 200 OK"));
            long readBefore = server.server().statistics().bytesRead();
            tls.send(records);
            long sent = Arrays.stream(records).mapToLong(r -> r.length).sum();
            Poll.until(() -> server.server().statistics().bytesRead() - readBefore, n -> n >= sent, "what was sent read");
            if (!ReadinessLoop.supported()) {
                // Below JDK 24 a lingering close waits with a thread (connections wait on readiness
                // loops from JDK 24 on): that thread goes, with the connection, at the linger deadline.
                Poll.until(() -> server.server().openConnections(), n -> n == 0, "the close at the linger deadline");
                Poll.until(() -> LiveThreads.runningIn(HttpConnection.class), n -> n <= threadsBefore,
                        "no thread left in the connection after its close");
                return;
            }
            Poll.until(() -> LiveThreads.runningIn(HttpConnection.class) <= threadsBefore
                    || server.server().openConnections() == 0, done -> done, "no thread in the connection, or its close");
            assertEquals(1, server.server().openConnections(),
                    "a thread stayed in the connection until its close at the linger deadline");
        }
    }

    @Test
    void wholePipelinedRecordIsStillServed() throws Exception {
        try (TestServer server = start(Duration.ofSeconds(1), Duration.ofSeconds(30));
             EngineTlsClient tls = EngineTlsClient.connect(client, server.port())) {
            tls.send(tls.record(get("/")), tls.record(get("/second")));
            String both = tls.readUntil("served");
            while (both.split("served", -1).length < 3) both += tls.readUntil("served"); // bounded by the socket timeout
            assertEquals(2, both.split("HTTP/1.1 200 OK", -1).length - 1, both);
            assertTrue(tls.awaitClosedByServer(), "not closed at the keep-alive timeout after the pipelined requests");
        }
    }
}
