package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TlsClients;
import org.minipylib.wsgiserver.tls.JsseSslAdapter;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** stop() stops accepting, closes idle connections, and lets in-flight requests finish. */
class GracefulStopTest {

    @TempDir
    static Path dir;

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void inFlightRequestFinishesIdleConnectionsCloseNewOnesAreRefused(WorkerMode mode) throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        WsgiApp app = slowUntilReleased(entered, release, new AtomicInteger());
        WsgiServer server = WsgiServer.builder(app).bind("127.0.0.1", 0).workerMode(mode)
                .shutdownTimeout(Duration.ofSeconds(10)).build().start();
        int port = server.port();
        try (RawClient idle = new RawClient("127.0.0.1", port); RawClient busy = new RawClient("127.0.0.1", port)) {
            idle.send("GET /first HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, idle.read().status());
            busy.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
            assertTrue(entered.await(10, TimeUnit.SECONDS));

            CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::stop);
            assertTrue(idle.isClosedByServer(), "idle keep-alive connection closed at once");
            assertFalse(stopping.isDone(), "stop waits for the request in flight");
            waitUntilRefused(port);

            release.countDown();
            RawClient.Response r = busy.read();
            assertEquals(200, r.status());
            assertEquals("finished /slow", r.bodyText());
            assertEquals("close", r.header("Connection"), "a draining server closes keep-alive connections");
            assertTrue(busy.isClosedByServer());
            busy.close(); // as clients do at the end: the server's lingering ends with it
            idle.close();
            stopping.get(10, TimeUnit.SECONDS);
            assertFalse(server.isRunning());
            assertEquals(0, server.openConnections());
        } finally {
            release.countDown();
            server.stop();
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void requestsStillRunningAfterTheShutdownTimeoutAreCut(WorkerMode mode) throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        WsgiApp stuck = (env, sr) -> {
            entered.countDown();
            Thread.sleep(30_000); // interrupted by the forced shutdown
            sr.start("200 OK", List.of());
            return List.of();
        };
        WsgiServer server = WsgiServer.builder(stuck).bind("127.0.0.1", 0).workerMode(mode)
                .shutdownTimeout(Duration.ofMillis(300)).build().start();
        try (LogCapture log = LogCapture.from(Level.INFO);
             RawClient client = new RawClient("127.0.0.1", server.port())) {
            client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertTrue(entered.await(10, TimeUnit.SECONDS));
            long start = System.nanoTime();
            server.stop();
            assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) < 5, "stop() is bounded by its timeout");
            assertTrue(client.isClosedByServer());
            assertTrue(server.awaitStop(Duration.ofSeconds(1)));
            // the cut-off request is reported as what it is: expected, not an error with a stack trace
            Poll.until(() -> log.startingWith("\"{0}\" was cut off").size(), n -> n > 0, "the cut-off request logged");
            assertEquals(1, log.startingWith("\"{0}\" was cut off").size(), () -> "logged: " + log.messages());
            assertTrue(log.startingWith("Error serving").isEmpty(), () -> "logged: " + log.messages());
            List<LogRecord> timeout = log.startingWith("Shutdown timeout");
            assertEquals(1, timeout.size(), () -> "logged: " + log.messages());
            assertArrayEquals(new Object[] {1, 1}, timeout.get(0).getParameters(), "one connection, serving a request");
        } finally {
            server.stop();
        }
    }

    /**
     * A keep-alive client that keeps its connection open after stop() half-closed it idle is read
     * from until it closes, or for 2 s: past a shorter shutdown timeout it is closed, but the warning
     * does not count it as a request in flight.
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void theShutdownTimeoutWarningCountsOnlyConnectionsServingARequest(WorkerMode mode) throws Exception {
        WsgiServer server = WsgiServer.builder((env, sr) -> {
            sr.start("200 OK", List.of(Header.of("Content-Length", "0")));
            return List.of();
        }).bind("127.0.0.1", 0).workerMode(mode).shutdownTimeout(Duration.ofMillis(300)).build().start();
        try (LogCapture log = LogCapture.from(Level.WARNING);
             RawClient idle = new RawClient("127.0.0.1", server.port())) {
            assertEquals(200, idle.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
            server.stop();
            List<LogRecord> timeout = log.startingWith("Shutdown timeout");
            assertEquals(1, timeout.size(), () -> "logged: " + log.messages());
            assertArrayEquals(new Object[] {1, 0}, timeout.get(0).getParameters(), "one connection, lingering after its close");
        } finally {
            server.stop();
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aStoppedServerCannotRestart(WorkerMode mode) throws Exception {
        WsgiServer server = WsgiServer.builder((env, sr) -> List.of()).bind("127.0.0.1", 0).workerMode(mode).build().start();
        server.stop();
        server.stop(); // idempotent
        assertThrows(IllegalStateException.class, server::start);
    }

    /**
     * A keep-alive client that pipelined more requests while its request ran gets that request's
     * response whole at stop(), then a clean end of stream: not a reset (the server closing with its
     * next requests unread), which can destroy the response before the client reads it and leaves
     * the client unable to tell what was processed. The requests not begun get no response. Over
     * TLS the end is a close_notify.
     */
    @ParameterizedTest
    @CsvSource({"POOL, false", "VIRTUAL, false", "POOL, true", "VIRTUAL, true"})
    void aResponseInFlightAtStopEndsCleanlyThoughMoreRequestsWerePipelined(WorkerMode mode, boolean overTls) throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        TestCertificates.LocalhostTls tls = overTls ? TestCertificates.localhostTls(dir, "stop") : null;
        WsgiServer server = start(slowUntilReleased(entered, release, calls), mode, tls);
        try (RawClient client = connect(server, tls)) {
            client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
            assertTrue(entered.await(10, TimeUnit.SECONDS));
            // pipelined while /slow runs: in the server's socket, not read by it
            client.send("GET /b HTTP/1.1\r\nHost: t\r\n\r\nGET /c HTTP/1.1\r\nHost: t\r\n\r\n");
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::stop);
            waitUntilRefused(server.port()); // stop() is draining
            release.countDown();
            String text = client.readToCleanEnd();
            assertTrue(text.startsWith("HTTP/1.1 200 OK"), text);
            assertTrue(text.contains("\r\nConnection: close\r\n"), text);
            assertTrue(text.endsWith("\r\n\r\nfinished /slow"), "one response, whole, and nothing after it: " + text);
            assertEquals(1, calls.get(), "the pipelined requests reached no application");
            client.close(); // as a client does at the end: the server's lingering ends with it
            stopping.get(10, TimeUnit.SECONDS);
            assertEquals(0, server.openConnections());
        } finally {
            release.countDown();
            server.stop();
        }
    }

    /**
     * An idle keep-alive connection at stop() ends cleanly before any response byte (so the client
     * can tell that its next request was not processed, and may retry it: RFC 9110 section 9.2.2),
     * and a request the client sends into it just then, not having noticed, is read and dropped: not
     * met with a reset, the kernel's answer to bytes for a closed socket, which makes the client's
     * next write fail (and, had the request come a moment earlier, would have replaced the clean end).
     */
    @ParameterizedTest
    @CsvSource({"POOL, false", "VIRTUAL, false", "POOL, true", "VIRTUAL, true"})
    void anIdleConnectionAtStopEndsCleanlyAndARequestSentIntoItIsDroppedNotReset(WorkerMode mode, boolean overTls) throws Exception {
        AtomicInteger calls = new AtomicInteger();
        TestCertificates.LocalhostTls tls = overTls ? TestCertificates.localhostTls(dir, "stop") : null;
        WsgiServer server = start(slowUntilReleased(new CountDownLatch(1), new CountDownLatch(0), calls), mode, tls);
        try (RawClient client = connect(server, tls)) {
            assertEquals(200, client.send("GET /first HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::stop);
            assertEquals("", client.readToCleanEnd(), "a clean end, before any response byte");
            for (int i = 0; i < 20; i++) { // after a reset, the second write at the latest fails
                client.send("GET /late HTTP/1.1\r\nHost: t\r\n\r\n");
                Thread.sleep(10);
            }
            assertEquals(1, calls.get(), "the late requests reached no application");
            client.close(); // the server's lingering ends with the client's end
            stopping.get(10, TimeUnit.SECONDS);
            assertEquals(0, server.openConnections());
        } finally {
            server.stop();
        }
    }

    private static WsgiServer start(WsgiApp app, WorkerMode mode, TestCertificates.LocalhostTls tls) throws Exception {
        WsgiServer.Builder builder = WsgiServer.builder(app).bind("127.0.0.1", 0).workerMode(mode)
                .shutdownTimeout(Duration.ofSeconds(10));
        if (tls != null) builder.sslAdapter(new JsseSslAdapter(tls.server()));
        return builder.build().start();
    }

    /** A client of {@code server}, over TLS if {@code tls} is not null. */
    private static RawClient connect(WsgiServer server, TestCertificates.LocalhostTls tls) throws IOException {
        return tls != null ? new RawClient(TlsClients.connect(tls.client(), server.port(), "localhost"))
                : new RawClient("127.0.0.1", server.port());
    }

    /** Answers "finished PATH"; a request for /slow first waits (at most 10 s) for {@code release}. Counts its calls. */
    private static WsgiApp slowUntilReleased(CountDownLatch entered, CountDownLatch release, AtomicInteger calls) {
        return (env, sr) -> {
            calls.incrementAndGet();
            if (env.pathInfo().equals("/slow")) {
                entered.countDown();
                release.await(10, TimeUnit.SECONDS);
            }
            sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of(("finished " + env.pathInfo()).getBytes(StandardCharsets.US_ASCII));
        };
    }

    private static void waitUntilRefused(int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                Thread.sleep(10);
            } catch (ConnectException e) {
                return;
            } catch (IOException e) {
                return;
            }
        }
        throw new AssertionError("the server still accepts connections after stop() began");
    }
}
