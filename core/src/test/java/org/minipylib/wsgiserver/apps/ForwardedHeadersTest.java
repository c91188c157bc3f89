package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps.Capture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Forwarded / X-Forwarded-* are believed only from trusted proxies (gunicorn's forwarded_allow_ips
 * notation), over a real server: REMOTE_ADDR, wsgi.url_scheme, HTTP_HOST, SERVER_NAME and
 * SERVER_PORT then describe the real client; from anyone else nothing changes.
 */
class ForwardedHeadersTest {

    /** Sends one request with {@code headers} through a server whose app trusts X-Forwarded-* from {@code trusted}. */
    private static Environ environFor(String trusted, String headers) throws Exception {
        return environFor(trusted, ForwardedHeadersApp.Source.X_FORWARDED, headers);
    }

    /** The same for an app that believes RFC 7239 {@code Forwarded} instead. */
    private static Environ rfc7239EnvironFor(String trusted, String headers) throws Exception {
        return environFor(trusted, ForwardedHeadersApp.Source.FORWARDED, headers);
    }

    private static Environ environFor(String trusted, ForwardedHeadersApp.Source source, String headers) throws Exception {
        Capture capture = new Capture();
        ForwardedHeadersApp app = new ForwardedHeadersApp(capture.app(), TrustedProxies.parse(trusted), source);
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.send("GET / HTTP/1.1\r\nHost: backend:8000\r\n" + headers + "\r\n");
            assertEquals(200, client.read().status());
            return capture.nextEnviron();
        }
    }

    @Test
    void xForwardedFromATrustedProxy() throws Exception {
        Environ env = environFor("127.0.0.1", "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n"
                + "X-Forwarded-Host: www.example.com\r\n");
        assertEquals("203.0.113.9", env.get("REMOTE_ADDR"));
        assertEquals("", env.get("REMOTE_PORT"));
        assertEquals("127.0.0.1", env.get(ForwardedHeadersApp.PROXY_ADDR));
        assertEquals("https", env.get("wsgi.url_scheme"));
        assertEquals("www.example.com", env.get("HTTP_HOST"));
        assertEquals("www.example.com", env.get("SERVER_NAME"));
        assertEquals("443", env.get("SERVER_PORT"));
    }

    /**
     * README: X-Forwarded-Port is not read (a proxy that does not set it would pass a client's
     * through); the port comes from X-Forwarded-Host, else from the scheme.
     */
    @Test
    void xForwardedPortIsNotRead() throws Exception {
        Environ env = environFor("127.0.0.1", "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n"
                + "X-Forwarded-Host: www.example.com\r\nX-Forwarded-Port: 8443\r\n");
        assertEquals("443", env.get("SERVER_PORT"), "the scheme's port, not X-Forwarded-Port's");
        assertEquals("www.example.com", env.get("HTTP_HOST"));
        env = environFor("127.0.0.1", "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Host: www.example.com:9000\r\n"
                + "X-Forwarded-Port: 8443\r\n");
        assertEquals("9000", env.get("SERVER_PORT"), "the port sent in X-Forwarded-Host");
        assertEquals("www.example.com", env.get("SERVER_NAME"));
    }

    /** README: X-Forwarded-Proto and X-Forwarded-Host are the nearest proxy's, the last value of a list. */
    @Test
    void xForwardedProtoAndHostAreTheLastValueOfAList() throws Exception {
        Environ env = environFor("127.0.0.1", "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: http, https\r\n"
                + "X-Forwarded-Host: evil.example, www.example.com\r\n");
        assertEquals("https", env.get("wsgi.url_scheme"));
        assertEquals("www.example.com", env.get("HTTP_HOST"));
        assertEquals("443", env.get("SERVER_PORT"));
        env = environFor("127.0.0.1", "X-Forwarded-Proto: https\r\nX-Forwarded-Proto: http\r\n");
        assertEquals("http", env.get("wsgi.url_scheme"), "two field lines are one list: the last one is the nearest proxy's");
    }

    @Test
    void nothingChangesForAnUntrustedPeer() throws Exception {
        Environ env = environFor("10.0.0.0/8, ::1", "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n"
                + "Forwarded: for=198.51.100.1;proto=https;host=evil.example\r\n");
        assertEquals("127.0.0.1", env.get("REMOTE_ADDR"));
        assertEquals("http", env.get("wsgi.url_scheme"));
        assertEquals("backend:8000", env.get("HTTP_HOST"));
        assertEquals("203.0.113.9", env.get("HTTP_X_FORWARDED_FOR"), "the application still sees the header");
        assertNull(env.get(ForwardedHeadersApp.PROXY_ADDR));
    }

    @Test
    void aClientCannotPoseAsAnotherThroughXForwardedFor() throws Exception {
        // the client sent "X-Forwarded-For: 1.1.1.1"; the trusted proxies appended the client's real address and their own
        Environ env = environFor("127.0.0.0/8,10.0.0.0/8", "X-Forwarded-For: 1.1.1.1, 198.51.100.23, 10.1.2.3\r\n");
        assertEquals("198.51.100.23", env.get("REMOTE_ADDR"));
    }

    @Test
    void rfc7239Forwarded() throws Exception {
        Environ env = rfc7239EnvironFor("127.0.0.1, 10.0.0.0/8", "Forwarded: for=\"[2001:DB8:0:0::17]:4711\";proto=HTTPS;host=\"app.example:8443\","
                + " For=10.0.0.1;by=10.0.0.2\r\n");
        // 10.0.0.1 is a trusted proxy, so the search goes past it to the leftmost element, the client
        assertEquals("2001:db8::17", env.get("REMOTE_ADDR"));
        assertEquals("on", env.get("HTTPS"), "kept in step with wsgi.url_scheme");
        assertEquals("4711", env.get("REMOTE_PORT"));
        assertEquals("https", env.get("wsgi.url_scheme"));
        assertEquals("app.example:8443", env.get("HTTP_HOST"));
        assertEquals("app.example", env.get("SERVER_NAME"));
        assertEquals("8443", env.get("SERVER_PORT"));
    }

    /** An IPv6 host's SERVER_NAME is the address without brackets, as the server's own; HTTP_HOST keeps them. */
    @Test
    void anIpv6HostIsAServerNameWithoutBrackets() throws Exception {
        Environ env = rfc7239EnvironFor("127.0.0.1", "Forwarded: for=192.0.2.60;host=\"[2001:DB8::1]:8443\"\r\n");
        assertEquals("[2001:DB8::1]:8443", env.get("HTTP_HOST"));
        assertEquals("2001:db8::1", env.get("SERVER_NAME"));
        assertEquals("8443", env.get("SERVER_PORT"));
        env = rfc7239EnvironFor("127.0.0.1", "Forwarded: for=192.0.2.60;host=\"[::1]\"\r\n");
        assertEquals("::1", env.get("SERVER_NAME"));
        assertEquals("80", env.get("SERVER_PORT"));
        env = rfc7239EnvironFor("127.0.0.1", "Forwarded: for=192.0.2.60;host=\"[1:2:3]\"\r\n");
        assertEquals("127.0.0.1", env.get("SERVER_NAME"), "not an address: the server's own name stands");
    }

    /**
     * "*" lets any peer send the headers, but believes only the hop that peer added (the right-most):
     * every named hop trusted would make the left-most one, which the client wrote, the client.
     */
    @Test
    void withAStarOnlyTheHopThePeerAddedIsBelieved() throws Exception {
        Environ env = environFor("*", "X-Forwarded-For: 1.2.3.4, 203.0.113.9\r\n");
        assertEquals("203.0.113.9", env.get("REMOTE_ADDR"));
        env = rfc7239EnvironFor("*", "Forwarded: for=1.2.3.4;proto=https;host=evil.example, for=203.0.113.9\r\n");
        assertEquals("203.0.113.9", env.get("REMOTE_ADDR"));
        assertEquals("http", env.get("wsgi.url_scheme"), "the client's proto is not the peer's");
        assertEquals("backend:8000", env.get("HTTP_HOST"));
        assertFalse(TrustedProxies.parse("*").trustsHop("203.0.113.9"));
        assertTrue(TrustedProxies.parse("*, 10.0.0.0/8").trustsHop("10.1.1.1"));
    }

    /** What the client wrote cannot spoil the element the proxy appended (RFC 7239 section 4: a list, or another field line). */
    @Test
    void aMalformedElementFromTheClientDoesNotVoidTheProxys() throws Exception {
        for (String client : new String[] {"garbage", "for=\"1.2.3.4", "for=1.2.3.4;for=5.6.7.8", ";;", "for=1.2.3.4, , "}) {
            Environ env = rfc7239EnvironFor("127.0.0.1", "Forwarded: " + client + "\r\nForwarded: for=198.51.100.7;proto=https\r\n");
            assertEquals("198.51.100.7", env.get("REMOTE_ADDR"), client);
            assertEquals("https", env.get("wsgi.url_scheme"), client);
        }
        Environ env = rfc7239EnvironFor("127.0.0.1", "Forwarded: for=198.51.100.8, , \r\n");
        assertEquals("198.51.100.8", env.get("REMOTE_ADDR"), "empty list elements do not count (RFC 9110 section 5.6.1)");
        env = environFor("127.0.0.1", "X-Forwarded-Proto: http\r\n");
        assertNull(env.get("HTTPS"));
    }

    @Test
    void onlyTheConfiguredHeaderFamilyIsBelieved() throws Exception {
        // a proxy that sets one family passes the other through from the client: it must not count
        String headers = "Forwarded: for=192.0.2.60;proto=http\r\nX-Forwarded-For: 203.0.113.9\r\n"
                + "X-Forwarded-Proto: https\r\n";
        Environ env = environFor("127.0.0.1", headers);
        assertEquals("203.0.113.9", env.get("REMOTE_ADDR"));
        assertEquals("https", env.get("wsgi.url_scheme"));
        env = rfc7239EnvironFor("127.0.0.1", headers);
        assertEquals("192.0.2.60", env.get("REMOTE_ADDR"));
        assertEquals("http", env.get("wsgi.url_scheme"));
        env = environFor("127.0.0.1", "Forwarded: for=192.0.2.60;proto=https\r\n");
        assertEquals("127.0.0.1", env.get("REMOTE_ADDR"), "Forwarded is ignored where X-Forwarded-* is believed");
        assertEquals("http", env.get("wsgi.url_scheme"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"for=192.0.2.60;proto", "for=\"192.0.2.60", "for=192.0.2.60;for=192.0.2.61",
        "for=192.0.2.60 proto=https", "=x"})
    void aMalformedForwardedHeaderChangesNothing(String header) throws Exception {
        Environ env = rfc7239EnvironFor("127.0.0.1", "Forwarded: " + header + "\r\n");
        assertEquals("127.0.0.1", env.get("REMOTE_ADDR"));
    }

    @Test
    void unknownOrObfuscatedNodesAndOddProtocolsAreNotTakenForAddresses() throws Exception {
        Environ env = rfc7239EnvironFor("127.0.0.1", "Forwarded: for=unknown;proto=gopher\r\n");
        assertEquals("127.0.0.1", env.get("REMOTE_ADDR"));
        assertEquals("http", env.get("wsgi.url_scheme"));
        env = environFor("127.0.0.1", "X-Forwarded-For: not-an-ip\r\nX-Forwarded-Host: bad host\r\n");
        assertEquals("127.0.0.1", env.get("REMOTE_ADDR"));
        assertEquals("backend:8000", env.get("HTTP_HOST"));
    }

    @Test
    void aHopWithoutAnAddressEndsTheSearchEvenWhenUnixPeersAreTrusted() throws Exception {
        // the client sent "Forwarded: for=198.51.100.66"; the trusted proxy appended an element without for=
        Environ env = rfc7239EnvironFor("127.0.0.1, unix", "Forwarded: for=198.51.100.66, proto=https\r\n");
        assertEquals("127.0.0.1", env.get("REMOTE_ADDR"));
        assertEquals("https", env.get("wsgi.url_scheme"));
        env = environFor("127.0.0.1, unix", "X-Forwarded-For: 198.51.100.66, \r\n");
        assertEquals("127.0.0.1", env.get("REMOTE_ADDR"));
    }

    @Test
    void ambiguousOrOutOfRangeAddressesAndPortsAreIgnored() throws Exception {
        // 010.0.0.1 is 8.0.0.1 to inet_aton: which address it means is in doubt
        Environ env = environFor("127.0.0.1", "X-Forwarded-For: 010.0.0.1\r\nX-Forwarded-Host: app.example:65536\r\n");
        assertEquals("127.0.0.1", env.get("REMOTE_ADDR"));
        assertEquals("backend:8000", env.get("HTTP_HOST"));
        env = rfc7239EnvironFor("127.0.0.1", "Forwarded: for=\"[2001:db8::1]:65536\";host=\"app.example:99999\"\r\n");
        assertEquals("2001:db8::1", env.get("REMOTE_ADDR"));
        assertEquals("", env.get("REMOTE_PORT"));
        assertEquals("backend:8000", env.get("HTTP_HOST"));
        env = environFor("127.0.0.1", "X-Forwarded-Host: app.example:65535\r\n");
        assertEquals("65535", env.get("SERVER_PORT"));
    }

    @Test
    void unixSocketPeersAreTrustedOnlyWhenListed(@TempDir Path dir) throws Exception {
        String request = "GET / HTTP/1.1\r\nHost: app\r\nConnection: close\r\nX-Forwarded-For: 198.51.100.7\r\n"
                + "X-Forwarded-Proto: https\r\n\r\n";
        for (String trusted : new String[] {"unix", "127.0.0.1, ::1"}) {
            Capture capture = new Capture();
            Path socket = dir.resolve("fw.sock");
            WsgiServer server = WsgiServer.builder(new ForwardedHeadersApp(capture.app(), TrustedProxies.parse(trusted)))
                    .bind(UnixDomainSocketAddress.of(socket)).build().start();
            try (server; SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                channel.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
                Environ env = capture.nextEnviron();
                boolean believed = trusted.equals("unix");
                assertEquals(believed ? "198.51.100.7" : "", env.get("REMOTE_ADDR"), trusted);
                assertEquals(believed ? "https" : "http", env.get("wsgi.url_scheme"), trusted);
                if (believed) assertEquals("", env.get(ForwardedHeadersApp.PROXY_ADDR), "the proxy's own address: none");
            }
        }
    }

    /** A UNIX socket proxy's credentials (peer credentials) do not stay on the client that replaces it. */
    @Test
    void thePeerCredentialsOfAProxyDoNotStayWithTheClient(@TempDir Path dir) throws Exception {
        Capture capture = new Capture();
        Path socket = dir.resolve("creds.sock");
        WsgiServer server = WsgiServer.builder(new ForwardedHeadersApp(capture.app(), TrustedProxies.parse("unix")))
                .bind(UnixDomainSocketAddress.of(socket)).listenOptions(org.minipylib.wsgiserver.ListenOptions.defaults().withPeerCredentials(true))
                .build().start();
        String request = "GET / HTTP/1.1\r\nHost: app\r\nConnection: close\r\n";
        try (server) {
            for (String forwarded : new String[] {"", "X-Forwarded-For: 198.51.100.7\r\n"}) {
                try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                    channel.write(ByteBuffer.wrap((request + forwarded + "\r\n").getBytes(StandardCharsets.US_ASCII)));
                    Environ env = capture.nextEnviron();
                    if (forwarded.isEmpty()) {
                        assertEquals(System.getProperty("user.name"), env.get("REMOTE_USER"), "the peer's own credentials");
                        assertTrue(env.containsKey("X_REMOTE_UID"));
                    } else {
                        assertEquals("198.51.100.7", env.get("REMOTE_ADDR"));
                        assertNull(env.get("REMOTE_USER"), "not the proxy's user");
                        assertNull(env.get("X_REMOTE_USER"));
                        assertNull(env.get("X_REMOTE_UID"));
                    }
                }
            }
        }
    }

    @Test
    void trustedProxyLists() {
        TrustedProxies list = TrustedProxies.parse("127.0.0.1, 10.0.0.0/8,2001:db8::/32 ,unix");
        assertTrue(list.trusts("127.0.0.1"));
        assertTrue(list.trusts("10.255.1.2"));
        assertFalse(list.trusts("11.0.0.1"));
        assertTrue(list.trusts("2001:db8:ffff::1"));
        assertFalse(list.trusts("2001:db9::1"));
        assertTrue(list.trusts(""), "unix: UNIX socket peers");
        assertFalse(list.trusts("localhost"), "names are never resolved");
        assertFalse(list.trusts("010.0.0.1"), "leading zeros are ambiguous (octal to inet_aton)");
        assertFalse(list.trusts("10.0.0.256"));
        assertTrue(list.trusts("::ffff:10.1.2.3"), "an IPv4-mapped IPv6 address is the IPv4 address");
        assertFalse(TrustedProxies.parse("127.0.0.1").trusts(""));
        assertTrue(TrustedProxies.parse("*").trusts("198.51.100.1"));
        assertTrue(TrustedProxies.parse("192.168.1.0/23").trusts("192.168.0.77"));
        assertFalse(TrustedProxies.parse("192.168.1.0/24").trusts("192.168.0.77"));
        for (String bad : new String[] {"localhost", "10.0.0.0/33", "::1/129", "1.2.3", "10.0.0.0/x", "010.0.0.1", "256.0.0.1",
            "1.2.3.4.5", "::1::2"}) {
            assertThrows(IllegalArgumentException.class, () -> TrustedProxies.parse(bad), bad);
        }
    }
}
