package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.ListenOptions;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * stop() under steady load loses no request the server accepted: every request the application saw
 * gets its whole response, no client gets a response the application did not give, a request in
 * flight when stop() begins finishes with {@code Connection: close}, and nothing stays open. Also
 * behind the PROXY protocol, where a new connection is in setup until its PROXY header is read.
 */
class GracefulDrainUnderLoadTest {

    private static final int CLIENTS = 8;

    /** What a proxy sends first on each connection when the listener expects the PROXY protocol. */
    private static final String PROXY_HEADER = "PROXY TCP4 203.0.113.7 198.51.100.1 40000 443\r\n";

    @ParameterizedTest
    @CsvSource({"POOL, false", "VIRTUAL, false", "POOL, true", "VIRTUAL, true"})
    void stopUnderLoadAnswersEveryRequestItAccepted(WorkerMode mode, boolean proxyProtocol) throws Exception {
        String preamble = proxyProtocol ? PROXY_HEADER : "";
        Set<String> seenByApp = ConcurrentHashMap.newKeySet();
        Set<String> answered = ConcurrentHashMap.newKeySet();
        AtomicInteger unanswered = new AtomicInteger();
        AtomicReference<Throwable> clientError = new AtomicReference<>();
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        WsgiApp app = (env, sr) -> {
            String id = env.queryString();
            seenByApp.add(id);
            if (env.pathInfo().equals("/hold")) {
                holding.countDown();
                release.await(30, TimeUnit.SECONDS);
            } else {
                Thread.sleep(id.hashCode() & 3); // 0-3 ms of "work", so that requests are in flight
            }
            sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of(("done " + id).getBytes(StandardCharsets.US_ASCII));
        };
        WsgiServer server = WsgiServer.builder(app).bind("127.0.0.1", 0).workerMode(mode).maxThreads(32)
                .listenOptions(ListenOptions.defaults().withProxyProtocol(proxyProtocol))
                .shutdownTimeout(Duration.ofSeconds(20)).build().start();
        int port = server.port();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        List<Thread> clients = new ArrayList<>();
        try {
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                clients.add(Thread.ofVirtual().start(() -> {
                    try {
                        runClient(client, port, preamble, deadline, answered, unanswered);
                    } catch (Throwable t) {
                        clientError.compareAndSet(null, t);
                    }
                }));
            }
            // steady load first
            Poll.until(() -> clientError.get() != null || answered.size() >= 300, done -> done, Duration.ofSeconds(60),
                    "300 requests answered under steady load (or a client's failure)");
            assertNull(clientError.get());
            try (RawClient held = new RawClient("127.0.0.1", port)) {
                held.send(preamble + "GET /hold?held HTTP/1.1\r\nHost: t\r\n\r\n");
                assertTrue(holding.await(30, TimeUnit.SECONDS));
                Thread stopping = Thread.ofPlatform().start(server::stop);
                Poll.until(server::isRunning, running -> !running, Duration.ofSeconds(30), "stop() begun");
                release.countDown();
                RawClient.Response r = held.read();
                assertEquals(200, r.status());
                assertEquals("done held", r.bodyText());
                assertEquals("close", r.header("Connection"), "the in-flight request learns the server is closing");
                assertTrue(held.isClosedByServer());
                stopping.join(TimeUnit.SECONDS.toMillis(30));
                assertTrue(!stopping.isAlive(), "stop() returned");
            }
            for (Thread t : clients) t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            assertNull(clientError.get());
            seenByApp.remove("held");
            assertEquals(seenByApp, answered, "every request the application saw was answered, and only those");
            assertTrue(answered.size() >= 300);
            assertEquals(0, server.openConnections());
        } finally {
            release.countDown();
            server.stop();
        }
    }

    /**
     * Sends requests one after another on keep-alive connections until the server refuses to
     * connect. A request whose connection closes before any response is counted as unanswered: the
     * server may close an idle connection as it drains, and such a request must not have reached the
     * application (checked by the caller). {@code preamble} starts each connection (a PROXY header, or nothing).
     */
    private static void runClient(int client, int port, String preamble, long deadline, Set<String> answered,
                                  AtomicInteger unanswered) throws IOException {
        int n = 0;
        while (System.nanoTime() < deadline) {
            RawClient connection;
            try {
                connection = new RawClient("127.0.0.1", port);
            } catch (IOException refused) {
                return; // the server stopped listening
            }
            try (connection) {
                String start = preamble;
                while (System.nanoTime() < deadline) {
                    String id = client + "-" + n++;
                    RawClient.Response r;
                    try {
                        connection.send(start + "GET /work?" + id + " HTTP/1.1\r\nHost: t\r\n\r\n");
                        start = "";
                        r = connection.read();
                    } catch (IOException closed) {
                        unanswered.incrementAndGet();
                        break; // closed (idle while draining): reconnect
                    }
                    if (r.status() != 200 || !r.bodyText().equals("done " + id)) {
                        throw new AssertionError("bad response to " + id + ": " + r.status() + " " + r.bodyText());
                    }
                    answered.add(id);
                    if ("close".equals(r.header("Connection"))) {
                        if (!connection.isClosedByServer()) throw new AssertionError("Connection: close but still open");
                        break;
                    }
                }
            }
        }
    }
}
