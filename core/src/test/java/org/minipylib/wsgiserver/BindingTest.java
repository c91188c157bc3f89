package org.minipylib.wsgiserver;

import org.minipylib.wsgiserver.testing.OpenDescriptors;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Binding: a server bound to several addresses (IPv4, the IPv6 loopback) serves on each, reports
 * the real ports the system chose, and tells the application the address (or the configured
 * server name) and port it was reached at; a start that cannot bind one of its addresses fails
 * saying why (another process listens there, the host lacks the address, the name does not
 * resolve) and leaves nothing listening, so that it may be retried.
 */
class BindingTest {

    private static final WsgiApp HELLO = (env, sr) -> {
        sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
        return List.of(("hello from " + env.serverName() + ":" + env.serverPort()).getBytes(StandardCharsets.US_ASCII));
    };

    @Test
    void bindsSeveralAddressesAndReportsRealPorts() throws Exception {
        try (WsgiServer server = WsgiServer.builder(HELLO).bind("127.0.0.1", 0).bind("127.0.0.2", 0).build().start()) {
            List<InetSocketAddress> addresses = server.addresses();
            assertEquals(2, addresses.size());
            for (InetSocketAddress a : addresses) {
                assertNotEquals(0, a.getPort());
                try (RawClient c = new RawClient(a.getAddress().getHostAddress(), a.getPort())) {
                    c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
                    RawClient.Response r = c.read();
                    assertEquals(200, r.status());
                    assertEquals("hello from " + a.getAddress().getHostAddress() + ":" + a.getPort(), r.bodyText());
                }
            }
        }
    }

    @Test
    void bindsIpv6Loopback() throws Exception {
        assumeTrue(ipv6LoopbackAvailable(), "no IPv6 loopback on this machine");
        try (WsgiServer server = WsgiServer.builder(HELLO).bind("::1", 0).build().start()) {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                    java.net.URI.create("http://[::1]:" + server.port() + "/")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertTrue(r.body().startsWith("hello from ::1:"), r.body());
        }
    }

    @Test
    void configuredServerNameIsReported() throws Exception {
        try (WsgiServer server = WsgiServer.builder(HELLO).bind("127.0.0.1", 0).serverName("www.example.test").build().start();
             RawClient c = new RawClient("127.0.0.1", server.port())) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals("hello from www.example.test:" + server.port(), c.read().bodyText());
        }
    }

    @Test
    void portInUseFailsStartWithAClearError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            WsgiServer server = WsgiServer.builder(HELLO).bind("127.0.0.1", taken.getLocalPort()).build();
            var e = assertThrows(java.io.IOException.class, server::start);
            assertTrue(e.getMessage().contains("Cannot listen"), e.getMessage());
            assertTrue(e.getMessage().contains("another process listens there"), e.getMessage());
        }
    }

    /**
     * A wildcard address beside a single one on the same port: the server's own first listener holds the
     * port, which the message says rather than blaming another process. The single address comes first,
     * so that the wildcard is never bound (tests listen on loopback only).
     */
    @Test
    void aWildcardBesideAnAddressOnTheSamePortNamesTheServersOwnListener() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            port = probe.getLocalPort();
        }
        WsgiServer server = WsgiServer.builder(HELLO).bind("127.0.0.1", port).bind("0.0.0.0", port).build();
        var e = assertThrows(java.io.IOException.class, server::start);
        assertTrue(e.getMessage().contains("this server's own listener on 127.0.0.1:" + port), e.getMessage());
        assertTrue(!e.getMessage().contains("another process"), e.getMessage());
    }

    /** An address this host does not have (TEST-NET-1, RFC 5737: no packet is sent) is not blamed on another process. */
    @Test
    void anAddressThisHostLacksIsNotCalledInUse() {
        WsgiServer server = WsgiServer.builder(HELLO).bind("192.0.2.1", 0).build();
        var e = assertThrows(java.net.BindException.class, server::start);
        assertTrue(e.getMessage().contains("Cannot listen on 192.0.2.1"), e.getMessage());
        assertTrue(!e.getMessage().contains("another process"), e.getMessage());
    }

    /**
     * A later address that cannot be bound for any reason leaves nothing listening, and start may be
     * retried. The first address takes a port the system chooses (a port found free and bound again
     * later could be taken in between); that its socket was released is seen in this process's open
     * descriptors (Linux), back to their count before the retry, the first failed start having loaded
     * what loads once. The address is a malformed IPv6 literal, which the JDK refuses without asking
     * a name server (tests talk to nothing but loopback).
     */
    @Test
    void anUnresolvableAddressFailsStartAndReleasesTheAddressesBoundBeforeIt() throws Exception {
        WsgiServer server = WsgiServer.builder(HELLO).bind("127.0.0.1", 0).bind("1::2::3", 0).build();
        assertThrows(java.io.IOException.class, server::start);
        boolean countable = Files.isDirectory(Path.of("/proc/self/fd"));
        long before = countable ? OpenDescriptors.count() : 0;
        var e = assertThrows(java.io.IOException.class, server::start, "retried, it fails the same way");
        assertTrue(e.getMessage().contains("1::2::3"), e.getMessage());
        assumeTrue(countable, "open descriptors are counted in /proc/self/fd");
        Poll.until(OpenDescriptors::count, n -> n <= before, "the first address's socket released (before: " + before + ")");
    }

    private static boolean ipv6LoopbackAvailable() {
        try {
            NetworkInterface lo = NetworkInterface.getByInetAddress(InetAddress.getByName("::1"));
            if (lo == null) return false;
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(Inet6Address.getByName("::1"), 0));
                return true;
            }
        } catch (Exception e) {
            return false;
        }
    }
}
