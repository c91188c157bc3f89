package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A ready-made access log stays open while any server started with it runs: one {@link ServerConfig}
 * starts a server after another stopped (a stopped server cannot start again), or two servers at once;
 * a stop closes the file only when no other server logs there. Buffered and unbuffered.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AccessLogSharedByServersTest {

    private static final WsgiApp APP = (env, sr) -> {
        sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
        return List.of("ok".getBytes(StandardCharsets.US_ASCII));
    };

    private static void request(WsgiServer server, String path) throws IOException {
        try (RawClient client = new RawClient("127.0.0.1", server.port())) {
            client.send("GET " + path + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            assertEquals(200, client.read().status());
        }
    }

    /** The paths of the requests logged in {@code file}, in order. */
    private static List<String> paths(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.US_ASCII).stream().map(l -> l.split("\"")[1].split(" ")[1]).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> writeFailures(LogCapture warnings) {
        return warnings.records().stream().filter(r -> r.getLoggerName().endsWith("AccessLogWriter")).map(r -> r.getMessage()).toList();
    }

    private static AccessLog log(Path file, boolean buffered) throws IOException {
        return buffered ? AccessLog.toFile(file, AccessLogFormat.COMMON, 4096, Duration.ofMillis(50)) : AccessLog.toFile(file);
    }

    @Test
    void oneConfigServesThreeServersInTurnAndEachLogs(@TempDir Path dir) throws Exception {
        for (boolean buffered : new boolean[] {false, true}) {
            Path file = dir.resolve("turns-" + buffered + ".log");
            ServerConfig config = ServerConfig.builder().bind("127.0.0.1", 0).accessLog(log(file, buffered)).build();
            try (LogCapture warnings = LogCapture.from(Level.WARNING)) {
                for (int round = 1; round <= 3; round++) {
                    WsgiServer server = new WsgiServer(APP, config).start();
                    request(server, "/round" + round);
                    server.stop(); // writes a buffered line, at the latest
                }
                assertEquals(List.of(), writeFailures(warnings), "no write failed");
            }
            assertEquals(List.of("/round1", "/round2", "/round3"), paths(file), "buffered " + buffered);
        }
    }

    @Test
    void aStopLeavesTheLogOpenForAServerStillRunning(@TempDir Path dir) throws Exception {
        for (boolean buffered : new boolean[] {false, true}) {
            Path file = dir.resolve("shared-" + buffered + ".log");
            ServerConfig config = ServerConfig.builder().bind("127.0.0.1", 0).accessLog(log(file, buffered)).build();
            WsgiServer first = new WsgiServer(APP, config).start();
            WsgiServer second = new WsgiServer(APP, config).start();
            try (LogCapture warnings = LogCapture.from(Level.WARNING)) {
                request(first, "/first");
                first.stop();
                request(second, "/second");
                Poll.until(() -> paths(file).size(), n -> n == 2, "the second server's line, buffered " + buffered);
                assertEquals(List.of(), writeFailures(warnings), "no write failed");
            } finally {
                second.stop();
            }
            assertEquals(List.of("/first", "/second"), paths(file));
            // the last stop closed it: a line logged now is lost, as before
            assertTrue(Files.size(file) > 0);
        }
    }

    @Test
    void aServerThatNeverRanOrFailedToStartLeavesARunningServersLogOpen(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("never-ran.log");
        ServerConfig config = ServerConfig.builder().bind("127.0.0.1", 0).accessLog(log(file, false)).build();
        WsgiServer running = new WsgiServer(APP, config).start();
        try (LogCapture warnings = LogCapture.from(Level.WARNING)) {
            new WsgiServer(APP, config).stop(); // never started
            WsgiServer failing = new WsgiServer(APP, config.toBuilder().bind(running.listeningAddresses().get(0)).build());
            assertThrows(IOException.class, failing::start); // the port is taken: its share is given back
            failing.stop();
            request(running, "/still-logged");
            Poll.until(() -> paths(file).size(), n -> n == 1, "the running server's line");
            assertEquals(List.of(), writeFailures(warnings), "no write failed");
        } finally {
            running.stop();
        }
    }

    @Test
    void aFailedStartLeavesAnOwnLogForTheStopToCloseOnce() {
        java.util.concurrent.atomic.AtomicInteger closes = new java.util.concurrent.atomic.AtomicInteger();
        AccessLog counting = new AccessLog() {
            @Override public void log(AccessLogEntry entry) { }
            @Override public void close() { closes.incrementAndGet(); }
        };
        WsgiServer server = WsgiServer.builder(APP).bind("1::2::3", 0).accessLog(counting).build(); // cannot be bound
        assertThrows(IOException.class, server::start);
        assertEquals(0, closes.get(), "an own log is left open by a failed start: its maker may try again with it");
        server.stop();
        assertEquals(1, closes.get(), "closed by the stop");
        server.stop();
        assertEquals(1, closes.get(), "once");
    }
}
