package org.minipylib.wsgiserver.proxy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.server.SocketTransport;
import org.minipylib.wsgiserver.server.UnixSocketTransport;
import org.minipylib.wsgiserver.http.Transport;
import org.minipylib.wsgiserver.http.UnixPeerAddress;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
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
    private static ProxiedTransport proxied(Transport wrapped) throws Exception {
        ProxyHeader header = ProxyProtocolParser.parse(SENT, SENT.length);
        return new ProxiedTransport(wrapped, header, SENT.clone(), header.length(), SENT.length);
    }

    @Test
    void theBytesReadPastTheHeaderComeFirstThenTheSocketsOwn() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             SocketChannel peer = SocketChannel.open(listener.getLocalAddress());
             SocketChannel accepted = listener.accept()) {
            ProxiedTransport transport = proxied(SocketTransport.blocking(accepted));
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
            ProxiedTransport transport = proxied(new UnixSocketTransport(accepted, false, null, null));
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

    /**
     * On a UNIX socket with peer credentials only {@code LOCAL}, the proxy's own connection, keeps
     * them: a client the header gives no network address of ({@code UNKNOWN}, {@code UNSPEC}, UNIX
     * socket paths) is someone else, never the proxy's user (its REMOTE_USER).
     */
    @Test
    void onlyTheProxysOwnConnectionKeepsItsUnixPeerCredentials() throws Exception {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("c.sock"));
        byte[] v2Local = hex("0d0a0d0a000d0a515549540a" + "20 00 0000");
        byte[] v2Unspec = hex("0d0a0d0a000d0a515549540a" + "21 00 0000");
        byte[] v2UnixPaths = hex("0d0a0d0a000d0a515549540a" + "21 31 00d8" + "2f61".repeat(54) + "2f62".repeat(54));
        byte[][] headers = {v2Local, "PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII), v2Unspec, v2UnixPaths};
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(address)) {
            for (int i = 0; i < headers.length; i++) {
                try (SocketChannel peer = SocketChannel.open(address); SocketChannel accepted = listener.accept()) {
                    UnixSocketTransport socket = new UnixSocketTransport(accepted, true, null, null);
                    assertTrue(socket.remoteAddress() instanceof UnixPeerAddress, "the proxy's credentials");
                    ProxyHeader header = ProxyProtocolParser.parse(headers[i], headers[i].length);
                    ProxiedTransport transport = new ProxiedTransport(socket, header, headers[i], header.length(), header.length());
                    if (i == 0) {
                        assertTrue(header.local());
                        assertEquals(socket.remoteAddress(), transport.remoteAddress(), "LOCAL: the proxy itself");
                    } else {
                        assertFalse(header.local(), "header " + i);
                        assertEquals(UnixDomainSocketAddress.of(""), transport.remoteAddress(), "header " + i + ": no identity");
                    }
                    assertEquals(socket.localAddress(), transport.localAddress());
                    transport.close();
                }
            }
        }
    }

    private static byte[] hex(String text) {
        return HexFormat.of().parseHex(text.replace(" ", ""));
    }

    @Test
    void theWrappedTransportsOwnCallsArePassedOnAsThemselves() throws Exception {
        TlsLikeTransport wrapped = new TlsLikeTransport();
        ProxiedTransport transport = proxied(wrapped);
        byte[] b = new byte[64];
        assertEquals(16, transport.readWhenIdle(b, 0, b.length), "the leftover bytes first");
        assertEquals(0, transport.readWhenIdle(b, 0, b.length), "then the wrapped transport's idle read, which may say 0");
        assertEquals(0, transport.readArrived(b, 0, b.length));
        assertTrue(transport.inputBegun());
        assertTrue(transport.closesWithMessage());
        transport.expectMoreRequests();
        assertEquals(List.of("readWhenIdle", "readArrived", "inputBegun", "closesWithMessage", "expectMoreRequests"),
                wrapped.calls);
    }

    /**
     * A wrapped transport whose own answers differ from {@link Transport}'s defaults, as TLS's do
     * (an idle read that found part of a record says 0, a record begun is input begun, a close
     * sends close_notify); records which of those calls reach it.
     */
    private static final class TlsLikeTransport implements Transport {
        final List<String> calls = new ArrayList<>();

        @Override
        public int readWhenIdle(byte[] b, int off, int len) {
            calls.add("readWhenIdle");
            return 0;
        }

        @Override
        public int readArrived(byte[] b, int off, int len) {
            calls.add("readArrived");
            return 0;
        }

        @Override
        public boolean inputBegun() {
            calls.add("inputBegun");
            return true;
        }

        @Override
        public boolean closesWithMessage() {
            calls.add("closesWithMessage");
            return true;
        }

        @Override
        public void expectMoreRequests() {
            calls.add("expectMoreRequests");
        }

        @Override
        public int read(byte[] b, int off, int len, int timeoutMillis) {
            throw new AssertionError("read instead of the transport's own call");
        }

        @Override
        public boolean hasPendingInput() {
            return true; // the default readArrived would then read: it must not be the one called
        }

        @Override
        public void write(byte[] b, int off, int len) {
        }

        @Override
        public void shutdownOutput() {
        }

        @Override
        public SocketAddress localAddress() {
            return new InetSocketAddress("127.0.0.1", 8080);
        }

        @Override
        public SocketAddress remoteAddress() {
            return new InetSocketAddress("127.0.0.1", 40000);
        }

        @Override
        public String scheme() {
            return "https";
        }

        @Override
        public void close() {
        }
    }
}
