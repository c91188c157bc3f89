package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.ServerConfig;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bind, start and stop as the JDK's API defines them (the executor: HandlerExecutorTest): binding can come after
 * creation and reports the real port; requests that arrive before start are served once it
 * starts; a started server keeps the JVM up until it stops; stop lets an exchange in progress finish within the delay and cuts it off at delay 0;
 * a stopped server does not start again; a server made from a {@link ServerConfig} uses it.
 */
class ServerLifecycleTest {

    private final ServerFixture servers = new ServerFixture();

    @AfterEach
    void stop() {
        servers.close();
    }

    @Test
    void bindingAfterCreationReportsTheRealPort() throws IOException {
        WsgiHttpServer server = servers.track(WsgiHttpServer.create(null, 0));
        assertNull(server.getAddress());
        assertThrows(IllegalStateException.class, server::start, "an unbound server does not start");
        server.bind(ServerFixture.LOOPBACK_ANY_PORT, 16);
        assertNotEquals(0, server.getAddress().getPort());
        assertThrows(BindException.class, () -> server.bind(ServerFixture.LOOPBACK_ANY_PORT, 0));
        // a port in use: a BindException too, as the API says (applications catch it to try another port)
        assertThrows(BindException.class, () -> WsgiHttpServer.create(server.getAddress(), 0));
        server.createContext("/", t -> TestHandlers.send(t, 200, 0, "bound later"));
        server.start();
        try (RawClient c = new RawClient("127.0.0.1", server.getAddress().getPort())) {
            assertEquals("bound later", c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read().bodyText());
        }
    }

    /**
     * As with the JDK's dispatcher thread, a thread that is no daemon lives from start() to stop(): a
     * main that starts a server and returns leaves it serving (the server's own threads are daemons).
     */
    @Test
    void aThreadThatIsNoDaemonKeepsTheJvmUpFromStartToStop() throws Exception {
        HttpServer server = servers.ours();
        Set<Thread> before = keepers();
        server.start();
        Set<Thread> started = keepers();
        started.removeAll(before);
        assertEquals(1, started.size(), "one keeper thread for the started server");
        Thread keeper = started.iterator().next();
        assertFalse(keeper.isDaemon());
        server.stop(0);
        keeper.join(Duration.ofSeconds(10));
        assertFalse(keeper.isAlive(), "the keeper ends with stop()");
    }

    private static Set<Thread> keepers() {
        Set<Thread> keepers = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(ServerCore.KEEPER_THREAD) && t.isAlive()) keepers.add(t);
        }
        return keepers;
    }

    @Test
    void aRequestSentBeforeStartIsServedOnceStarted() throws Exception {
        HttpServer server = servers.ours();
        server.createContext("/", t -> TestHandlers.send(t, 200, 0, "after start"));
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
            CompletableFuture<HttpResponse<String>> early = client.sendAsync(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ServerFixture.port(server) + "/"))
                            .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
            server.start();
            assertEquals("after start", early.get(30, TimeUnit.SECONDS).body());
        }
    }

    @Test
    void stopLetsTheExchangeInProgressFinish() throws Exception {
        CountDownLatch inHandler = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        HttpServer server = startedBlocking(inHandler, release, "finished");
        int port = ServerFixture.port(server);
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            assertTrue(inHandler.await(10, TimeUnit.SECONDS));
            Thread stopper = Thread.startVirtualThread(() -> server.stop(60));
            awaitRefused(port);
            release.countDown();
            RawClient.Response r = c.read();
            assertEquals("finished", r.bodyText());
            assertEquals("close", r.header("Connection"), "the server is stopping");
            stopper.join(Duration.ofSeconds(30));
            assertFalse(stopper.isAlive(), "stop returned once the exchange finished");
        }
        assertThrows(IllegalStateException.class, server::start, "a stopped server does not start again");
    }

    /**
     * As the JDK's server, stop waits for exchanges, not for connections without one: an idle
     * keep-alive client and one whose request head has not come whole are closed once no exchange
     * is in progress. (The server's own stop half-closes the idle one and lets it linger up to 2 s,
     * and waits for the partial head up to its timeout, 10 s.)
     */
    @Test
    void stopDoesNotWaitForConnectionsWithoutAnExchange() throws Exception {
        HttpServer server = servers.ours();
        server.createContext("/", t -> TestHandlers.send(t, 200, 0, "answered"));
        server.start();
        int port = ServerFixture.port(server);
        try (RawClient idle = new RawClient("127.0.0.1", port).timeout(30_000);
             RawClient partial = new RawClient("127.0.0.1", port).timeout(30_000)) {
            assertEquals("answered", idle.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read().bodyText());
            partial.send("GET / HTTP/1.1\r\nHost: h\r\n");
            WsgiHttpServer ours = (WsgiHttpServer) server;
            Poll.until(() -> ours.status().statistics().openConnections(), n -> n == 2, "both connections open");
            long start = System.nanoTime();
            server.stop(60);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(took.compareTo(Duration.ofMillis(1500)) < 0, "stop(60) with no exchange in progress took " + took);
            assertTrue(idle.isClosedByServer());
            assertTrue(partial.isClosedByServer());
        }
    }

    @Test
    void stopWithNoDelayCutsTheExchangeOff() throws Exception {
        CountDownLatch inHandler = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        HttpServer server = startedBlocking(inHandler, release, "too late");
        try (RawClient c = new RawClient("127.0.0.1", ServerFixture.port(server))) {
            c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            assertTrue(inHandler.await(10, TimeUnit.SECONDS));
            server.stop(0);
            assertTrue(c.isClosedByServer());
        } finally {
            release.countDown();
        }
        assertThrows(IllegalArgumentException.class, () -> server.stop(-1));
    }

    @Test
    void aServerFromAConfigUsesIt() throws IOException, InterruptedException {
        ServerConfig config = ServerConfig.builder().bind("127.0.0.1", 0).serverHeader("configured/1")
                .maxRequestsPerConnection(1).build();
        WsgiHttpServer server = servers.track(WsgiHttpServer.create(config));
        server.createContext("/", t -> TestHandlers.send(t, 200, 0, "configured"));
        server.start();
        try (RawClient c = new RawClient("127.0.0.1", server.getAddress().getPort())) {
            RawClient.Response r = c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read();
            assertEquals("configured", r.bodyText());
            assertEquals("configured/1", r.header("Server"));
            assertEquals("close", r.header("Connection"), "one request per connection, as configured");
        }
        // counted once the exchange is over, which may be just after the client has its answer
        Poll.until(() -> server.status().statistics().requests(), n -> n == 1, "the request counted");
    }

    /** A started server whose handler says it is in, waits for {@code release} (at most 30 s), then answers {@code text}. */
    private HttpServer startedBlocking(CountDownLatch inHandler, CountDownLatch release, String text) throws IOException {
        HttpServer server = servers.ours();
        server.createContext("/", t -> {
            inHandler.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            TestHandlers.send(t, 200, 0, text);
        });
        server.start();
        return server;
    }

    /** Connects until the listener is closed (a bounded number of tries). */
    private static void awaitRefused(int port) throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                Thread.sleep(10);
            } catch (ConnectException e) {
                return;
            } catch (IOException e) {
                // reset: try again
            }
        }
        throw new AssertionError("the server kept accepting after stop");
    }
}
