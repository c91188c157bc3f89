package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * AccessLogEntry.durationNanos (the JSON format's request_time) is documented as "from the complete
 * request head to the end of the response": a request that waited in the accept queue for a pool
 * thread waited after its head was complete.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AccessLogQueueWaitTest {

    @Disabled("defect left open: in POOL mode the duration starts when a worker takes the request, so the queue wait"
            + " is missing from request_time (0.000 for a request the client waited 500 ms for) and time is late by it")
    @Test
    void aRequestQueuedForAWorkerCountsItsWaitInItsDuration() throws Exception {
        WsgiApp app = (env, sr) -> {
            if (env.pathInfo().equals("/slow")) {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of("ok".getBytes(StandardCharsets.US_ASCII));
        };
        List<AccessLogEntry> entries = new CopyOnWriteArrayList<>();
        try (TestServer server = TestServer.start(app, b -> b.workerMode(WorkerMode.POOL).minThreads(1).maxThreads(1)
                .accessLog(entries::add));
             RawClient a = server.connect(); RawClient b = server.connect()) {
            a.timeout(10_000);
            b.timeout(10_000);
            a.send(get("/slow"));
            Thread.sleep(100); // /slow holds the only pool thread
            long sent = System.nanoTime();
            b.send(get("/fast"));
            assertEquals(200, b.read().status());
            long waited = System.nanoTime() - sent;
            assertTrue(waited >= 300_000_000L, "the fast request waited for the pool thread: " + waited / 1_000_000 + " ms");
            a.read();
            Poll.until(entries::size, n -> n == 2, "both logged");
            AccessLogEntry fast = entries.stream().filter(e -> e.requestLine().startsWith("GET /fast")).findFirst().orElseThrow();
            assertTrue(fast.durationNanos() >= 300_000_000L, "its duration covers the wait for the worker: "
                    + fast.durationNanos() / 1_000_000 + " ms, client saw " + waited / 1_000_000 + " ms; " + fast.jsonFormat());
        }
    }
}
