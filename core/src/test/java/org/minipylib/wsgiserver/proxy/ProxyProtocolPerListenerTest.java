package org.minipylib.wsgiserver.proxy;

import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.InheritedSocketAddress;
import org.minipylib.wsgiserver.ListenOptions;
import org.minipylib.wsgiserver.ServerConfig;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.WsgiTestApps.Capture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The PROXY protocol on some listeners of a server only, over real sockets: the listener that expects
 * it takes the header and shows the proxied client, and still closes a connection without one
 * unanswered; the other listener of the same server serves plain requests (say, Kubernetes probes
 * that reach the pod directly). Two TCP listeners use 127.0.0.1 and 127.0.0.2 (both loopback on
 * Linux), so that their bind addresses differ with port 0.
 */
class ProxyProtocolPerListenerTest {

    private static final String GET = "GET /x HTTP/1.1\r\nHost: app\r\n\r\n";
    private static final SocketAddress PROXIED = new InetSocketAddress("127.0.0.1", 0);
    private static final SocketAddress PLAIN = new InetSocketAddress("127.0.0.2", 0);

    @TempDir
    Path dir;

    private static WsgiServer twoTcpListeners(Capture capture) throws Exception {
        return WsgiServer.builder(capture.app()).bind(PROXIED).bind(PLAIN)
                .listenOptions(ListenOptions.defaults().withProxyProtocol(PROXIED)).build().start();
    }

    private static RawClient connect(WsgiServer server, int listener) throws Exception {
        InetSocketAddress address = server.addresses().get(listener);
        return new RawClient(address.getAddress().getHostAddress(), address.getPort());
    }

    @Test
    void onlyTheProxiedListenerReadsAHeader() throws Exception {
        Capture capture = new Capture();
        try (WsgiServer server = twoTcpListeners(capture)) {
            try (RawClient client = connect(server, 0)) {
                client.send("PROXY TCP4 203.0.113.7 198.51.100.1 40000 443\r\n" + GET);
                assertEquals(200, client.read().status());
                Environ env = capture.nextEnviron();
                assertEquals("203.0.113.7", env.get("REMOTE_ADDR"));
                assertEquals("443", env.get("SERVER_PORT"));
            }
            try (RawClient client = connect(server, 1)) {
                client.send(GET); // a probe: no header at all
                assertEquals(200, client.read().status());
                Environ env = capture.nextEnviron();
                assertEquals("127.0.0.1", env.get("REMOTE_ADDR"));
                assertEquals(Integer.toString(server.addresses().get(1).getPort()), env.get("SERVER_PORT"));
                client.send(GET); // keep-alive on the plain listener
                assertEquals(200, client.read().status());
                capture.nextEnviron();
            }
        }
    }

    @Test
    void theProxiedListenerStillClosesAConnectionWithoutAHeader() throws Exception {
        Capture capture = new Capture();
        try (WsgiServer server = twoTcpListeners(capture)) {
            try (RawClient client = connect(server, 0)) {
                client.send(GET);
                assertArrayEquals(new byte[0], client.readToEnd(), "nothing is answered without a PROXY header");
            }
            // a header on the plain listener is not one: it is a malformed request line, answered 400
            try (RawClient client = connect(server, 1)) {
                client.send("PROXY TCP4 203.0.113.7 198.51.100.1 40000 443\r\n" + GET);
                assertEquals(400, client.read().status());
            }
        }
    }

    @Test
    void aUnixSocketListenerMayExpectTheHeaderWhileTcpDoesNot() throws Exception {
        UnixDomainSocketAddress socket = UnixDomainSocketAddress.of(dir.resolve("proxied.sock"));
        Capture capture = new Capture();
        try (WsgiServer server = WsgiServer.builder(capture.app()).bind(socket).bind(PLAIN)
                .listenOptions(ListenOptions.defaults().withProxyProtocol(List.of(socket))).build().start()) {
            try (SocketChannel ch = SocketChannel.open(socket)) {
                ch.write(ByteBuffer.wrap(("PROXY TCP4 203.0.113.9 198.51.100.1 40000 80\r\n"
                        + "GET /x HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
                String response = new String(Channels.newInputStream(ch).readAllBytes(), StandardCharsets.ISO_8859_1);
                assertTrue(response.startsWith("HTTP/1.1 200 "), response);
            }
            assertEquals("203.0.113.9", capture.nextEnviron().get("REMOTE_ADDR"));
            try (RawClient client = connect(server, 0)) {
                client.send(GET);
                assertEquals(200, client.read().status());
                assertEquals("127.0.0.1", capture.nextEnviron().get("REMOTE_ADDR"));
            }
        }
    }

    @Test
    void theServerWideSwitchStillMeansEveryListener() {
        ListenOptions all = ListenOptions.defaults().withProxyProtocol(true);
        for (SocketAddress a : List.of(PROXIED, PLAIN, InheritedSocketAddress.INSTANCE)) assertTrue(all.proxyProtocol(a));
        assertEquals(Set.of(), all.proxyProtocolAddresses());
        ListenOptions some = ListenOptions.defaults().withProxyProtocol(InheritedSocketAddress.INSTANCE);
        assertFalse(some.proxyProtocol());
        assertTrue(some.proxyProtocol(InheritedSocketAddress.INSTANCE));
        assertFalse(some.proxyProtocol(PLAIN));
        assertFalse(some.withProxyProtocol(false).proxyProtocol(InheritedSocketAddress.INSTANCE));
        assertEquals(all, some.withProxyProtocol(true));
        assertEquals(ListenOptions.defaults(), new ListenOptions(false, false, null, false));
    }

    @Test
    void anAddressThatIsNotBoundIsRejected() {
        ServerConfig.Builder config = ServerConfig.builder().bind(PLAIN)
                .listenOptions(ListenOptions.defaults().withProxyProtocol(new InetSocketAddress("127.0.0.1", 8443)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, config::build);
        assertTrue(e.getMessage().contains("127.0.0.1:8443"), e.getMessage());
        // the inherited socket and the default address can be named too
        ServerConfig.builder().bind(InheritedSocketAddress.INSTANCE)
                .listenOptions(ListenOptions.defaults().withProxyProtocol(InheritedSocketAddress.INSTANCE)).build();
        ServerConfig.builder()
                .listenOptions(ListenOptions.defaults().withProxyProtocol(new InetSocketAddress("127.0.0.1", 8080))).build();
    }
}
