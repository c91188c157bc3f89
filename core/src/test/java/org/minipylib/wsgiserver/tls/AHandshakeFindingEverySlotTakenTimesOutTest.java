package org.minipylib.wsgiserver.tls;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.ServerStats;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A TLS handshake that finds every slot ({@code maxHandshakes}) taken, by handshakes not yet
 * evictable, until its handshake timeout, is closed as timed out, end to end: its client gets no
 * byte of a handshake, the connection is counted as a handshake timeout and no longer as open, and
 * the failed setup's DEBUG line says it timed out (the slots' WARNING says why).
 */
@Timeout(60)
class AHandshakeFindingEverySlotTakenTimesOutTest {

    /**
     * Below a second, which a handshake waits for its client before it may be evicted for a newer
     * one (HandshakeSlots.EVICTABLE_AFTER_NANOS): no handshake here is ever evicted.
     */
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofMillis(900);

    @TempDir
    static Path dir;
    static TlsConfig config;
    static SSLContext client;

    @BeforeAll
    static void makeCertificates() throws Exception {
        TestCertificates.LocalhostTls tls = TestCertificates.localhostTls(dir, "every-slot-taken-ca");
        config = tls.server();
        client = tls.client();
    }

    /** A client's whole first handshake message, a ClientHello. */
    private static byte[] clientHello(int port) throws IOException {
        SSLEngine engine = client.createSSLEngine("localhost", port);
        engine.setUseClientMode(true);
        engine.beginHandshake();
        ByteBuffer hello = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), hello);
        return Arrays.copyOf(hello.array(), hello.position());
    }

    @Test
    void itIsClosedCountedAndLoggedAsTimedOut() throws Exception {
        JsseSslAdapter adapter = new JsseSslAdapter(config.withMaxHandshakes(1));
        HandshakeSlots slots = adapter.handshakeSlots();
        try (LogCapture log = LogCapture.from(Level.FINE);
             TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "served"), b -> b.sslAdapter(adapter)
                     .timeouts(HttpTimeouts.defaults().withHandshake(HANDSHAKE_TIMEOUT)));
             Socket starved = new Socket("127.0.0.1", server.port());
             Socket holder = new Socket("127.0.0.1", server.port())) {
            // The starved connection first: its deadline comes before the holder's, which keeps the slot until then.
            // Its ClientHello all but its last byte: a hello still arriving takes no slot.
            byte[] hello = clientHello(server.port());
            starved.getOutputStream().write(hello, 0, hello.length - 1);
            holder.getOutputStream().write(clientHello(server.port())); // then nothing: its handshake waits, holding the slot
            Poll.until(slots::available, n -> n == 0, "the holder's handshake holds the only slot");
            starved.getOutputStream().write(hello, hello.length - 1, 1);

            assertTrue(closedWithoutAByte(starved), "the starved handshake's connection is closed, unanswered");
            assertEquals(1, slots.waits(), "it waited for a slot");
            assertEquals(0, slots.evictions(), "the holder was not evicted");
            String starvedPeer = ":" + starved.getLocalPort();
            // (the watchdog may close it at the same deadline first, and say so in a line of its own;
            // the line may come just after the close the client saw)
            Poll.until(() -> setupFailedLines(log, starvedPeer).size(), n -> n > 0, "the failed setup's DEBUG line");
            List<LogRecord> starvedLines = setupFailedLines(log, starvedPeer);
            assertEquals(1, starvedLines.size(), "one DEBUG line for its failed setup: " + log.messages());
            assertEquals(Level.FINE, starvedLines.get(0).getLevel());
            assertEquals("TLS handshake failed: timed out", String.valueOf(starvedLines.get(0).getParameters()[1]));
            assertEquals(1, log.startingWith("TLS handshakes in progress reached maxHandshakes (1)").size(),
                    "the slots' own warning: " + log.messages());

            // The holder times out too, waiting for its client: both counted, neither open any more.
            ServerStats stats = Poll.until(server.server()::statistics, s -> s.openConnections() == 0,
                    "both connections closed at their deadlines");
            assertEquals(2, stats.tlsHandshakeTimeouts(), "each counted as a handshake timeout");
            assertEquals(0, stats.tlsHandshakeFailures());
            assertEquals(1, slots.available(), "the slot given back");
        }
    }

    /** The "Connection setup ... failed" lines logged for the client whose address ends in {@code peer}. */
    private static List<LogRecord> setupFailedLines(LogCapture log, String peer) {
        return log.startingWith("Connection setup with {0} failed").stream()
                .filter(r -> String.valueOf(r.getParameters()[0]).endsWith(peer)).toList();
    }

    /** True if the server closed {@code s} (an end, or a reset) before sending it any byte. */
    private static boolean closedWithoutAByte(Socket s) throws IOException {
        s.setSoTimeout(10_000);
        try {
            return s.getInputStream().read() < 0;
        } catch (SocketException e) {
            return true; // reset: the server closed with the hello unread, or read
        }
    }
}
