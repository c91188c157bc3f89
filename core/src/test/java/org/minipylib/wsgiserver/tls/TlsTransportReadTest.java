package org.minipylib.wsgiserver.tls;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.http.Transport;
import org.minipylib.wsgiserver.server.SocketTransport;
import org.minipylib.wsgiserver.testing.TestCertificates;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Reads from a {@link TlsTransport} after a real handshake with a JDK client over loopback. */
class TlsTransportReadTest {

    @TempDir
    Path dir;

    @Test
    void aZeroLengthReadReturnsAtOnceAndLaterBytesStillArrive() throws Exception {
        TestCertificates.LocalhostTls certificates = TestCertificates.localhostTls(dir, "read-ca");
        JsseSslAdapter adapter = new JsseSslAdapter(certificates.server());
        SSLContext client = certificates.client();
        try (ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             SSLSocket peer = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1",
                     ((InetSocketAddress) listener.getLocalAddress()).getPort())) {
            peer.setSoTimeout(10_000);
            CompletableFuture<Void> handshake = CompletableFuture.runAsync(() -> {
                try {
                    peer.startHandshake();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            SocketChannel accepted = listener.accept();
            Transport tls = adapter.open(SocketTransport.blocking(accepted), System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
            handshake.get(10, TimeUnit.SECONDS);
            try {
                byte[] buf = new byte[16];
                assertEquals(0, tls.read(buf, 0, 0, 5000), "nothing decrypted is waiting, and none was asked for");
                peer.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                peer.getOutputStream().flush();
                int n = tls.read(buf, 3, 10, 5000);
                assertEquals("hello", new String(buf, 3, n, StandardCharsets.US_ASCII));
            } finally {
                tls.close();
            }
        }
    }
}
