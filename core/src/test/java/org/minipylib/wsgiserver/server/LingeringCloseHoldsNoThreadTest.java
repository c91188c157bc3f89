package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.http.Gateway;
import org.minipylib.wsgiserver.http.HttpConnection;
import org.minipylib.wsgiserver.http.HttpLimits;
import org.minipylib.wsgiserver.http.HttpResponse;
import org.minipylib.wsgiserver.http.HttpSettings;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.LiveThreads;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.RecordedThreads;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.UnixClient;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lingering close after a response that closes the connection (here the server's own
 * {@code Connection: close} at maxRequestsPerConnection, into which a client may have pipelined
 * more requests): the output is shut, the response arrives whole and ends cleanly, and what the
 * client still sends is read and dropped until its end, not met with a reset. On a readiness loop
 * (virtual mode) that wait holds no thread, as an idle keep-alive connection's does not: the
 * thread that answered ends at once, and one runs only to read what the client sends. The
 * connection stays registered until its client's end or the deadline the watchdog enforces.
 */
@EnabledIf("org.minipylib.wsgiserver.server.ReadinessLoop#supported")
class LingeringCloseHoldsNoThreadTest {

    private static final int COUNT = 20;

    private static final Gateway HELLO = exchange -> {
        HttpResponse response = exchange.response();
        response.begin(200, "OK", List.of(), 5);
        response.write("hello".getBytes(StandardCharsets.US_ASCII), 0, 5);
        response.finish();
    };
    /** The server closes after one request on each connection (its {@code Connection: close}). */
    private static final HttpSettings ONE_REQUEST_EACH = new HttpSettings(HttpLimits.defaults(), HttpTimeouts.defaults(),
            null, null, 1, Duration.ZERO);

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
    }

    /** Connections on one loop, served by a virtual-thread scheduler whose threads are counted. */
    private static final class Lingering implements AutoCloseable {
        final RecordedThreads started = new RecordedThreads();
        final VirtualThreadScheduler scheduler;
        final ConnectionRegistry registry = new ConnectionRegistry(COUNT + 1);
        final List<RawClient> clients = new ArrayList<>();
        final List<SocketTransport> transports = new ArrayList<>();
        final List<HttpConnection> connections = new ArrayList<>();
        private final ServerSocketChannel listener;
        private final ReadinessLoop loop;
        private final boolean edgeTriggered;
        private final Gateway gateway;
        private final HttpSettings settings;
        /** Threads in a connection before these were opened (other tests' that have not ended yet). */
        private final long threadsBefore = LiveThreads.runningIn(HttpConnection.class);

        Lingering(boolean edgeTriggered, int maxConcurrent, Gateway gateway, HttpSettings settings) throws IOException {
            scheduler = new VirtualThreadScheduler(maxConcurrent, 0, Duration.ofSeconds(5), started, false);
            listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            loop = new ReadinessLoop("test-readiness", edgeTriggered);
            this.edgeTriggered = edgeTriggered;
            this.gateway = gateway;
            this.settings = settings;
        }

        /** COUNT connections, each client's request answered "hello" with {@code Connection: close}. */
        static Lingering answeredOnce(boolean edgeTriggered) throws IOException {
            Lingering lingering = new Lingering(edgeTriggered, 10, HELLO, ONE_REQUEST_EACH);
            for (int i = 0; i < COUNT; i++) {
                RawClient client = lingering.open();
                client.send(get("/"));
                RawClient.Response response = client.read();
                assertEquals("hello", response.bodyText());
                assertEquals("close", response.header("connection"), "the server's close after its last request");
            }
            return lingering;
        }

        /** Opens a connection served by the scheduler; returns its client. */
        RawClient open() throws IOException {
            int port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
            RawClient client = new RawClient("127.0.0.1", port).timeout(5000);
            clients.add(client);
            SocketTransport transport = SocketTransport.withLoop(listener.accept(), loop, edgeTriggered);
            transports.add(transport);
            HttpConnection connection = new HttpConnection(transport, List.of(), gateway, settings, registry);
            connections.add(connection);
            assertTrue(registry.add(connection));
            scheduler.start(connection);
            return client;
        }

        /** Waits until no thread runs in a connection, then asserts that every connection still lingers, registered. */
        void assertLingeringWithoutAThread() throws Exception {
            Poll.until(() -> LiveThreads.runningIn(HttpConnection.class), n -> n <= threadsBefore,
                    "no thread left in these connections");
            assertEquals(COUNT, registry.size(), "while no thread runs for them, the connections linger until their clients' end");
            assertEquals(COUNT, scheduler.connections(), "known to the scheduler, without a thread");
            started.awaitEnded();
        }

        long pendingInput() {
            return transports.stream().filter(SocketTransport::hasPendingInput).count();
        }

        @Override
        public void close() throws IOException {
            for (RawClient client : clients) client.close();
            scheduler.shutdown();
            loop.close();
            listener.close();
        }
    }

    /**
     * Clients that keep their connections open without sending: each reads its whole response and a
     * clean end at once; the connections linger without a thread, and close at their client's end,
     * or at the deadline (the watchdog's check) for those whose client does not close.
     */
    @ParameterizedTest(name = "edge-triggered: {0}")
    @ValueSource(booleans = {false, true})
    void aLingeringCloseWhoseClientSendsNothingHoldsNoThread(boolean edgeTriggered) throws Exception {
        try (Lingering lingering = Lingering.answeredOnce(edgeTriggered)) {
            for (RawClient client : lingering.clients) {
                assertEquals("", client.readToCleanEnd(), "a clean end right after the response");
            }
            lingering.assertLingeringWithoutAThread();
            int closing = COUNT / 2;
            for (int i = 0; i < closing; i++) lingering.clients.get(i).close();
            Poll.until(lingering.registry::size, n -> n == COUNT - closing, "the connections closed at their clients' end");
            for (int i = closing; i < COUNT; i++) {
                HttpConnection connection = lingering.connections.get(i);
                assertTrue(connection.checkTimeouts(System.nanoTime() + TimeUnit.SECONDS.toNanos(3)), "closed at its deadline");
            }
            assertEquals(0, lingering.registry.size());
            Poll.until(lingering.scheduler::connections, n -> n == 0, "forgotten by the scheduler");
            lingering.started.awaitEnded();
        }
    }

    /**
     * Clients that send more after the response (a request pipelined into the close, 64 KiB of it):
     * the server reads and drops it, by threads that end once it is read, while the connections
     * stay open; a later write still succeeds (not reset), and the clients' end closes them.
     */
    @ParameterizedTest(name = "edge-triggered: {0}")
    @ValueSource(booleans = {false, true})
    void whatTheClientSendsAfterTheResponseIsDroppedByThreadsThatEnd(boolean edgeTriggered) throws Exception {
        byte[] more = new byte[64 * 1024];
        Arrays.fill(more, (byte) 'x');
        try (Lingering lingering = Lingering.answeredOnce(edgeTriggered)) {
            for (RawClient client : lingering.clients) {
                client.send(get("/more"));
                client.send(more);
            }
            for (RawClient client : lingering.clients) {
                assertEquals("", client.readToCleanEnd(), "a clean end, not a reset");
            }
            Poll.until(lingering::pendingInput, n -> n == 0, "what the clients sent read");
            lingering.assertLingeringWithoutAThread();
            for (RawClient client : lingering.clients) client.send(get("/later")); // fails after a reset
            Poll.until(lingering::pendingInput, n -> n == 0, "the later requests read");
            for (RawClient client : lingering.clients) client.close();
            Poll.until(lingering.registry::size, n -> n == 0, "the connections closed at their clients' end");
            Poll.until(lingering.scheduler::connections, n -> n == 0, "forgotten by the scheduler");
            lingering.started.awaitEnded();
        }
    }

    /**
     * A request refused with 503 because every turn is taken (one here, held by a request whose
     * application waits) lingers as the close after a response does: the client reads the whole 503
     * and a clean end, and the connection then waits for its client's end without a thread (the
     * refusing thread ends; before, a thread of its own waited for each refused connection), while
     * the busy request is still served.
     */
    @ParameterizedTest(name = "edge-triggered: {0}")
    @ValueSource(booleans = {false, true})
    void aRequestRefusedAsBusyLingersWithoutAThread(boolean edgeTriggered) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Gateway waitsOnBlock = exchange -> {
            if (exchange.request().path().equals("/block")) {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            HttpResponse response = exchange.response();
            response.begin(200, "OK", List.of(), 5);
            response.write("hello".getBytes(StandardCharsets.US_ASCII), 0, 5);
            response.finish();
        };
        HttpSettings settings = new HttpSettings(HttpLimits.defaults(), HttpTimeouts.defaults(), null, null, 0, Duration.ZERO);
        try (Lingering lingering = new Lingering(edgeTriggered, 1, waitsOnBlock, settings)) {
            RawClient blocked = lingering.open();
            blocked.send(get("/block"));
            Poll.until(() -> LiveThreads.runningIn(HttpConnection.class), n -> n > lingering.threadsBefore,
                    "the blocking request served");
            List<RawClient> refused = new ArrayList<>();
            for (int i = 0; i < COUNT; i++) {
                RawClient client = lingering.open();
                refused.add(client);
                client.send(get("/"));
                RawClient.Response response = client.read();
                assertEquals(503, response.status());
                assertEquals("close", response.header("connection"));
                assertEquals("", client.readToCleanEnd(), "a clean end right after the 503");
            }
            Poll.until(() -> LiveThreads.runningIn(HttpConnection.class), n -> n <= lingering.threadsBefore + 1,
                    "no thread left in the refused connections, one in the busy one");
            assertEquals(COUNT + 1, lingering.registry.size(), "the refused connections linger until their clients' end");
            for (RawClient client : refused) client.send(get("/late")); // fails after a reset
            Poll.until(lingering::pendingInput, n -> n == 0, "the late requests read and dropped");
            release.countDown();
            assertEquals("hello", blocked.read().bodyText());
            for (RawClient client : refused) client.close();
            Poll.until(lingering.registry::size, n -> n == 1, "the refused connections closed at their clients' end");
            lingering.started.awaitEnded();
        }
    }

    /**
     * Over a UNIX socket, what the client sent after the response is read and dropped in a row while
     * it is there ({@code UnixSocketTransport.readArrived} reads without waiting), not with a
     * hand-off to a new thread per input buffer (a UNIX socket cannot tell another thread whether
     * bytes wait); the connection closes at its client's end. Sent before the server reads, so that
     * all of it is there at once.
     */
    @Test
    void overAUnixSocketWhatArrivedIsDroppedInARowNotAThreadPerBuffer(@TempDir Path dir) throws Exception {
        RecordedThreads started = new RecordedThreads();
        VirtualThreadScheduler scheduler = new VirtualThreadScheduler(10, 0, Duration.ofSeconds(5), started, false);
        ConnectionRegistry registry = new ConnectionRegistry(2);
        Path socket = dir.resolve("linger.sock");
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)
                     .bind(UnixDomainSocketAddress.of(socket));
             ReadinessLoop loop = new ReadinessLoop("test-readiness", false);
             UnixClient client = UnixClient.connect(socket)) {
            int moreBytes = 100 * 1024; // 50 input buffers' worth, within what the socket holds
            client.send(get("/") + "x".repeat(moreBytes));
            client.shutdownOutput();
            UnixSocketTransport transport = new UnixSocketTransport(listener.accept(), false, null, loop);
            HttpConnection connection = new HttpConnection(transport, List.of(), HELLO, ONE_REQUEST_EACH, registry);
            assertTrue(registry.add(connection));
            scheduler.start(connection);
            UnixClient.Response response = client.read();
            assertEquals("hello", response.body());
            assertEquals("close", response.connection(), "the server's close after its last request");
            assertEquals("", client.readToCleanEnd(), "a clean end, not a reset");
            Poll.until(registry::size, n -> n == 0, "the connection closed at its client's end");
            started.awaitEnded();
            assertTrue(started.threads().size() <= 4,
                    started.threads().size() + " threads started to drop " + moreBytes + " bytes that were there at once");
        } finally {
            scheduler.shutdown();
        }
    }

    /**
     * In pool mode the close lingers on a virtual thread (as an idle connection waits there), not
     * on the worker: with one worker, a second connection is served while the first lingers; each
     * ends cleanly and unregisters at its client's end.
     */
    @Test
    void inPoolModeTheWorkerIsFreeWhileTheCloseLingers() throws Exception {
        try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "hello"),
                b -> b.workerMode(WorkerMode.POOL).minThreads(1).maxThreads(1).maxRequestsPerConnection(1));
             RawClient first = server.connect().timeout(5000);
             RawClient second = server.connect().timeout(5000)) {
            first.send(get("/first"));
            assertEquals("hello", first.read().bodyText());
            second.send(get("/second"));
            assertEquals("hello", second.read().bodyText(), "served while the first connection lingers");
            first.send(get("/late"));
            assertEquals("", first.readToCleanEnd());
            assertEquals("", second.readToCleanEnd());
            first.close();
            second.close();
            Poll.until(server.server()::openConnections, n -> n == 0, "the connections closed at their clients' end");
        }
    }
}
