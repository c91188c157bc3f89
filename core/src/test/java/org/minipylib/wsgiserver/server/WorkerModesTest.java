package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Both worker modes under concurrent load: no request lost, idle keep-alive connections hold no
 * worker, and a full server answers 503 at once instead of hanging.
 */
class WorkerModesTest {

    private static final WsgiApp ECHO_PATH = (env, sr) -> {
        byte[] body = (env.pathInfo() + "?" + env.queryString()).getBytes(StandardCharsets.ISO_8859_1);
        sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
        return List.of(body);
    };

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void thousandRequestsOverFiftyConnectionsAllAnswered(WorkerMode mode) throws Exception {
        try (TestServer server = TestServer.start(ECHO_PATH, b -> b.workerMode(mode).minThreads(4).maxThreads(16))) {
            ExecutorService clients = Executors.newFixedThreadPool(50);
            try {
                runFiftyClients(server, clients);
            } finally {
                clients.shutdownNow();
            }
        }
    }

    private static void runFiftyClients(TestServer server, ExecutorService clients) throws Exception {
        AtomicInteger ok = new AtomicInteger();
        List<Future<?>> futures = new ArrayList<>();
        for (int c = 0; c < 50; c++) {
            int conn = c;
            futures.add(clients.submit(() -> {
                try (RawClient client = server.connect()) {
                    for (int i = 0; i < 20; i++) {
                        client.send("GET /c" + conn + "?i=" + i + " HTTP/1.1\r\nHost: t\r\n\r\n");
                        RawClient.Response r = client.read();
                        assertEquals(200, r.status());
                        assertEquals("/c" + conn + "?i=" + i, r.bodyText(), "responses match their requests");
                        ok.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : futures) f.get(60, TimeUnit.SECONDS);
        assertEquals(1000, ok.get());
    }

    @Test
    void poolThreadsAboveTheMinimumRetireAfterTheThreadIdleTimeout() throws Exception {
        CountDownLatch entered = new CountDownLatch(3);
        CountDownLatch release = new CountDownLatch(1);
        WsgiApp slow = WsgiTestApps.heldUntil(entered, release);
        try (TestServer server = TestServer.start(slow, b -> b.workerMode(WorkerMode.POOL).minThreads(1).maxThreads(3)
                .threadIdleTimeout(Duration.ofMillis(200)));
             RawClient one = server.connect(); RawClient two = server.connect(); RawClient three = server.connect()) {
            for (RawClient c : List.of(one, two, three)) c.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
            WsgiTestApps.await(entered);
            assertEquals(3, server.server().statistics().threads());
            release.countDown();
            for (RawClient c : List.of(one, two, three)) assertEquals(200, c.read().status());
            Poll.until(() -> server.server().statistics().threads(), n -> n == 1, "the threads above the minimum retiring");
        } finally {
            release.countDown();
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void idleKeepAliveConnectionsDoNotHoldWorkers(WorkerMode mode) throws Exception {
        // Two workers, forty idle keep-alive connections: a new client must still be served. (If idle
        // connections held workers, its requests would wait in the queue until the read timed out.)
        try (TestServer server = TestServer.start(ECHO_PATH, b -> b.workerMode(mode).minThreads(1).maxThreads(2)
                .acceptQueueSize(16))) {
            List<RawClient> idle = new ArrayList<>();
            try {
                for (int i = 0; i < 40; i++) {
                    RawClient c = server.connect();
                    c.send("GET /idle HTTP/1.1\r\nHost: t\r\n\r\n");
                    assertEquals(200, c.read().status());
                    idle.add(c);
                }
                try (RawClient fresh = server.connect()) {
                    for (int i = 0; i < 5; i++) {
                        fresh.send("GET /fresh HTTP/1.1\r\nHost: t\r\n\r\n");
                        assertEquals(200, fresh.read().status());
                    }
                }
                // and the idle ones are still usable
                RawClient first = idle.get(0);
                first.send("GET /again HTTP/1.1\r\nHost: t\r\n\r\n");
                assertEquals("/again?", first.read().bodyText());
            } finally {
                for (RawClient c : idle) c.close();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void fullServerAnswers503Quickly(WorkerMode mode) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        try (TestServer server = startWithOneWorker(mode, entered, release)) {
            try (RawClient busy = server.connect(); RawClient refused = server.connect()) {
                busy.send("GET /block HTTP/1.1\r\nHost: t\r\n\r\n");
                assertTrue(entered.await(10, TimeUnit.SECONDS));
                refused.send("GET /other HTTP/1.1\r\nHost: t\r\n\r\n");
                RawClient.Response r = refused.read();
                assertEquals(503, r.status());
                assertEquals("close", r.header("Connection"));
                // /block holds the only worker until released below (or for 20 s): an answer that
                // waited for the worker would come after /block's 200
                assertEquals(0, server.server().statistics().responses(200, 300), "answered while the only worker was busy");
                release.countDown();
                RawClient.Response done = busy.read();
                assertEquals("done", done.bodyText());
            } finally {
                release.countDown();
            }
            assertEquals(200, statusOnceFree(server, "/other"), "the server recovers");
        }
    }

    /**
     * Monitoring applications mounted on the server answer while every worker is busy (a liveness
     * probe must not fail only because the server is loaded); the application's own paths get the
     * 503, and so do those of an ordinary application mounted beside it ({@code mountApp}); a few
     * such requests at once at most, beyond that the 503 too.
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void monitoringAnswersWhileEveryWorkerIsBusy(WorkerMode mode) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        try (TestServer server = startWithOneWorker(mode, entered, release, b -> b.mount("/health", org.minipylib.wsgiserver.apps.HealthApp::new)
                .mountApp("/files", WsgiTestApps.text("200 OK", "a file")));
             RawClient busy = server.connect(); RawClient probe = server.connect(); RawClient other = server.connect();
             RawClient files = server.connect()) {
            busy.send("GET /block HTTP/1.1\r\nHost: t\r\n\r\n");
            assertTrue(entered.await(10, TimeUnit.SECONDS));
            for (int i = 0; i < 3; i++) { // keep-alive: each request is let in again
                probe.send("GET /health/livez HTTP/1.1\r\nHost: t\r\n\r\n");
                assertEquals(200, probe.read().status(), "liveness while every worker is busy (" + mode + ")");
            }
            other.send("GET /healthy HTTP/1.1\r\nHost: t\r\n\r\n"); // not under /health
            assertEquals(503, other.read().status());
            files.send("GET /files/a.css HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(503, files.read().status(), "a mounted application that is not for monitoring waits its turn");
            release.countDown(); // before the server stops: it would wait for the blocked request
            assertEquals("done", busy.read().bodyText());
        } finally {
            release.countDown();
        }
    }

    /**
     * A server with one worker and no accept queue whose app, for {@code /block}, counts down
     * {@code entered} and holds its worker until {@code release}; anything else answers "done".
     */
    private static TestServer startWithOneWorker(WorkerMode mode, CountDownLatch entered, CountDownLatch release)
            throws Exception {
        return startWithOneWorker(mode, entered, release, b -> b);
    }

    /** As above, with more settings made by {@code more}. */
    private static TestServer startWithOneWorker(WorkerMode mode, CountDownLatch entered, CountDownLatch release,
                                                 java.util.function.UnaryOperator<org.minipylib.wsgiserver.WsgiServer.Builder> more)
            throws Exception {
        WsgiApp blocking = (env, sr) -> {
            if (env.pathInfo().equals("/block")) {
                entered.countDown();
                release.await(20, TimeUnit.SECONDS);
            }
            sr.start("200 OK", List.of());
            return List.of("done".getBytes(StandardCharsets.US_ASCII));
        };
        return TestServer.start(blocking, b -> more.apply(b.workerMode(mode).minThreads(1).maxThreads(1).acceptQueueSize(0)));
    }

    /**
     * RFC 9110 section 9.3.2: the 503 to a HEAD has no content. The head was parsed before the server
     * found no worker for it, so the buffer no longer shows the method; a pipelined HEAD behind a GET
     * must not make the GET's 503 lose its body either.
     */
    @ParameterizedTest
    @CsvSource({"POOL, HEAD", "POOL, GET_THEN_HEAD", "VIRTUAL, HEAD", "VIRTUAL, GET_THEN_HEAD"})
    void fullServerAnswersHeadWith503WithoutContent(WorkerMode mode, String requests) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        try (TestServer server = startWithOneWorker(mode, entered, release)) {
            try (RawClient busy = server.connect(); RawClient refused = server.connect()) {
                busy.send("GET /block HTTP/1.1\r\nHost: t\r\n\r\n");
                assertTrue(entered.await(10, TimeUnit.SECONDS));
                boolean head = requests.equals("HEAD");
                refused.send(head ? "HEAD /other HTTP/1.1\r\nHost: t\r\n\r\n"
                        : "GET /other HTTP/1.1\r\nHost: t\r\n\r\nHEAD /next HTTP/1.1\r\nHost: t\r\n\r\n");
                RawClient.Response r = refused.read(head);
                assertEquals(503, r.status());
                assertEquals("close", r.header("Connection"));
                if (head) {
                    assertTrue(Integer.parseInt(r.header("Content-Length")) > 0);
                } else {
                    assertEquals(Integer.parseInt(r.header("Content-Length")), r.body().length);
                    assertTrue(r.bodyText().contains("too busy"), r.bodyText());
                }
                // isClosedByServer reads one byte: false if anything followed the response
                assertTrue(refused.isClosedByServer(), "nothing may follow the 503");
            } finally {
                release.countDown();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void connectionLimitRefusesExtraConnectionsWith503(WorkerMode mode) throws Exception {
        try (TestServer server = TestServer.start(ECHO_PATH, b -> b.workerMode(mode).maxConnections(2));
             RawClient a = server.connect(); RawClient b = server.connect()) {
            a.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, a.read().status());
            b.send("GET /b HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, b.read().status());
            try (RawClient c = server.connect()) {
                c.send("GET /c HTTP/1.1\r\nHost: t\r\n\r\n");
                assertEquals(503, c.read().status());
                // its request (there when it was accepted: deferAccept) was read first: a clean close, no reset after the 503
                assertEquals(-1, c.input().read(), "the refused connection ends with a FIN");
            }
            a.close();
            assertEquals(200, statusOnceFree(server, "/d"), "once a slot is free, new connections are served again");
        }
    }

    /** Asks on fresh connections until the answer is not 503 (the freed worker or slot may lag the response). */
    private static int statusOnceFree(TestServer server, String path) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        int status = 0;
        while (System.nanoTime() < deadline) {
            try (RawClient c = server.connect()) {
                c.send("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n");
                status = c.read().status();
            }
            if (status != 503) break;
            Thread.sleep(20);
        }
        return status;
    }
}
