package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.TestServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A response that fits in the kernel's buffers leaves the server's writes at once; if the server then
 * closed the socket behind it while the client is not reading, the kernel would keep an orphan socket
 * holding the unsent bytes (megabytes) for minutes, uncounted by maxConnections. Instead the
 * connection stays open and counted until they have gone out, and is reset if they do not move for
 * the write timeout; a client that reads slowly still gets all of it. Needs the kernel's count of
 * unsent bytes (Linux, the foreign function API of Java 22+, native access: the tests' JVM flags).
 */
@Timeout(60)
class UnreadResponseEndsAreNotOrphanedTest {

    private static final int BODY = 3_000_000;
    /** How long a half-closed connection lingers for the client's end (HttpConnection's LINGER_NANOS). */
    private static final Duration LINGER = Duration.ofSeconds(2);

    @BeforeAll
    static void unsentBytesCanBeCounted() {
        assumeTrue(DirectSocketCalls.available() != null, "no getsockopt(TCP_INFO) on this JVM");
    }

    /**
     * The connection is counted until the write timeout after the linger (after the keep-alive
     * timeout too, in that variant) has passed without progress: an ordinary close at the linger's
     * end would uncount it a write timeout sooner. Timed from before the request, and observed by
     * polling, the measured time can only come out longer than the server's, never shorter.
     */
    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource({"VIRTUAL, Connection: close", "POOL, Connection: close", "VIRTUAL, keep-alive timeout"})
    void aClientThatNeverReadsIsCountedThenReset(WorkerMode mode, String end) throws Exception {
        Duration keepAlive = Duration.ofSeconds(1);
        Duration writeTimeout = Duration.ofSeconds(1);
        HttpTimeouts timeouts = HttpTimeouts.defaults().withWrite(writeTimeout).withKeepAlive(keepAlive);
        try (TestServer server = TestServer.start(bytes(BODY), b -> b.workerMode(mode).timeouts(timeouts));
             Socket client = new Socket()) {
            client.setReceiveBufferSize(64 * 1024);
            client.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()), 5000);
            boolean close = end.startsWith("Connection");
            long sent = System.nanoTime();
            client.getOutputStream().write(("GET / HTTP/1.1\r\nHost: t\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            // never read: the response is written into the kernel's buffers, the server's part is done
            Poll.until(() -> server.server().openConnections(), n -> n == 1, "counted");
            Poll.until(() -> server.server().openConnections(), n -> n == 0, Duration.ofSeconds(30),
                    "reset after the write timeout without progress");
            Duration counted = Duration.ofNanos(System.nanoTime() - sent);
            Duration atLeast = (close ? LINGER : keepAlive.plus(LINGER)).plus(writeTimeout.dividedBy(2));
            assertTrue(counted.compareTo(atLeast) >= 0, "counted for " + counted.toMillis()
                    + " ms while the kernel held its bytes; expected at least the linger and half the write timeout, "
                    + atLeast.toMillis() + " ms");
            // The reset goes out once the thread that waited to read from the connection lets go of its
            // socket, moments after the count drops (a busy machine may delay it): read before, the
            // client would get more of the response meanwhile. Its arrival takes the client's socket
            // out of the kernel's table; an orphan that sends all (what this guards against) never does.
            Poll.until(() -> tcpState(client.getLocalPort(), server.port()), state -> state == null,
                    "the client's end reset (gone from /proc/net/tcp)");
            client.setSoTimeout(10_000);
            assertThrows(SocketException.class, () -> readAll(client.getInputStream()), "a reset, not the whole response");
        }
    }

    /**
     * The state (hex, as the kernel lists it: 01 established) of the IPv4 TCP socket from {@code localPort}
     * to {@code remotePort}, from Linux's /proc/net/tcp; null if there is none.
     */
    private static String tcpState(int localPort, int remotePort) {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/net/tcp"))) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length < 4 || !fields[1].contains(":") || fields[0].startsWith("sl")) continue;
                if (port(fields[1]) == localPort && port(fields[2]) == remotePort) return fields[3];
            }
            return null;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The port of an address as /proc/net/tcp writes it ({@code 0100007F:1F90}). */
    private static int port(String address) {
        return Integer.parseInt(address.substring(address.indexOf(':') + 1), 16);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"VIRTUAL", "POOL"})
    void aClientThatResetsFreesItsConnectionAtOnce(WorkerMode mode) throws Exception {
        HttpTimeouts timeouts = HttpTimeouts.defaults().withWrite(Duration.ofSeconds(60));
        try (TestServer server = TestServer.start(bytes(BODY), b -> b.workerMode(mode).timeouts(timeouts))) {
            Socket client = new Socket();
            client.setReceiveBufferSize(64 * 1024);
            client.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()), 5000);
            client.getOutputStream().write("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            Thread.sleep(500);
            assertEquals(1, server.server().openConnections(), "counted while the kernel holds its bytes");
            client.setSoLinger(true, 0);
            client.close(); // a reset: what the kernel held will never go out
            Poll.until(() -> server.server().openConnections(), n -> n == 0, "closed at once, not after the write timeout");
        }
    }

    /**
     * Reads {@link #BODY} at about 300 KB/s, some 10 s: the server's write ends (into the kernel's
     * buffers) long before that, its linger 2 s later, and the connection becomes CLOSING with
     * megabytes unsent; from then on only the progress the watchdog sees keeps it from the reset due
     * 1 s (the write timeout) after the linger. Its being counted well past both proves it went that
     * way: an ordinary close would have uncounted it at the linger's end.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"VIRTUAL", "POOL"})
    void aClientThatReadsSlowlyGetsAllOfIt(WorkerMode mode) throws Exception {
        Duration writeTimeout = Duration.ofSeconds(1);
        HttpTimeouts timeouts = HttpTimeouts.defaults().withWrite(writeTimeout);
        try (TestServer server = TestServer.start(bytes(BODY), b -> b.workerMode(mode).timeouts(timeouts));
             Socket client = new Socket()) {
            client.setReceiveBufferSize(64 * 1024);
            client.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()), 5000);
            client.setSoTimeout(10_000);
            client.getOutputStream().write("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = client.getInputStream();
            java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
            byte[] piece = new byte[16 * 1024];
            long written = 0; // when the statistics first showed the response written whole
            long lastCounted = 0; // the last time the connection was still counted while the client read
            long giveUpAt = System.nanoTime() + Duration.ofSeconds(40).toNanos();
            for (int n; (n = in.read(piece)) > 0; ) { // a reset throws here
                received.write(piece, 0, n);
                long now = System.nanoTime();
                if (written == 0 && server.server().statistics().responses(200, 300) == 1) written = now;
                if (server.server().openConnections() == 1) lastCounted = now;
                assertTrue(now - giveUpAt < 0, "still reading after 40 s");
                Thread.sleep(50); // 16 KB per 50 ms: about 300 KB/s
            }
            String response = received.toString(StandardCharsets.ISO_8859_1);
            assertEquals(BODY, response.length() - (response.indexOf("\r\n\r\n") + 4), "the whole body, then a clean end");
            assertTrue(written != 0, "the response was counted as written");
            Duration countedAfterWrite = Duration.ofNanos(lastCounted - written);
            Duration closingWithProgress = LINGER.plus(writeTimeout).plus(Duration.ofSeconds(1));
            assertTrue(countedAfterWrite.compareTo(closingWithProgress) > 0, "counted, CLOSING, for "
                    + countedAfterWrite.toMillis() + " ms after the write; the test needs more than " + closingWithProgress.toMillis()
                    + " ms (the linger, the write timeout without progress, a margin) to exercise CLOSING with progress");
        }
    }

    private static WsgiApp bytes(int n) {
        byte[] body = new byte[n];
        return (env, sr) -> {
            sr.start("200 OK", List.of(Header.of("Content-Type", "application/octet-stream"),
                    Header.of("Content-Length", Integer.toString(n))));
            return List.of(body);
        };
    }

    private static long readAll(InputStream in) throws IOException {
        long total = 0;
        byte[] piece = new byte[64 * 1024];
        for (int n; (n = in.read(piece)) > 0; ) total += n;
        return total;
    }
}
