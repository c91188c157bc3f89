package org.minipylib.wsgiserver;

import org.minipylib.wsgiserver.http.HttpLimits;
import org.minipylib.wsgiserver.testing.OpenDescriptors;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Binding, the public entry points, and the access log. */
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
     * what loads once.
     */
    @Test
    void anUnresolvableAddressFailsStartAndReleasesTheAddressesBoundBeforeIt() throws Exception {
        WsgiServer server = WsgiServer.builder(HELLO).bind("127.0.0.1", 0).bind("no-such-host.invalid", 0).build();
        assertThrows(java.io.IOException.class, server::start);
        boolean countable = Files.isDirectory(Path.of("/proc/self/fd"));
        long before = countable ? OpenDescriptors.count() : 0;
        var e = assertThrows(java.io.IOException.class, server::start, "retried, it fails the same way");
        assertTrue(e.getMessage().contains("no-such-host.invalid"), e.getMessage());
        assumeTrue(countable, "open descriptors are counted in /proc/self/fd");
        Poll.until(OpenDescriptors::count, n -> n <= before, "the first address's socket released (before: " + before + ")");
    }

    @Test
    void anAccessLogWhoseCloseFailsStillLetsTheServerStop() throws Exception {
        AccessLog failingClose = new AccessLog() {
            @Override public void log(AccessLogEntry entry) { }
            @Override public void close() { throw new IllegalStateException("close fails (test)"); }
        };
        WsgiServer server = WsgiServer.builder(HELLO).bind("127.0.0.1", 0).accessLog(failingClose).build().start();
        server.stop();
        assertTrue(server.awaitStop(Duration.ofSeconds(5)), "stopped despite the log");
    }

    @Test
    void stoppingAServerThatNeverStartedEndsItForGood() throws Exception {
        AtomicInteger logCloses = new AtomicInteger();
        AccessLog log = new AccessLog() {
            @Override public void log(AccessLogEntry entry) { }
            @Override public void close() { logCloses.incrementAndGet(); }
        };
        WsgiServer server = WsgiServer.builder(HELLO).bind("127.0.0.1", 0).accessLog(log).build();
        assertEquals(ServerState.NEW, server.state());
        server.stop();
        assertTrue(server.awaitStop(Duration.ofSeconds(5)), "a waiter is not left waiting for a start that will not come");
        assertEquals(ServerState.STOPPED, server.state());
        assertEquals(1, logCloses.get(), "the access log is closed");
        assertThrows(IllegalStateException.class, server::start);
        server.stop();
        assertEquals(1, logCloses.get(), "idempotent");
    }

    @Test
    void aServerWhoseStartFailedIsStoppedByClose() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            WsgiServer server = WsgiServer.builder(HELLO).bind("127.0.0.1", taken.getLocalPort()).build();
            assertThrows(java.io.IOException.class, server::start);
            server.close();
            assertTrue(server.awaitStop(Duration.ofSeconds(5)));
            assertEquals(ServerState.STOPPED, server.state());
        }
    }

    @Test
    void settingsThatCannotWorkAreRefusedAtBuild() {
        assertThrows(IllegalArgumentException.class, () -> WsgiServer.builder(HELLO).threadIdleTimeout(Duration.ZERO).build());
        assertThrows(IllegalArgumentException.class, () -> WsgiServer.builder(HELLO).threadIdleTimeout(Duration.ofSeconds(-1)).build());
        assertThrows(IllegalArgumentException.class, () -> WsgiServer.builder(HELLO).serverHeader("x\r\nSet-Cookie: a=1").build());
        assertEquals("a\tb", WsgiServer.builder(HELLO).serverHeader("a\tb").build().config().serverHeader());
    }

    @Test
    void mountsThatCannotWorkAreRefusedAtBuild() {
        IllegalArgumentException root = assertThrows(IllegalArgumentException.class,
                () -> WsgiServer.builder(HELLO).mountApp("", HELLO));
        assertTrue(root.getMessage().contains("is the root, where the main application is mounted"), root.getMessage());
        assertThrows(IllegalArgumentException.class, () -> WsgiServer.builder(HELLO).mount("//", status -> HELLO));
        NullPointerException nothing = assertThrows(NullPointerException.class,
                () -> WsgiServer.builder(HELLO).bind("127.0.0.1", 0).mount("/status", status -> null).build());
        assertEquals("the application made for \"/status\" is null", nothing.getMessage());
        assertEquals("config", assertThrows(NullPointerException.class, () -> new WsgiServer(HELLO, null)).getMessage());
    }

    /** What users write for "no bound": each limit's largest value works, or is refused at build with its name. */
    @Test
    void theLargestLimitsServeOrAreRefusedByName() throws Exception {
        try (WsgiServer server = WsgiServer.builder(HELLO).bind("127.0.0.1", 0).workerMode(WorkerMode.POOL)
                .acceptQueueSize(Integer.MAX_VALUE).build().start();
             RawClient client = new RawClient("127.0.0.1", server.port())) {
            assertEquals(200, client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read().status(), "not a 503: no overflow");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HttpLimits.defaults().withMaxRequestLineLength(1 << 30).withMaxHeaderSectionSize(1 << 30));
        assertTrue(e.getMessage().startsWith("maxRequestLineLength + maxHeaderSectionSize must be at most"), e.getMessage());
        HttpLimits largest = HttpLimits.defaults().withMaxRequestLineLength(1 << 30)
                .withMaxHeaderSectionSize(HttpLimits.MAX_LINE_AND_SECTION - (1 << 30));
        try (WsgiServer server = WsgiServer.builder(HELLO).bind("127.0.0.1", 0).limits(largest).build().start();
             RawClient client = new RawClient("127.0.0.1", server.port())) {
            client.send("GET / HTTP/1.1\r\n");
            Thread.sleep(50); // the head in two reads: the limit is checked against what is buffered
            assertEquals(200, client.send("Host: x\r\n\r\n").read().status());
        }
    }

    @Test
    void aCopiedPoolConfigKeepsItsMinimumUnlessANewMaximumIsBelowIt() {
        ServerConfig base = ServerConfig.builder().workerMode(WorkerMode.POOL).build();
        assertEquals(10, base.minThreads());
        assertEquals(5, base.toBuilder().maxThreads(5).build().minThreads(), "lowered to the new maximum, not refused");
        ServerConfig four = ServerConfig.builder().workerMode(WorkerMode.POOL).minThreads(4).maxThreads(4).build();
        assertEquals(4, four.toBuilder().maxThreads(100).build().minThreads(), "a minimum set is kept, never raised");
        assertThrows(IllegalArgumentException.class, () -> base.toBuilder().minThreads(8).maxThreads(5).build(),
                "a minimum given to the copy itself must fit");
    }

    @Test
    void serverNameMustBeANameForUrls() {
        assertThrows(IllegalArgumentException.class, () -> WsgiServer.builder(HELLO).serverName("").build());
        assertThrows(IllegalArgumentException.class, () -> WsgiServer.builder(HELLO).serverName("a\r\nb").build());
    }

    @Test
    void serveStartsInOneLine() throws Exception {
        try (WsgiServer server = WsgiServer.serve(HELLO, 0); RawClient client = new RawClient("127.0.0.1", server.port())) {
            assertTrue(server.isRunning());
            RawClient.Response response = client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read();
            assertEquals(200, response.status());
            assertEquals("hello from 127.0.0.1:" + server.port(), response.bodyText());
        }
    }

    @Test
    void accessLogWritesCombinedFormat() throws Exception {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(sink, true, StandardCharsets.UTF_8);
        try (WsgiServer server = WsgiServer.builder(HELLO).bind("127.0.0.1", 0).accessLog(AccessLog.to(out)).build().start();
             RawClient c = new RawClient("127.0.0.1", server.port())) {
            c.send("GET /page?x=1 HTTP/1.1\r\nHost: x\r\nReferer: http://ref/\r\nUser-Agent: tester \"1\"\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(200, r.status());
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (sink.size() == 0 && System.nanoTime() < deadline) Thread.sleep(5);
        }
        String line = sink.toString(StandardCharsets.UTF_8).trim();
        assertTrue(line.matches("127\\.0\\.0\\.1 - - \\[\\d{2}/\\w{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2} [+-]\\d{4}] "
                + "\"GET /page\\?x=1 HTTP/1\\.1\" 200 \\d+ \"http://ref/\" \"tester \\\\\"1\\\\\"\""), line);
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
