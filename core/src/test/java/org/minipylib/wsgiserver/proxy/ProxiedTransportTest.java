package org.minipylib.wsgiserver.proxy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.server.SocketTransport;
import org.minipylib.wsgiserver.server.UnixSocketTransport;
import org.minipylib.wsgiserver.testing.InMemoryTransport;

import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A connection behind a PROXY protocol header, over real sockets: the bytes read past the header
 * come first, whichever read asks, then the socket's own; the addresses are the header's; and the
 * wrapped transport's own calls are passed on as themselves.
 */
class ProxiedTransportTest {

    private static final byte[] SENT = ("PROXY TCP4 192.0.2.1 192.0.2.2 5000 80\r\nGET / HTTP/1.1\r\n")
            .getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    /** The header parsed from {@link #SENT}, with what came after it as leftover bytes. */
    private static ProxiedTransport proxied(org.minipylib.wsgiserver.http.Transport wrapped) throws Exception {
        ProxyHeader header = ProxyProtocolParser.parse(SENT, SENT.length);
        return new ProxiedTransport(wrapped, header, SENT.clone(), header.length(), SENT.length);
    }

    @Test
    void theBytesReadPastTheHeaderComeFirstThenTheSocketsOwn() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             SocketChannel peer = SocketChannel.open(listener.getLocalAddress());
             SocketChannel accepted = listener.accept()) {
            ProxiedTransport transport = proxied(new SocketTransport(accepted));
            assertEquals(new InetSocketAddress("192.0.2.1", 5000), transport.remoteAddress());
            assertEquals(new InetSocketAddress("192.0.2.2", 80), transport.localAddress());
            assertEquals("http", transport.scheme());

            assertTrue(transport.hasPendingInput(), "the leftover bytes are input already there");
            assertFalse(transport.readsBuffersDirectly(), "they come from an array");
            byte[] b = new byte[6];
            assertEquals(6, transport.read(b, 0, 6, 1000));
            assertEquals("GET / ", new String(b, StandardCharsets.US_ASCII));
            ByteBuffer direct = ByteBuffer.allocateDirect(64);
            assertEquals(10, transport.read(direct, 1000), "the rest of them, into a direct buffer too");
            assertEquals("HTTP/1.1\r\n", StandardCharsets.US_ASCII.decode(direct.flip()).toString());

            assertFalse(transport.hasPendingInput(), "none left, and the socket has nothing");
            peer.write(ByteBuffer.wrap("Host: x\r\n".getBytes(StandardCharsets.US_ASCII)));
            byte[] more = new byte[32];
            assertEquals("Host: x\r\n", new String(more, 0, transport.read(more, 0, 32, 5000), StandardCharsets.US_ASCII));
        }
    }

    /**
     * A UNIX socket cannot tell whether input has arrived without reading it: what arrived is read
     * through its own {@code readArrived} (a lingering close drops a refused body so), not asked
     * about first, which would find nothing.
     */
    @Test
    void overAUnixSocketWhatHasArrivedIsReadWithoutWaiting() throws Exception {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("p.sock"));
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(address);
             SocketChannel peer = SocketChannel.open(address);
             SocketChannel accepted = listener.accept()) {
            ProxiedTransport transport = proxied(new UnixSocketTransport(accepted, false));
            byte[] b = new byte[64];
            assertEquals(16, transport.readArrived(b, 0, b.length), "the leftover bytes");
            assertEquals(0, transport.readArrived(b, 0, b.length), "nothing else has arrived: no wait");

            peer.write(ByteBuffer.wrap("refused body".getBytes(StandardCharsets.US_ASCII)));
            int n = 0;
            for (int i = 0; i < 500 && n == 0; i++) {
                n = transport.readArrived(b, 0, b.length);
                if (n == 0) Thread.sleep(10);
            }
            assertEquals("refused body", new String(b, 0, n, StandardCharsets.US_ASCII));
            transport.close();
        }
    }

    @Test
    void aKeptConnectionIsToldToTheWrappedTransport() throws Exception {
        InMemoryTransport wrapped = new InMemoryTransport("");
        ProxiedTransport transport = proxied(wrapped);
        transport.expectMoreRequests();
        assertEquals(List.of("expectMoreRequests"), wrapped.events());
    }
}
