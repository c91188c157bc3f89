package org.minipylib.wsgiserver.tls;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.TlsClients;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * At most {@link TlsConfig#maxHandshakes()} TLS handshakes run at once, counted from a whole
 * ClientHello: clients that stall before theirs is whole hold no slot and keep nobody out. A
 * handshake that finds every slot taken closes the one that has waited longest, over a second, for
 * its client (a client that stalled after its ClientHello) and takes its slot; one that waited less,
 * or is not waiting for its client, is not closed, and the new handshake waits for a slot, failing
 * as timed out if none comes free before its deadline.
 */
@Timeout(60)
class HandshakesInProgressBoundTest {

    @TempDir
    static Path dir;
    static TlsConfig config;
    static SSLContext client;

    @BeforeAll
    static void makeCertificates() throws Exception {
        TestCertificates.LocalhostTls tls = TestCertificates.localhostTls(dir, "handshake-bound-ca");
        config = tls.server();
        client = tls.client();
    }

    /** A client that sends the start of a ClientHello record announcing 16 KiB, and no more. */
    private static Socket stalledHello(int port) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        OutputStream out = s.getOutputStream();
        out.write(new byte[] {0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0x00, 0x3f, (byte) 0xfc, 0x03, 0x03});
        out.flush();
        return s;
    }

    /** A client that sends a whole ClientHello, then nothing: its handshake holds a slot, waiting for the client's answer. */
    private static Socket stalledAfterHello(int port) throws IOException {
        SSLEngine engine = client.createSSLEngine("localhost", port);
        engine.setUseClientMode(true);
        engine.beginHandshake();
        ByteBuffer hello = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), hello);
        Socket s = new Socket("127.0.0.1", port);
        s.getOutputStream().write(hello.array(), 0, hello.position());
        return s;
    }

    private static CompletableFuture<HttpResponse<String>> getAsync(int port) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return TlsClients.get(client, port, "/");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static TestServer start(JsseSslAdapter adapter) throws IOException {
        return TestServer.start(WsgiTestApps.text("200 OK", "served"), b -> b.sslAdapter(adapter)
                .timeouts(HttpTimeouts.defaults().withHandshake(Duration.ofSeconds(30))));
    }

    @Test
    void clientHellosStillArrivingHoldNoSlot() throws Exception {
        JsseSslAdapter adapter = new JsseSslAdapter(config.withMaxHandshakes(2));
        try (TestServer server = start(adapter);
             Socket first = stalledHello(server.port()); Socket second = stalledHello(server.port());
             Socket third = stalledHello(server.port())) {
            HttpResponse<String> response = getAsync(server.port()).get(20, TimeUnit.SECONDS);
            assertEquals(200, response.statusCode());
            assertEquals("served", response.body());
            assertEquals(2, adapter.handshakeSlots().available());
            assertEquals(0, adapter.handshakeSlots().waits());
        }
    }

    @Test
    void aHandshakeThatFindsEverySlotTakenClosesTheOldestStalledOne() throws Exception {
        JsseSslAdapter adapter = new JsseSslAdapter(config.withMaxHandshakes(2));
        try (TestServer server = start(adapter);
             Socket first = stalledAfterHello(server.port()); Socket second = stalledAfterHello(server.port())) {
            HandshakeSlots slots = adapter.handshakeSlots();
            Poll.until(slots::available, n -> n == 0, "both stalled handshakes hold a slot");
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(HandshakeSlots.EVICTABLE_AFTER_NANOS) + 100); // both evictable now

            HttpResponse<String> response = getAsync(server.port()).get(20, TimeUnit.SECONDS);
            assertEquals(200, response.statusCode());
            assertEquals(1, slots.waits());
            assertEquals(1, slots.evictions());
            // the oldest was closed (its client sees the end after the server's first flight); the other still waits
            assertEquals(1, closedByServer(first) + closedByServer(second));
        }
    }

    @Test
    void aHandshakeWaitingLessThanASecondIsNotEvictedANewOneWaitsForASlot() throws Exception {
        JsseSslAdapter adapter = new JsseSslAdapter(config.withMaxHandshakes(1));
        try (TestServer server = start(adapter); Socket stalled = stalledAfterHello(server.port())) {
            HandshakeSlots slots = adapter.handshakeSlots();
            Poll.until(slots::available, n -> n == 0, "the stalled handshake holds the slot");
            CompletableFuture<HttpResponse<String>> waiting = getAsync(server.port());
            Poll.until(slots::waits, n -> n == 1, "the new handshake waits");
            assertEquals(0, slots.evictions(), "held for less than a second: not evicted");
            stalled.close(); // that handshake ends: its slot goes to the waiting one
            assertEquals(200, waiting.get(20, TimeUnit.SECONDS).statusCode());
        }
    }

    /** A holder that has waited for its client since {@code waitingSince} (0: not waiting); evict() gives its slot back, as a closed handshake's thread does. */
    private static final class FakeHolder implements HandshakeSlots.Holder {
        final long waitingSince;
        HandshakeSlots slots;
        volatile boolean evicted;

        FakeHolder(long waitingSince) {
            this.waitingSince = waitingSince;
        }

        @Override
        public long waitingSince() {
            return waitingSince;
        }

        @Override
        public boolean evict() {
            evicted = true;
            if (slots != null) slots.give(this);
            return true;
        }
    }

    /** 1 if the server closed {@code s} (after whatever it sent first), 0 if it is still open. */
    private static int closedByServer(Socket s) throws IOException {
        try {
            s.setSoTimeout(500);
            byte[] b = new byte[8192];
            while (s.getInputStream().read(b) >= 0) {
                // the server's first flight: read past it
            }
            return 1;
        } catch (java.net.SocketTimeoutException e) {
            return 0;
        } catch (java.net.SocketException e) {
            return 1; // reset
        }
    }

    @Test
    void onlyAHandshakeWaitingForItsClientIsEvictedAndAWaitPastTheDeadlineFindsNoSlot() throws IOException {
        HandshakeSlots slots = new HandshakeSlots(1);
        FakeHolder computing = new FakeHolder(0); // not waiting for its client: never evicted
        assertTrue(slots.take(computing, System.nanoTime()));
        long start = System.nanoTime();
        assertFalse(slots.take(new FakeHolder(0), System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100)));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(100));
        assertEquals(1, slots.waits());
        assertEquals(0, slots.evictions(), "the holder is not waiting for its client");
        assertFalse(computing.evicted);
        slots.give(computing);

        FakeHolder stalled = new FakeHolder(System.nanoTime() - 2 * HandshakeSlots.EVICTABLE_AFTER_NANOS);
        stalled.slots = slots;
        assertTrue(slots.take(stalled, System.nanoTime()), "a slot given back is taken at once");
        assertTrue(slots.take(new FakeHolder(0), System.nanoTime() + TimeUnit.SECONDS.toNanos(5)));
        assertTrue(stalled.evicted, "waiting for its client for two seconds: evicted");
        assertEquals(1, slots.evictions());
        assertThrows(IllegalArgumentException.class, () -> new HandshakeSlots(0));
        assertThrows(IllegalArgumentException.class, () -> config.withMaxHandshakes(0));
    }
}
