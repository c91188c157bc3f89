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
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * At most {@link TlsConfig#maxHandshakes()} TLS handshakes run at once: clients that begin a
 * ClientHello and stall hold the slots (and the buffers that go with them) up to the handshake
 * timeout; a handshake beyond them waits, holding only its first bytes, and goes on as soon as a
 * slot comes free. One that finds none before its deadline fails as a timed-out handshake.
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

    @Test
    void aHandshakeBeyondTheBoundWaitsForASlotAndGoesOnWhenOneIsFree() throws Exception {
        JsseSslAdapter adapter = new JsseSslAdapter(config.withMaxHandshakes(2));
        try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "served"), b -> b.sslAdapter(adapter)
                .timeouts(HttpTimeouts.defaults().withHandshake(Duration.ofSeconds(30))));
             Socket first = stalledHello(server.port()); Socket second = stalledHello(server.port())) {
            HandshakeSlots slots = adapter.handshakeSlots();
            Poll.until(slots::available, n -> n == 0, "both stalled handshakes hold a slot");

            CompletableFuture<HttpResponse<String>> third = CompletableFuture.supplyAsync(() -> {
                try {
                    return TlsClients.get(client, server.port(), "/");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Poll.until(slots::waits, n -> n == 1, "the third handshake waits for a slot");
            Thread.sleep(200);
            assertFalse(third.isDone(), "no slot, no handshake");

            first.close(); // that handshake fails (the client left): its slot goes to the waiting one
            HttpResponse<String> response = third.get(20, TimeUnit.SECONDS);
            assertEquals(200, response.statusCode());
            assertEquals("served", response.body());
            Poll.until(slots::available, n -> n == 1, "the second still holds one; the third gave its back");
        }
    }

    @Test
    void aWaitPastTheDeadlineFindsNoSlot() throws IOException {
        HandshakeSlots slots = new HandshakeSlots(1);
        assertTrue(slots.take(System.nanoTime()));
        long start = System.nanoTime();
        assertFalse(slots.take(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100)));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(100));
        assertEquals(1, slots.waits());
        slots.give();
        assertTrue(slots.take(System.nanoTime()), "a slot given back is taken at once");
        assertThrows(IllegalArgumentException.class, () -> new HandshakeSlots(0));
        assertThrows(IllegalArgumentException.class, () -> config.withMaxHandshakes(0));
    }
}
