package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.ServerState;
import org.minipylib.wsgiserver.ServerStats;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.http.HttpLimits;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.post;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.textPlain;

/** WsgiServer.statistics() counts what really went over the wire: connections, requests, bytes, statuses, latency, gauges. */
class ServerStatisticsTest {

    private static final WsgiApp APP = (env, sr) -> switch (env.pathInfo()) {
        case "/ok" -> {
            sr.start("200 OK", textPlain());
            yield List.of("hello".getBytes(StandardCharsets.US_ASCII));
        }
        case "/echo" -> {
            byte[] body = env.input().readAllBytes();
            sr.start("200 OK", textPlain());
            yield List.of(body);
        }
        case "/big" -> { // head and first piece go out in one gathering write, the rest after it
            sr.start("200 OK", textPlain());
            yield List.of(new byte[100_000], new byte[70_000]);
        }
        case "/boom" -> throw new IllegalStateException("a failing application (expected in this test)");
        default -> {
            sr.start("404 Not Found", textPlain());
            yield List.of("no".getBytes(StandardCharsets.US_ASCII));
        }
    };

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void countsConnectionsRequestsExactBytesStatusesAndLatency(WorkerMode mode) throws Exception {
        try (TestServer server = TestServer.start(APP, b -> b.workerMode(mode))) {
            String pipelined = get("/ok") + get("/missing") + get("/boom") + post("/echo", "x".repeat(1000))
                    + get("/ok", "Connection: close\r\n");
            String garbage = "GARBAGE\r\n\r\n";
            long written = 0;
            try (RawClient a = server.connect()) {
                a.send(pipelined);
                written += a.readToEnd().length;
            }
            try (RawClient b = server.connect()) {
                b.send(garbage);
                written += b.readToEnd().length;
            }
            WsgiServer s = server.server();
            ServerStats stats = Poll.until(s::statistics, st -> st.requests() == 6 && st.openConnections() == 0,
                    "six responses and no open connection");

            assertEquals(ServerState.RUNNING, stats.state());
            assertEquals(2, stats.accepts());
            assertEquals(0, stats.refusedConnections());
            assertEquals(0, stats.busyRefusals());
            assertEquals(0, stats.retiredConnections());
            assertEquals(0, stats.tlsHandshakeFailures() + stats.tlsHandshakeTimeouts() + stats.proxyProtocolFailures());
            assertEquals(Map.of(200, 3L, 400, 1L, 404, 1L, 500, 1L), stats.responsesByStatus());
            assertEquals(1, stats.responses(500, 600));
            assertEquals(pipelined.length() + garbage.length(), stats.bytesRead(), "every byte the clients sent");
            assertEquals(written, stats.bytesWritten(), "every byte the clients received");
            assertEquals(5, stats.latency().count(), "the five requests that reached the application; the 400 did not");
            assertEquals(stats.latency().count(), stats.latency().cumulativeCount(stats.latency().upperBounds().size()));
            assertTrue(stats.workTime().toNanos() > 0);
            assertEquals(stats.workTime().toNanos() / 1e9, stats.latency().sumSeconds(), 1e-9);
            assertEquals(0, stats.busyWorkers());
            assertEquals(0, stats.queued());
            assertEquals(0, stats.socketErrors());
            assertNotNull(stats.startedAt());
            assertTrue(stats.uptime().toNanos() > 0);
        }
    }

    /**
     * A body over the limit is refused (413) before the application sees it: counted by status as
     * the server's other refusals (the 400 above), with no latency of a request served.
     */
    @Test
    void aBodyOverTheLimitIsARefusalWithoutLatency() throws Exception {
        try (TestServer server = TestServer.start(APP, b -> b.limits(HttpLimits.defaults().withMaxBodySize(100)))) {
            try (RawClient a = server.connect(); RawClient b = server.connect()) {
                a.send(get("/ok"));
                assertEquals(200, a.read().status());
                b.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n" + "x".repeat(101));
                assertEquals(413, b.read().status());
            }
            ServerStats stats = Poll.until(server.server()::statistics, st -> st.requests() == 2 && st.openConnections() == 0,
                    "two responses and no open connection");
            assertEquals(Map.of(200, 1L, 413, 1L), stats.responsesByStatus());
            assertEquals(1, stats.latency().count(), "only the request that reached the application");
            assertEquals(stats.workTime().toNanos() / 1e9, stats.latency().sumSeconds(), 1e-9);
        }
    }

    /**
     * Large responses leave through gathering writes (head and body piece in one call): every byte
     * counts, whether the connection reads its first request (blocking) or a later one after an
     * idle wait (in virtual-thread mode, on the readiness loop, where reads and writes take another path).
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void countsEveryByteOfLargeResponses(WorkerMode mode) throws Exception {
        try (TestServer server = TestServer.start(APP, b -> b.workerMode(mode))) {
            String first = get("/big");
            String second = get("/big", "Connection: close\r\n");
            long received;
            try (RawClient client = server.connect()) {
                client.send(first);
                received = responseLength(client.input()); // read whole before the next request: the connection waits idle
                client.send(second);
                received += client.readToEnd().length;
            }
            assertTrue(received > 2 * 170_000, "both bodies arrived: " + received);
            WsgiServer s = server.server();
            ServerStats stats = Poll.until(s::statistics, st -> st.requests() == 2 && st.openConnections() == 0,
                    "two responses and no open connection");
            assertEquals(first.length() + second.length(), stats.bytesRead());
            assertEquals(received, stats.bytesWritten());
        }
    }

    /** Reads one response with a Content-Length from {@code in}; returns its size in bytes, head included. */
    private static long responseLength(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) throw new IOException("closed in the head: " + head);
            head.append((char) c);
        }
        long length = head.toString().lines().filter(l -> l.regionMatches(true, 0, "Content-Length:", 0, 15))
                .mapToLong(l -> Long.parseLong(l.substring(15).trim())).findFirst().orElseThrow();
        long left = length;
        while (left > 0) {
            long n = in.skip(left);
            if (n <= 0 && in.read() < 0) throw new IOException("closed in the body");
            left -= Math.max(n, 1);
        }
        return head.length() + length;
    }

    /** A UNIX socket connection counts its bytes too. */
    @Test
    void countsTheBytesOfUnixSocketConnections(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("stats.sock");
        String request = get("/big", "Connection: close\r\n");
        try (WsgiServer s = WsgiServer.builder(APP).bind(UnixDomainSocketAddress.of(socket)).build().start()) {
            String response = UnixDomainSocketTest.exchange(socket, request);
            assertTrue(response.startsWith("HTTP/1.1 200 OK"), response.lines().findFirst().orElse(""));
            ServerStats stats = Poll.until(s::statistics, st -> st.requests() == 1 && st.openConnections() == 0,
                    "one response and no open connection");
            assertEquals(request.length(), stats.bytesRead());
            assertEquals(response.length(), stats.bytesWritten());
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void gaugesShowBusyWorkersAndTheQueue(WorkerMode mode) throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        WsgiApp slow = WsgiTestApps.heldUntil(entered, release);
        try (TestServer server = TestServer.start(slow, b -> b.workerMode(mode).minThreads(1).maxThreads(1)
                .acceptQueueSize(4));
             RawClient first = server.connect(); RawClient second = server.connect()) {
            first.send(get("/one"));
            WsgiTestApps.await(entered);
            second.send(get("/two"));
            WsgiServer s = server.server();
            ServerStats stats = Poll.until(s::statistics, st -> st.queued() == 1, "the second request queued");
            assertEquals(1, stats.busyWorkers());
            assertEquals(2, stats.openConnections());
            assertTrue(stats.threads() >= 1, "threads: " + stats.threads());
            release.countDown();
            assertEquals(200, first.read().status());
            assertEquals(200, second.read().status());
            stats = Poll.until(s::statistics, st -> st.busyWorkers() == 0 && st.requests() == 2, "both served");
            assertEquals(0, stats.queued());
        } finally {
            release.countDown();
        }
    }

    /** ...and as the response it was (its status), as far as it got: the access log has it too. */
    @Test
    void aClientThatLeavesMidResponseCountsAsASocketError() throws Exception {
        WsgiApp endless = (env, sr) -> {
            sr.start("200 OK", textPlain());
            return () -> new Iterator<>() {
                private int left = 16 * 1024; // 1 GiB at most, in 64 KiB chunks: far more than any socket buffer

                @Override
                public boolean hasNext() {
                    return left > 0;
                }

                @Override
                public byte[] next() {
                    left--;
                    return new byte[64 * 1024];
                }
            };
        };
        try (TestServer server = TestServer.start(endless)) {
            try (RawClient client = server.connect()) {
                client.send(get("/forever"));
                client.readLine(); // the response has started
                client.socket().setSoLinger(true, 0); // close with a reset
            }
            ServerStats stats = Poll.until(server.server()::statistics, st -> st.socketErrors() == 1, "a socket error");
            stats = Poll.until(server.server()::statistics, st -> st.requests() == 1, "the cut response counted");
            assertEquals(1L, stats.responsesByStatus().get(200));
        }
    }

    /**
     * A reset in the middle of a request body, on a keep-alive connection (whose reads are the
     * server's own {@code recv} calls in virtual mode), is a socket error: no 400 for a body that
     * "ended early", in either worker mode.
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aClientResetMidBodyIsASocketErrorNotABadRequest(WorkerMode mode) throws Exception {
        CountDownLatch reading = new CountDownLatch(1);
        WsgiApp echo = (env, sr) -> {
            byte[] first = env.input().readNBytes(1000);
            reading.countDown();
            byte[] rest = env.input().readAllBytes();
            sr.start("200 OK", textPlain());
            return List.of(first, rest);
        };
        try (TestServer server = TestServer.start(echo, b -> b.workerMode(mode))) {
            try (RawClient client = server.connect()) {
                client.send(get("/ok"));
                assertEquals(200, client.read().status()); // the connection now waits on the readiness loop
                client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n" + "x".repeat(5000));
                assertTrue(reading.await(10, TimeUnit.SECONDS), "the application reads the body");
                client.socket().setSoLinger(true, 0); // close with a reset
            }
            ServerStats stats = Poll.until(server.server()::statistics, st -> st.socketErrors() == 1, "a socket error");
            assertEquals(0, stats.responses(400, 401), "no 400 for a body cut by a reset");
            assertEquals(1, stats.requests(), "only the first request was answered");
        }
    }

    @Test
    void aConnectionRefusedOverTheLimitIsCountedAsA503() throws Exception {
        try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "hi"), b -> b.maxConnections(1));
             RawClient kept = server.connect()) {
            kept.send(get("/"));
            assertEquals(200, kept.read().status());
            try (RawClient refused = server.connect()) {
                assertEquals(503, refused.read().status());
            }
            ServerStats stats = Poll.until(server.server()::statistics, st -> st.requests() == 2, "two responses");
            assertEquals(2, stats.accepts());
            assertEquals(Map.of(200, 1L, 503, 1L), stats.responsesByStatus());
        }
    }

    @Test
    void aRequestRefusedBecauseEveryWorkerIsBusyIsCountedAsA503() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        WsgiApp slow = WsgiTestApps.heldUntil(entered, release);
        try (TestServer server = TestServer.start(slow, b -> b.workerMode(WorkerMode.POOL).minThreads(1).maxThreads(1)
                .acceptQueueSize(0));
             RawClient busy = server.connect(); RawClient refused = server.connect()) {
            busy.send(get("/slow"));
            WsgiTestApps.await(entered);
            refused.send(get("/refused"));
            RawClient.Response busyResponse = refused.read();
            assertEquals(503, busyResponse.status());
            assertEquals("1", busyResponse.header("Retry-After"));
            release.countDown();
            assertEquals(200, busy.read().status());
            ServerStats stats = Poll.until(server.server()::statistics, st -> st.requests() == 2, "two responses");
            assertEquals(Map.of(200, 1L, 503, 1L), stats.responsesByStatus());
            assertEquals(1, stats.latency().count(), "only the served request has a latency");
        } finally {
            release.countDown();
        }
    }

    @Test
    void statisticsExistBeforeStartAndAfterStop() throws IOException {
        WsgiServer server = WsgiServer.builder(WsgiTestApps.text("200 OK", "hi")).bind("127.0.0.1", 0).build();
        ServerStats before = server.statistics();
        assertEquals(ServerState.NEW, before.state());
        assertNull(before.startedAt());
        assertEquals(Duration.ZERO, before.uptime());
        assertEquals(0, before.requests());
        try {
            server.start();
            assertEquals(ServerState.RUNNING, server.statistics().state());
        } finally {
            server.stop();
        }
        assertEquals(ServerState.STOPPED, server.statistics().state());
        assertEquals(ServerState.STOPPED, server.state());
    }
}
