package org.minipylib.wsgiserver.proxy;

import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.ListenOptions;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps.Capture;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
