package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.minipylib.wsgiserver.testing.RawClient;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An executor given to {@code setExecutor} runs the handlers, as on the JDK's server: on its
 * threads (what they carry, thread locals or a context, is the handler's), as many at once as it
 * runs (a single-thread executor serves one exchange at a time); what a handler throws there is
 * answered as on a worker (500), and an executor that refuses an exchange gets its client a 503.
 */
@Timeout(30)
class HandlerExecutorTest {

    private static final String GET = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";

    private final ServerFixture servers = new ServerFixture();
    private final List<ExecutorService> executors = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.close();
        executors.forEach(ExecutorService::shutdownNow);
    }

    private ExecutorService track(ExecutorService executor) {
        executors.add(executor);
        return executor;
    }

    @Test
    void handlersRunOnTheExecutorsThreads() throws IOException {
        HttpServer server = servers.ours();
        ExecutorService executor = track(Executors.newSingleThreadExecutor(r -> new Thread(r, "app-executor")));
        server.setExecutor(executor);
        server.createContext("/", t -> TestHandlers.send(t, 200, 0, Thread.currentThread().getName()));
        server.start();
        assertSame(executor, server.getExecutor());
        assertThrows(IllegalStateException.class, () -> server.setExecutor(null));
        try (RawClient c = new RawClient("127.0.0.1", ServerFixture.port(server))) {
            for (int i = 0; i < 3; i++) { // keep-alive: each request's handler on the executor
                assertEquals("app-executor", c.send(GET).read().bodyText());
            }
        }
    }

    @Test
    void aSingleThreadExecutorServesOneExchangeAtATime() throws Exception {
        HttpServer server = servers.ours();
        server.setExecutor(track(Executors.newSingleThreadExecutor()));
        AtomicInteger inHandler = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        server.createContext("/", t -> {
            mostAtOnce.accumulateAndGet(inHandler.incrementAndGet(), Math::max);
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            inHandler.decrementAndGet();
            TestHandlers.send(t, 200, 0, "one at a time");
        });
        server.start();
        int port = ServerFixture.port(server);
        List<CompletableFuture<String>> answers = new ArrayList<>();
        ExecutorService clients = track(Executors.newVirtualThreadPerTaskExecutor());
        for (int i = 0; i < 4; i++) {
            answers.add(CompletableFuture.supplyAsync(() -> {
                try (RawClient c = new RawClient("127.0.0.1", port)) {
                    return c.send(GET).read().bodyText();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, clients));
        }
        for (CompletableFuture<String> answer : answers) assertEquals("one at a time", answer.get(20, TimeUnit.SECONDS));
        assertEquals(1, mostAtOnce.get(), "the executor's one thread ran every handler, one after the other");
    }

    @Test
    void aHandlerThatThrowsOnTheExecutorGetsA500AndTheConnectionGoesOn() throws IOException {
        HttpServer server = servers.ours();
        server.setExecutor(track(Executors.newFixedThreadPool(2)));
        AtomicInteger calls = new AtomicInteger();
        server.createContext("/", t -> {
            if (calls.incrementAndGet() == 1) throw new IllegalStateException("a failing handler (expected in this test)");
            TestHandlers.send(t, 200, 0, "second");
        });
        server.start();
        try (RawClient c = new RawClient("127.0.0.1", ServerFixture.port(server))) {
            assertEquals(500, c.send(GET).read().status());
            assertEquals("second", c.send(GET).read().bodyText());
        }
    }

    @Test
    void anExecutorThatRefusesGetsA503() throws IOException {
        HttpServer server = servers.ours();
        AtomicInteger refusals = new AtomicInteger();
        Executor refusing = task -> {
            refusals.incrementAndGet();
            throw new RejectedExecutionException("full (expected in this test)");
        };
        server.setExecutor(refusing);
        server.createContext("/", t -> TestHandlers.send(t, 200, 0, "never"));
        server.start();
        try (RawClient c = new RawClient("127.0.0.1", ServerFixture.port(server))) {
            RawClient.Response r = c.send(GET).read();
            assertEquals(503, r.status());
            assertTrue(r.bodyText().contains("refused"), r.bodyText());
        }
        assertEquals(1, refusals.get());
    }
}
