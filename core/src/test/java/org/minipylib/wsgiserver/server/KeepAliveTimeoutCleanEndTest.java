package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.http.HttpConnection;
import org.minipylib.wsgiserver.testing.LiveThreads;
import org.minipylib.wsgiserver.testing.OpenDescriptors;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TlsClients;
import org.minipylib.wsgiserver.tls.JsseSslAdapter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * An idle keep-alive connection closed at the keep-alive timeout ends cleanly, and a request its
 * client sends into it just then is read and dropped, not met with a reset. The race itself (a
 * request landing in the server's socket between the watchdog's look and its close, which made the
 * close a reset instead of a FIN) is too narrow to hit on purpose; these tests prove the mechanism
 * that covers it: after the server's end of stream, the server still reads, until the client's end.
 */
class KeepAliveTimeoutCleanEndTest {

    private static final HttpTimeouts SHORT_KEEP_ALIVE = HttpTimeouts.defaults().withKeepAlive(Duration.ofMillis(300));
    private static final String REQUEST = "GET /late HTTP/1.1\r\nHost: t\r\n\r\n";

    @TempDir
    static Path dir;

    /**
     * At the timeout the client reads a clean end with no byte; then it sends late requests, as a
     * client that had not noticed yet would: after a reset (the kernel's answer to bytes for a closed
     * socket) the second write at the latest fails. None reaches the application, and once the
     * client closes, the server has no connection open.
     */
    @ParameterizedTest
    @CsvSource({"POOL, false", "VIRTUAL, false", "POOL, true", "VIRTUAL, true"})
    void aRequestSentIntoAConnectionClosedAtTheKeepAliveTimeoutIsDroppedNotReset(WorkerMode mode, boolean overTls)
            throws Exception {
        AtomicInteger calls = new AtomicInteger();
        TestCertificates.LocalhostTls tls = overTls ? TestCertificates.localhostTls(dir, "keep-alive") : null;
        WsgiServer server = start(counting(calls), mode, tls);
        try (RawClient client = connect(server, tls)) {
            client.timeout(10_000);
            assertEquals(200, client.send("GET /first HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
            assertEquals("", client.readToCleanEnd(), "a clean end at the keep-alive timeout, before any response byte");
            for (int i = 0; i < 20; i++) {
                client.send(REQUEST);
                Thread.sleep(10);
            }
            assertEquals(1, calls.get(), "the late requests reached no application");
            assertEquals(1, server.openConnections(), "half-closed, until the client's end");
            client.close();
            Poll.until(server::openConnections, n -> n == 0, "the connection closed after the client's end");
        } finally {
            server.stop();
        }
    }

    /**
     * Over TLS, virtual threads on the edge-triggered loop: one late request after the clean end,
     * and the client neither sends more nor closes. The thread woken for it reads and drops it, and
     * ends, while the connection stays half-closed; it must not wait first because the
     * close_notify was written since the connection's last read (that wait is never woken: the
     * request's bytes are reported once), which held the thread until the watchdog's close, 2 s on.
     * JDK 24+ only: below, the half-closed connection waits with a thread, blocked in its read
     * until the client's end or that close (the late request is read and dropped by it: see above).
     */
    @Test
    @EnabledIf("org.minipylib.wsgiserver.server.ReadinessLoop#supported")
    void overTlsALateRequestIsDroppedByAThreadThatDoesNotWaitForMore() throws Exception {
        TestCertificates.LocalhostTls tls = TestCertificates.localhostTls(dir, "keep-alive-late");
        WsgiServer server = start(counting(new AtomicInteger()), WorkerMode.VIRTUAL, tls);
        try (RawClient client = connect(server, tls)) {
            client.timeout(10_000);
            assertEquals(200, client.send("GET /first HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
            assertEquals("", client.readToCleanEnd(), "a clean end at the keep-alive timeout");
            Poll.until(() -> LiveThreads.runningIn(HttpConnection.class), n -> n == 0, "the close_notify written");
            long readBefore = server.statistics().bytesRead();
            client.send(REQUEST);
            // Read, not only woken for: a thread that waits first never reads it (until the close).
            Poll.until(() -> server.statistics().bytesRead(), n -> n > readBefore, "the late request read");
            Poll.until(() -> LiveThreads.runningIn(HttpConnection.class), n -> n == 0, "no thread left in the connection");
            // Ordering, not a wall-clock bound: the watchdog's close (2 s on) unregisters the connection
            // before it wakes a waiting thread, so a thread that waited for more would only have left
            // once the count was 0. Still registered now: the thread left before that close.
            assertEquals(1, server.openConnections(),
                    "the thread woken for the late request ended before the watchdog's close; still half-closed, until the client's end");
        } finally {
            server.stop();
        }
    }

    /**
     * The connections half-closed at the keep-alive timeout leave no descriptor behind once their
     * clients close: the process holds as many as before they opened (a first round opens what
     * the server opens once, such as a readiness loop's descriptors).
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    @EnabledOnOs(OS.LINUX)
    void connectionsTimedOutLeaveNoDescriptorBehind(WorkerMode mode) throws Exception {
        WsgiServer server = start(counting(new AtomicInteger()), mode, null);
        try {
            timeOutAndClose(server, 4);
            long before = OpenDescriptors.count();
            timeOutAndClose(server, 20);
            Poll.until(OpenDescriptors::count, n -> n <= before, "the descriptors closed (before: " + before + ")");
        } finally {
            server.stop();
        }
    }

    /** Opens {@code count} connections, times them out with a late request each, closes them and waits until the server has too. */
    private static void timeOutAndClose(WsgiServer server, int count) throws Exception {
        List<RawClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                RawClient c = connect(server, null).timeout(10_000);
                clients.add(c);
                assertEquals(200, c.send("GET /first HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
            }
            for (RawClient c : clients) {
                assertEquals("", c.readToCleanEnd());
                c.send(REQUEST);
            }
        } finally {
            for (RawClient c : clients) c.close();
        }
        Poll.until(server::openConnections, n -> n == 0, "the connections closed after their clients' end");
    }

    private static WsgiApp counting(AtomicInteger calls) {
        return (env, sr) -> {
            calls.incrementAndGet();
            sr.start("200 OK", List.of());
            return List.of("ok".getBytes(StandardCharsets.US_ASCII));
        };
    }

    private static WsgiServer start(WsgiApp app, WorkerMode mode, TestCertificates.LocalhostTls tls) throws Exception {
        WsgiServer.Builder builder = WsgiServer.builder(app).bind("127.0.0.1", 0).workerMode(mode).timeouts(SHORT_KEEP_ALIVE);
        if (tls != null) builder.sslAdapter(new JsseSslAdapter(tls.server()));
        return builder.build().start();
    }

    /** A client of {@code server}, over TLS if {@code tls} is not null. */
    private static RawClient connect(WsgiServer server, TestCertificates.LocalhostTls tls) throws IOException {
        return tls != null ? new RawClient(TlsClients.connect(tls.client(), server.port(), "localhost"))
                : new RawClient("127.0.0.1", server.port());
    }
}
