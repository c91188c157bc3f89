package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * The duration of a request (the access log's, the JSON format's {@code request_time}, the latency
 * histogram's) runs from its complete head: a request that waited for a worker (pool mode's queue,
 * virtual mode's turn under {@code maxThreads}) has that wait in its duration, and its time is when
 * its head arrived, not when a worker took it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AccessLogQueueWaitTest {

    /** What {@code /slow} does while it holds its worker or turn. */
    private interface Hold {
        void hold() throws InterruptedException;
    }

    /** Answers "ok"; {@code /slow} first counts {@code entered} down and holds. */
    private static WsgiApp holdingSlow(CountDownLatch entered, Hold hold) {
        return (env, sr) -> {
            if (env.pathInfo().equals("/slow")) {
                entered.countDown();
                hold.hold();
            }
            sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of("ok".getBytes(StandardCharsets.US_ASCII));
        };
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aRequestThatWaitedForAWorkerHasTheWaitInItsDuration(WorkerMode mode) throws Exception {
        CountDownLatch slowEntered = new CountDownLatch(1);
        WsgiApp app = holdingSlow(slowEntered, () -> Thread.sleep(500));
        List<AccessLogEntry> entries = new CopyOnWriteArrayList<>();
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode).minThreads(1).maxThreads(1)
                .accessLog(entries::add));
             RawClient a = server.connect(); RawClient b = server.connect()) {
            a.timeout(10_000);
            b.timeout(10_000);
            a.send(get("/slow"));
            assertTrue(slowEntered.await(10, TimeUnit.SECONDS), "/slow holds the only worker");
            Instant sentAt = Instant.now();
            long sent = System.nanoTime();
            b.send(get("/fast"));
            assertEquals(200, b.read().status());
            Poll.until(entries::size, n -> n == 2, "both logged"); // /slow's first: /fast waited for it
            long waited = System.nanoTime() - sent; // /fast's duration ended before its entry was logged
            assertTrue(waited >= 200_000_000L, "the fast request waited for the worker: " + waited / 1_000_000 + " ms");
            a.read();
            AccessLogEntry fast = entries.stream().filter(e -> e.requestLine().startsWith("GET /fast")).findFirst().orElseThrow();
            assertTrue(fast.durationNanos() >= waited - 100_000_000L && fast.durationNanos() <= waited,
                    "its duration covers the wait for the worker: " + fast.durationNanos() / 1_000_000 + " ms, the client saw "
                            + waited / 1_000_000 + " ms; " + fast.jsonFormat());
            Duration early = Duration.between(sentAt, fast.time());
            assertTrue(early.abs().toMillis() < 100, "its time is its arrival, not when a worker took it: " + early);
        }
    }

    /**
     * In virtual mode a request waits for a turn up to the request-head timeout, then gets 503: its
     * entry's duration has that wait too (it had 0).
     */
    @Test
    void aRequestRefusedAfterWaitingForATurnHasTheWaitInItsDuration() throws Exception {
        CountDownLatch slowEntered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        WsgiApp app = holdingSlow(slowEntered, () -> release.await(10, TimeUnit.SECONDS));
        List<AccessLogEntry> entries = new CopyOnWriteArrayList<>();
        try (TestServer server = TestServer.start(app, b -> b.workerMode(WorkerMode.VIRTUAL).maxThreads(1).acceptQueueSize(1)
                .timeouts(HttpTimeouts.defaults().withRequestHead(Duration.ofMillis(300))).accessLog(entries::add));
             RawClient a = server.connect(); RawClient b = server.connect()) {
            a.timeout(10_000);
            b.timeout(10_000);
            a.send(get("/slow"));
            assertTrue(slowEntered.await(10, TimeUnit.SECONDS), "/slow holds the only turn");
            long sent = System.nanoTime();
            b.send(get("/refused"));
            assertEquals(503, b.read().status());
            Poll.until(entries::size, n -> n == 1, "the refusal logged");
            long waited = System.nanoTime() - sent; // its duration ended before its entry was logged
            AccessLogEntry refused = entries.get(0);
            release.countDown();
            a.read();
            assertTrue(refused.durationNanos() >= 250_000_000L && refused.durationNanos() <= waited,
                    "its duration covers the wait for a turn: " + refused.durationNanos() / 1_000_000 + " ms, the client saw "
                            + waited / 1_000_000 + " ms; " + refused.jsonFormat());
        }
    }
}
