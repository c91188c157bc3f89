package org.minipylib.wsgiserver.proxy;

import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.ListenOptions;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.minipylib.wsgiserver.testing.WsgiTestApps.Capture;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A listener with the PROXY protocol on, over real sockets: the header's addresses become REMOTE_ADDR
 * and SERVER_PORT, the bytes after it are the HTTP request, keep-alive works after it, LOCAL keeps
 * the socket's addresses, and a connection without a valid header is closed unanswered.
 */
class ProxyProtocolListenerTest {

    private static final String GET = "GET /x HTTP/1.1\r\nHost: app\r\n\r\n";

    private static TestServer proxied(Capture capture) throws Exception {
        return TestServer.start(capture.app(), b -> b.listenOptions(ListenOptions.defaults().withProxyProtocol(true)));
    }

    @Test
    void v1HeaderAndRequestInOneWriteThenKeepAlive() throws Exception {
        Capture capture = new Capture();
        try (TestServer server = proxied(capture); RawClient client = server.connect()) {
            client.send("PROXY TCP4 203.0.113.7 198.51.100.1 40000 443\r\n" + GET);
            assertEquals(200, client.read().status());
            Environ env = capture.nextEnviron();
            assertEquals("203.0.113.7", env.get("REMOTE_ADDR"));
            assertEquals("40000", env.get("REMOTE_PORT"));
            assertEquals("198.51.100.1", env.get("SERVER_NAME"));
            assertEquals("443", env.get("SERVER_PORT"));
            client.send(GET); // the next request on the same connection: no second header
            assertEquals(200, client.read().status());
            assertEquals("203.0.113.7", capture.nextEnviron().get("REMOTE_ADDR"));
        }
    }

    @Test
    void v1Tcp6WithAnIpv4MappedClientFromADualStackProxy() throws Exception {
        Capture capture = new Capture();
        try (TestServer server = proxied(capture); RawClient client = server.connect()) {
            client.send("PROXY TCP6 ::ffff:203.0.113.7 ::ffff:198.51.100.1 40000 443\r\n" + GET);
            assertEquals(200, client.read().status());
            Environ env = capture.nextEnviron();
            assertEquals("203.0.113.7", env.get("REMOTE_ADDR"));
            assertEquals("443", env.get("SERVER_PORT"));
        }
    }

    @Test
    void v2HeaderArrivingInPieces() throws Exception {
        Capture capture = new Capture();
        byte[] header = HexFormat.of().parseHex("0d0a0d0a000d0a515549540a" + "2121" + "0024"
                + "20010db8000000000000000000000042" + "00000000000000000000000000000001" + "c350" + "1f90");
        try (TestServer server = proxied(capture); RawClient client = server.connect()) {
            client.send(java.util.Arrays.copyOfRange(header, 0, 5));
            client.send(java.util.Arrays.copyOfRange(header, 5, 20));
            client.send(java.util.Arrays.copyOfRange(header, 20, header.length));
            client.send(GET);
            assertEquals(200, client.read().status());
            Environ env = capture.nextEnviron();
            assertEquals("2001:db8::42", env.get("REMOTE_ADDR"));
            assertEquals("50000", env.get("REMOTE_PORT"));
            assertEquals("8080", env.get("SERVER_PORT"));
        }
    }

    @Test
    void v2LocalKeepsTheSocketsAddresses() throws Exception {
        Capture capture = new Capture();
        try (TestServer server = proxied(capture); RawClient client = server.connect()) {
            client.send(HexFormat.of().parseHex("0d0a0d0a000d0a515549540a" + "2000" + "0000"));
            client.send(GET);
            assertEquals(200, client.read().status());
            Environ env = capture.nextEnviron();
            assertEquals("127.0.0.1", env.get("REMOTE_ADDR"));
            assertEquals(Integer.toString(client.socket().getLocalPort()), env.get("REMOTE_PORT"));
        }
    }

    /** A v2 header with 20 000 bytes of TLVs, arriving in pieces: the buffer grows as they come. */
    @Test
    void v2HeaderWithLongTlvsArrivingInPieces() throws Exception {
        Capture capture = new Capture();
        int tlv = 20_000; // PP2_TYPE_NOOP (0x04), skipped
        String addresses = "0a000001" + "0a000002" + "c350" + "1f90"; // 10.0.0.1:50000 -> 10.0.0.2:8080
        byte[] header = HexFormat.of().parseHex("0d0a0d0a000d0a515549540a" + "2111"
                + String.format("%04x", 12 + 3 + tlv) + addresses + "04" + String.format("%04x", tlv) + "00".repeat(tlv));
        try (TestServer server = proxied(capture); RawClient client = server.connect()) {
            for (int at = 0; at < header.length; at += 4096) {
                client.send(java.util.Arrays.copyOfRange(header, at, Math.min(header.length, at + 4096)));
                Thread.sleep(5);
            }
            client.send(GET);
            assertEquals(200, client.read().status());
            Environ env = capture.nextEnviron();
            assertEquals("10.0.0.1", env.get("REMOTE_ADDR"));
            assertEquals("8080", env.get("SERVER_PORT"));
        }
    }

    /** A client of the proxy's UNIX socket must not pass for a UNIX peer of ours (TrustedProxies' "unix"). */
    @Test
    void v2UnixPathsKeepTheSocketsAddresses() throws Exception {
        Capture capture = new Capture();
        String source = hexText("/run/client.sock") + "00".repeat(108 - "/run/client.sock".length());
        String destination = hexText("/run/haproxy.sock") + "00".repeat(108 - "/run/haproxy.sock".length());
        try (TestServer server = proxied(capture); RawClient client = server.connect()) {
            client.send(HexFormat.of().parseHex("0d0a0d0a000d0a515549540a" + "2131" + "00d8" + source + destination));
            client.send(GET);
            assertEquals(200, client.read().status());
            Environ env = capture.nextEnviron();
            assertEquals("127.0.0.1", env.get("REMOTE_ADDR"), "the proxy's address, not a UNIX peer's empty one");
            assertEquals(Integer.toString(client.socket().getLocalPort()), env.get("REMOTE_PORT"));
            assertEquals(Integer.toString(server.port()), env.get("SERVER_PORT"));
        }
    }

    @Test
    void aConnectionWithoutAValidHeaderIsClosedUnanswered() throws Exception {
        Capture capture = new Capture();
        try (TestServer server = proxied(capture)) {
            for (String start : new String[] {GET, "PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n" + GET}) {
                try (RawClient client = server.connect()) {
                    client.send(start);
                    assertArrayEquals(new byte[0], client.readToEnd(), "nothing is answered to " + start);
                }
            }
            // the server is still fine
            try (RawClient client = server.connect()) {
                client.send("PROXY UNKNOWN\r\n" + GET);
                assertEquals(200, client.read().status());
                assertTrue(capture.nextEnviron().get("REMOTE_ADDR").equals("127.0.0.1"));
            }
        }
    }

    @Test
    void v2SslTlvMakesTheRequestHttpsWithTheTlsVariables() throws Exception {
        // what HAProxy's send-proxy-v2-ssl sends for a TLS client (no client certificate): the SSL TLV
        // with PP2_CLIENT_SSL, its version and cipher sub-TLVs, and the SNI host as PP2_TYPE_AUTHORITY
        String tlvs = "02 000b " + hexText("app.example")
                + "20 0028 01 00000000" + "21 0007 " + hexText("TLSv1.3") + "23 0016 " + hexText("TLS_AES_256_GCM_SHA384");
        byte[] header = HexFormat.of().parseHex(("0d0a0d0a000d0a515549540a" + "2111" + "0045"
                + "cb007107 c6336401 9c40 01bb" + tlvs).replace(" ", ""));
        Capture capture = new Capture();
        try (TestServer server = proxied(capture); RawClient client = server.connect()) {
            client.send(header);
            client.send(GET);
            assertEquals(200, client.read().status());
            Environ env = capture.nextEnviron();
            assertEquals("https", env.get("wsgi.url_scheme"));
            assertEquals("on", env.get("HTTPS"));
            assertEquals("TLSv1.3", env.get("SSL_PROTOCOL"));
            assertEquals("TLS_AES_256_GCM_SHA384", env.get("SSL_CIPHER"));
            assertEquals("app.example", env.get("SSL_TLS_SNI"));
            assertEquals("NONE", env.get("SSL_CLIENT_VERIFY"));
            assertNull(env.get("SSL_CLIENT_S_DN_CN"));
            assertEquals("203.0.113.7", env.get("REMOTE_ADDR"));
            assertEquals("198.51.100.1", env.get("SERVER_NAME"), "SERVER_NAME stays the address, not the SNI host");
            client.send(GET); // the whole connection is TLS to the proxy
            assertEquals(200, client.read().status());
            assertEquals("https", capture.nextEnviron().get("wsgi.url_scheme"));
        }
        // a header without the SSL TLV: plain http as before
        try (TestServer server = proxied(capture); RawClient client = server.connect()) {
            client.send("PROXY TCP4 203.0.113.7 198.51.100.1 40000 80\r\n" + GET);
            assertEquals(200, client.read().status());
            Environ env = capture.nextEnviron();
            assertEquals("http", env.get("wsgi.url_scheme"));
            assertNull(env.get("HTTPS"));
        }
    }

    private static String hexText(String s) {
        return HexFormat.of().formatHex(s.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    /**
     * A body read into direct buffers through the PROXY layer: the header, the request head and the
     * body's start arrive in one write; the same again on the kept connection (then read on the
     * readiness loop, from the socket straight into the buffer).
     */
    @Test
    void aBodyReadIntoDirectBuffersArrivesWholeBehindTheHeader() throws Exception {
        String body = "abcdefghij".repeat(20_000); // 200 000 bytes
        String post = "POST /echo HTTP/1.1\r\nHost: app\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
        try (TestServer server = TestServer.start(WsgiTestApps.directBufferEcho(), b -> b.listenOptions(ListenOptions.defaults().withProxyProtocol(true)));
             RawClient client = server.connect()) {
            client.send("PROXY TCP4 203.0.113.7 198.51.100.1 40000 443\r\n" + post);
            assertEquals(body, client.read().bodyText());
            client.send(post);
            assertEquals(body, client.read().bodyText());
        }
    }

    /**
     * README (HttpTimeouts.handshake): the handshake timeout bounds the PROXY header only; the wait for
     * the first request after it is the keep-alive timeout's. A request sent well after the handshake
     * timeout but within the keep-alive one is served; a connection silent after its header is closed,
     * unanswered, at the keep-alive timeout, long before the handshake timeout.
     */
    @Test
    void afterTheHeaderTheFirstRequestIsWaitedForAsOnAnIdleConnection() throws Exception {
        HttpTimeouts shortHandshake = HttpTimeouts.defaults().withHandshake(Duration.ofMillis(300)).withKeepAlive(Duration.ofSeconds(20));
        try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "hi"),
                     b -> b.listenOptions(ListenOptions.defaults().withProxyProtocol(true)).timeouts(shortHandshake));
             RawClient client = server.connect()) {
            client.send("PROXY TCP4 203.0.113.7 198.51.100.1 40000 80\r\n");
            Thread.sleep(1_000); // over three times the handshake timeout
            assertEquals(200, client.send(GET).read().status());
        }
        HttpTimeouts shortKeepAlive = HttpTimeouts.defaults().withHandshake(Duration.ofSeconds(30)).withKeepAlive(Duration.ofMillis(300));
        try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "hi"),
                     b -> b.listenOptions(ListenOptions.defaults().withProxyProtocol(true)).timeouts(shortKeepAlive));
             RawClient client = server.connect()) {
            client.send("PROXY TCP4 203.0.113.7 198.51.100.1 40000 80\r\n");
            client.timeout(15_000); // half the handshake timeout: a close before it is the keep-alive timeout's
            assertEquals(-1, client.input().read(), "closed silently at the keep-alive timeout");
        }
    }
}
