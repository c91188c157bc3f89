package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clients that are slow or odd must not take workers from others, and applications that misbehave
 * in small ways must not cost the client its response.
 */
class SlowAndMisbehavingClientsTest {

    private static final WsgiApp OK = (env, sr) -> {
        sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
        return List.of(("ok " + env.pathInfo()).getBytes(StandardCharsets.US_ASCII));
    };

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void clientsTricklingTheirHeadHoldNoWorker(WorkerMode mode) throws Exception {
        // Two workers and no queue: if a started-but-unfinished head held a worker, the third
        // client would get 503. The head is read before a worker is taken.
        try (TestServer server = TestServer.start(OK, b -> b.workerMode(mode).minThreads(1).maxThreads(2).acceptQueueSize(0))) {
            List<RawClient> tricklers = new ArrayList<>();
            try {
                for (int i = 0; i < 10; i++) {
                    RawClient c = server.connect();
                    c.send("GET /slow HTTP/1.1\r\nHo");
                    tricklers.add(c);
                }
                // Every trickler accepted (on a busy machine the listener may lag), then a moment for
                // their first bytes to be read: only then does the fresh request prove anything.
                awaitOpenConnections(server, 10);
                Thread.sleep(100);
                try (RawClient fresh = server.connect()) {
                    fresh.send("GET /fresh HTTP/1.1\r\nHost: t\r\n\r\n");
                    assertEquals("ok /fresh", fresh.read().bodyText());
                }
                RawClient first = tricklers.get(0);
                first.send("st: t\r\n\r\n"); // the head completes: it is served normally
                assertEquals("ok /slow", first.read().bodyText());
            } finally {
                for (RawClient c : tricklers) c.close();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aSlowButSteadyReaderIsNotCutOffByTheWriteTimeout(WorkerMode mode) throws Exception {
        byte[] big = new byte[3 << 20];
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", List.of(Header.of("Content-Type", "application/octet-stream")));
            return List.of(big); // one 3 MiB piece: written in one go by the application
        };
        // The transfer below takes about 3 s (32 KiB per 30 ms): longer than the write timeout, which
        // still leaves room for a reader descheduled for a while on a busy machine.
        Duration writeTimeout = Duration.ofMillis(1500);
        HttpTimeouts timeouts = HttpTimeouts.defaults().withWrite(writeTimeout);
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode).timeouts(timeouts));
             Socket socket = new Socket()) {
            socket.setReceiveBufferSize(64 * 1024);
            socket.setSoTimeout(10_000);
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[32 * 1024];
            long total = 0;
            long started = System.nanoTime();
            while (true) { // about 1 MB/s: the transfer takes longer than the write timeout, but never stalls
                int n = in.read(buf);
                if (n < 0) break;
                total += n;
                if (total >= big.length) break;
                Thread.sleep(30);
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertTrue(total >= big.length, "got " + total + " bytes in " + millis + " ms; the body must arrive whole");
            assertTrue(millis > writeTimeout.toMillis(), "the transfer (" + millis + " ms) outlasted the write timeout");
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void anInterruptFlagLeftByTheApplicationDoesNotLoseTheResponse(WorkerMode mode) throws Exception {
        WsgiApp app = (env, sr) -> {
            Thread.currentThread().interrupt(); // e.g. the catch-InterruptedException idiom
            sr.start("200 OK", List.of());
            return List.of("still here".getBytes(StandardCharsets.US_ASCII));
        };
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode)); RawClient client = server.connect()) {
            for (int i = 0; i < 3; i++) {
                client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                assertEquals("still here", client.read().bodyText());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aPipelinedResponseIsNotHeldBackWhileTheNextRequestRuns(WorkerMode mode) throws Exception {
        CountDownLatch firstReceived = new CountDownLatch(1);
        WsgiApp app = (env, sr) -> {
            if (env.pathInfo().equals("/slow")) firstReceived.await(10, TimeUnit.SECONDS);
            return OK.call(env, sr);
        };
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode)); RawClient client = server.connect()) {
            client.send("GET /fast HTTP/1.1\r\nHost: t\r\n\r\nGET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
            client.timeout(5_000);
            assertEquals("ok /fast", client.read().bodyText(), "sent while /slow was still running");
            firstReceived.countDown();
            assertEquals("ok /slow", client.read().bodyText());
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aStrayEmptyLineAfterARequestDoesNotShortenKeepAlive(WorkerMode mode) throws Exception {
        HttpTimeouts timeouts = HttpTimeouts.defaults().withRequestHead(Duration.ofMillis(300)).withKeepAlive(Duration.ofSeconds(10));
        try (TestServer server = TestServer.start(OK, b -> b.workerMode(mode).timeouts(timeouts));
             RawClient client = server.connect()) {
            client.send("GET /one HTTP/1.1\r\nHost: t\r\n\r\n\r\n"); // an extra CRLF, as some old clients send
            assertEquals("ok /one", client.read().bodyText());
            Thread.sleep(600); // longer than the head timeout
            Poll.until(server.server()::busyWorkers, n -> n == 0, "no worker held by the idle connection");
            client.send("GET /two HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals("ok /two", client.read().bodyText());
        }
    }

    /**
     * At the shutdown timeout, a request still waiting for a worker never reached the application:
     * it gets a 503 with Retry-After (its client may send it again), not the bare close of a request
     * the application was running; and it never runs.
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void requestsWaitingForAWorkerAtStopAreAnswered503AndNeverRun(WorkerMode mode) throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        AtomicInteger lateCalls = new AtomicInteger();
        WsgiApp app = (env, sr) -> {
            if (env.pathInfo().equals("/block")) {
                entered.countDown();
                Thread.sleep(20_000); // interrupted by the forced stop
            } else {
                lateCalls.incrementAndGet();
            }
            return OK.call(env, sr);
        };
        WsgiServer server = WsgiServer.builder(app).bind("127.0.0.1", 0).workerMode(mode).minThreads(1).maxThreads(1)
                .acceptQueueSize(8).shutdownTimeout(Duration.ofMillis(300)).build().start();
        try (RawClient blocker = new RawClient("127.0.0.1", server.port());
             RawClient waiter = new RawClient("127.0.0.1", server.port())) {
            blocker.send("GET /block HTTP/1.1\r\nHost: t\r\n\r\n");
            assertTrue(entered.await(10, TimeUnit.SECONDS));
            waiter.send("GET /late HTTP/1.1\r\nHost: t\r\n\r\n");
            awaitOpenConnections(server, 2); // the waiter is accepted (the listener may lag on a busy machine)
            Poll.until(server::statistics, st -> st.queued() == 1, "the late request waiting for the only worker");
            server.stop(); // its shutdown timeout passes with /block running and /late waiting
            RawClient.Response answer = waiter.read();
            assertEquals(503, answer.status());
            assertEquals("1", answer.header("Retry-After"));
            assertEquals("close", answer.header("Connection"));
            assertTrue(answer.bodyText().contains("stopping"), answer.bodyText());
            assertTrue(waiter.isClosedByServer());
            assertTrue(blocker.isClosedByServer(), "the running request is cut");
            Thread.sleep(300); // a negative check: time for the dropped request to run, were it ever to
            assertEquals(0, lateCalls.get(), "a request still waiting when the server stopped is never run");
        } finally {
            server.stop();
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void anApplicationMayStartItsResponseBeforeReadingTheBody(WorkerMode mode) throws Exception {
        WsgiApp app = (env, sr) -> {
            var write = sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            write.write("reading: ".getBytes(StandardCharsets.US_ASCII)); // the response starts first
            byte[] body = env.input().readAllBytes();
            return List.of(("got " + body.length + " bytes, first=" + (char) body[0]).getBytes(StandardCharsets.US_ASCII));
        };
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode)); RawClient client = server.connect()) {
            client.send("POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + "A".repeat(1000));
            assertEquals("reading: got 1000 bytes, first=A", client.read().bodyText());
            StringBuilder chunked = new StringBuilder("POST /b HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
            for (int i = 0; i < 25; i++) chunked.append("1000\r\n").append("C".repeat(4096)).append("\r\n");
            chunked.append("0\r\n\r\n");
            client.send(chunked.toString());
            assertEquals("reading: got 102400 bytes, first=C", client.read().bodyText());
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void theResponseIsNotHeldBackByABodyTheClientSendsLater(WorkerMode mode) throws Exception {
        // A client may wait for the start of the response before it sends its body.
        WsgiApp app = (env, sr) -> {
            var write = sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            write.write("go\n".getBytes(StandardCharsets.US_ASCII));
            return List.of(env.input().readAllBytes());
        };
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode)); Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000); // a server waiting for the body would hold "go" for the 30 s body-read timeout
            socket.getOutputStream().write("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            StringBuilder seen = new StringBuilder();
            while (!seen.toString().contains("go\n")) { // fails with a timeout if the server waits for the body first
                int c = in.read();
                if (c < 0) throw new AssertionError("closed: " + seen);
                seen.append((char) c);
            }
            socket.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            while (!seen.toString().contains("hello")) { // the echoed body follows
                int c = in.read();
                if (c < 0) throw new AssertionError("closed: " + seen);
                seen.append((char) c);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void stopDoesNotWaitOutTheShutdownTimeoutForAClientThatStoppedReading(WorkerMode mode) throws Exception {
        byte[] big = new byte[16 << 20];
        CountDownLatch answering = new CountDownLatch(1);
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", List.of());
            answering.countDown();
            return List.of(big);
        };
        WsgiServer server = WsgiServer.builder(app).bind("127.0.0.1", 0).workerMode(mode)
                .timeouts(HttpTimeouts.defaults().withWrite(Duration.ofMillis(500)))
                .shutdownTimeout(Duration.ofSeconds(20)).build().start();
        try (Socket stalled = new Socket()) {
            stalled.setReceiveBufferSize(16 * 1024);
            stalled.connect(new InetSocketAddress("127.0.0.1", server.port()));
            stalled.getOutputStream().write("GET / HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            // Not busyWorkers() > 0: with virtual threads a write that waits for its client lends its
            // turn back, so no worker shows busy while it stalls. Stopped as soon as the application
            // has answered, the server drains with the 16 MiB write stalling (well within its 0.5 s).
            assertTrue(answering.await(10, TimeUnit.SECONDS), "the application answered");
            long start = System.nanoTime();
            server.stop(); // the write timeout still applies while draining
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertTrue(seconds < 10, "stop() took " + seconds + " s; the stalled write should be cut after 0.5 s");
        } finally {
            server.stop();
        }
    }

    @org.junit.jupiter.api.Test
    void aRequestThatArrivedBeforeTheKeepAliveDeadlineIsServedEvenIfItsThreadRunsLate() throws Exception {
        // Virtual threads: CPU-bound requests occupy every carrier thread, so the idle connection's
        // reader cannot run when its next request arrives. The watchdog must not close it then.
        int carriers = Integer.getInteger("jdk.virtualThreadScheduler.parallelism", Runtime.getRuntime().availableProcessors());
        java.util.concurrent.atomic.AtomicBoolean spin = new java.util.concurrent.atomic.AtomicBoolean(true);
        CountDownLatch spinning = new CountDownLatch(carriers);
        WsgiApp app = (env, sr) -> {
            if (env.pathInfo().equals("/spin")) {
                spinning.countDown();
                while (spin.get()) Thread.onSpinWait(); // never yields its carrier
            }
            return OK.call(env, sr);
        };
        HttpTimeouts timeouts = HttpTimeouts.defaults().withKeepAlive(Duration.ofMillis(1000));
        try (TestServer server = TestServer.start(app, b -> b.workerMode(WorkerMode.VIRTUAL).timeouts(timeouts));
             RawClient idle = server.connect()) {
            // Taken before /first is sent: the server's keep-alive deadline starts later than this
            // (once it has answered), however late this thread reads the answer.
            long idleSince = System.nanoTime();
            idle.send("GET /first HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals("ok /first", idle.read().bodyText());
            List<RawClient> spinners = new ArrayList<>();
            try {
                for (int i = 0; i < carriers; i++) {
                    RawClient c = server.connect();
                    c.send("GET /spin HTTP/1.1\r\nHost: t\r\n\r\n");
                    spinners.add(c);
                }
                spinning.await(10, TimeUnit.SECONDS);
                idle.send("GET /second HTTP/1.1\r\nHost: t\r\n\r\n"); // well before the deadline
                // Measured once the request is sent: a test thread descheduled between a check and the
                // send could otherwise send after the deadline, and the test would fail for nothing.
                long sinceMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - idleSince);
                org.junit.jupiter.api.Assumptions.assumeTrue(sinceMillis < 600, "machine too slow to set the scene");
                Thread.sleep(1500); // the deadline passes while no carrier is free
                spin.set(false);
                assertEquals("ok /second", idle.read().bodyText());
            } finally {
                spin.set(false);
                for (RawClient c : spinners) c.close();
            }
        }
    }

    /** Waits (bounded) until the server has registered {@code n} connections. */
    private static void awaitOpenConnections(TestServer server, int n) throws InterruptedException {
        awaitOpenConnections(server.server(), n);
    }

    private static void awaitOpenConnections(WsgiServer server, int n) throws InterruptedException {
        int open = Poll.until(server::openConnections, c -> c >= n, n + " connections accepted");
        assertEquals(n, open, "connections accepted");
    }
}
