package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.http.Gateway;
import org.minipylib.wsgiserver.http.HttpConnection;
import org.minipylib.wsgiserver.http.HttpLimits;
import org.minipylib.wsgiserver.http.HttpResponse;
import org.minipylib.wsgiserver.http.HttpSettings;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.OpenDescriptors;
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
import java.net.SocketTimeoutException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * In virtual mode with a readiness loop, a keep-alive connection waiting for its next request
 * holds no thread: the thread that answered ends, and the loop starts a new one when the next
 * request arrives ({@code SocketTransport.awaitReadableThen}). These tests drive that hand-off on
 * real loopback sockets, through the server and through the transport alone: the callback runs
 * once per wait, whether bytes arrive, the socket is closed or the loop stops, and bytes that came
 * while no one waited are read at once. Over a UNIX socket too ({@code UnixSocketTransport}). The transport-level tests run on both kinds of wait: the
 * loop's level-triggered selector, and its edge-triggered epoll (sockets with a descriptor of their own).
 */
@EnabledIf("org.minipylib.wsgiserver.server.ReadinessLoop#supported")
class IdleConnectionsHoldNoThreadTest {

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
    }

    @Test
    void theThreadThatAnsweredEndsWhileTheConnectionWaitsAndTheNextRequestGetsANewOne() throws Exception {
        Map<String, Thread> threads = new ConcurrentHashMap<>();
        try (TestServer server = TestServer.start(WsgiTestApps.pathRecordingThreads(threads), b -> b.workerMode(WorkerMode.VIRTUAL));
             RawClient client = server.connect().timeout(5000)) {
            client.send(get("/one"));
            assertEquals("/one", client.read().bodyText());
            assertTrue(threads.get("/one").join(Duration.ofSeconds(5)), "the thread that answered /one ended");
            client.send(get("/two"));
            assertEquals("/two", client.read().bodyText());
            Thread second = threads.get("/two");
            assertNotSame(threads.get("/one"), second);
            assertTrue(second.join(Duration.ofSeconds(5)), "the thread that answered /two ended while the connection stayed open");
            client.timeout(200);
            assertFalse(client.isClosedByServer());
            client.timeout(5000);
            client.send(get("/three"));
            assertEquals("/three", client.read().bodyText());
            assertNotSame(second, threads.get("/three"));
            assertTrue(threads.get("/three").isVirtual());
            client.send(get("/four"));
            assertEquals("/four", client.read().bodyText());
        }
    }

    /**
     * Connections waiting without a thread are still closed at the keep-alive timeout (by the
     * watchdog) and by stop(), and leave nothing open behind.
     */
    @Test
    void connectionsWaitingWithoutAThreadAreClosedAtTheKeepAliveTimeoutAndByStop() throws Exception {
        Map<String, Thread> threads = new ConcurrentHashMap<>();
        HttpTimeouts timeouts =
                HttpTimeouts.defaults().withKeepAlive(Duration.ofMillis(300));
        try (TestServer server = TestServer.start(WsgiTestApps.pathRecordingThreads(threads), b -> b.workerMode(WorkerMode.VIRTUAL).timeouts(timeouts));
             RawClient timedOut = server.connect().timeout(5000)) {
            timedOut.send(get("/a"));
            assertEquals("/a", timedOut.read().bodyText());
            assertTrue(threads.get("/a").join(Duration.ofSeconds(5)));
            assertTrue(timedOut.isClosedByServer(), "closed at the keep-alive timeout with no thread of its own");
            org.minipylib.wsgiserver.testing.Poll.until(server.server()::openConnections, n -> n == 0, "the connection to be forgotten");
        }
        Duration shutdownTimeout = Duration.ofSeconds(60);
        try (TestServer server = TestServer.start(WsgiTestApps.pathRecordingThreads(threads),
                b -> b.workerMode(WorkerMode.VIRTUAL).shutdownTimeout(shutdownTimeout));
             RawClient stopped = server.connect().timeout(5000)) {
            stopped.send(get("/b"));
            assertEquals("/b", stopped.read().bodyText());
            assertTrue(threads.get("/b").join(Duration.ofSeconds(5)));
            long start = System.nanoTime();
            server.server().stop();
            assertTrue(System.nanoTime() - start < shutdownTimeout.toNanos() / 2, "stop() waited for an idle connection");
            assertTrue(stopped.isClosedByServer());
            assertEquals(0, server.server().openConnections());
        }
    }

    /**
     * Connections half-closed at the keep-alive timeout while they wait without a thread (thousands
     * may expire together) start none at the timeout, and none stays while they wait for their
     * clients' end: a late request a client sends into one is read and dropped by a short task, which
     * hands the connection off again. Each ends with its client's end, and the scheduler forgets it.
     */
    @ParameterizedTest(name = "edge-triggered: {0}")
    @ValueSource(booleans = {false, true})
    void connectionsHalfClosedAtTheKeepAliveTimeoutWaitForTheirClientsWithoutAThread(boolean edgeTriggered) throws Exception {
        int count = 50;
        RecordedThreads recorded = new RecordedThreads();
        List<Thread> started = recorded.threads();
        VirtualThreadScheduler scheduler = new VirtualThreadScheduler(10, 10, Duration.ofSeconds(5), recorded, false);
        Gateway hello = exchange -> {
            HttpResponse response = exchange.response();
            response.begin(200, "OK", List.of(), 5);
            response.write("hello".getBytes(StandardCharsets.US_ASCII), 0, 5);
            response.finish();
        };
        HttpSettings settings = new HttpSettings(HttpLimits.defaults(),
                HttpTimeouts.defaults().withKeepAlive(Duration.ofMillis(200)), null, null);
        ConnectionRegistry registry = new ConnectionRegistry(count);
        List<RawClient> clients = new java.util.ArrayList<>();
        List<SocketTransport> transports = new java.util.ArrayList<>();
        try (ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             ReadinessLoop loop = new ReadinessLoop("test-readiness", edgeTriggered)) {
            int port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
            for (int i = 0; i < count; i++) {
                RawClient client = new RawClient("127.0.0.1", port).timeout(5000);
                clients.add(client);
                SocketTransport transport = SocketTransport.withLoop(listener.accept(), loop, edgeTriggered);
                transports.add(transport);
                HttpConnection connection = new HttpConnection(transport, List.of(), hello, settings, registry);
                assertTrue(registry.add(connection));
                scheduler.start(connection);
                for (int r = 0; r < 2; r++) { // the second request is read on the loop
                    client.send(get("/"));
                    assertEquals("hello", client.read().bodyText());
                }
                assertEquals(edgeTriggered, transport.isEdgeTriggered(), "waits on the kind of wait under test");
            }
            Thread.sleep(300); // past the keep-alive deadline
            // Counted only now: a loop thread held up may report a second request late, after it
            // was answered, and start a thread that finds nothing and hands off again (see
            // aLateWakeWithNothingToReadHoldsNoThread); it ends too.
            recorded.awaitEnded();
            int threadsBefore = started.size();
            assertEquals(count, scheduler.connections(), "the idle connections are known, without a thread");
            registry.checkTimeouts(); // the watchdog's sweep
            assertEquals(threadsBefore, started.size(), "no thread started at the timeout");
            for (RawClient client : clients) {
                assertEquals("", client.readToCleanEnd(), "a clean end at the keep-alive timeout");
                client.send(get("/late")); // not having noticed: read and dropped, not reset
            }
            Poll.until(() -> transports.stream().filter(SocketTransport::hasPendingInput).count(), n -> n == 0,
                    "the late requests read");
            Poll.until(() -> started.stream().filter(Thread::isAlive).count(), n -> n == 0,
                    "the threads that read the late requests ended");
            for (RawClient client : clients) client.send(get("/later")); // fails after a reset
            assertEquals(count, registry.size(), "half-closed until their clients' end");
            assertEquals(count, scheduler.connections());
            for (RawClient client : clients) client.close();
            Poll.until(registry::size, n -> n == 0, "the connections closed at their clients' end");
            Poll.until(scheduler::connections, n -> n == 0, "forgotten by the scheduler");
            recorded.awaitEnded();
            System.out.println(count + " connections timed out with a late request each; threads started: "
                    + (started.size() - threadsBefore));
        } finally {
            for (RawClient client : clients) client.close();
            scheduler.shutdown();
        }
    }

    private static final int UNIX_CONNECTIONS = 40;

    /** Opens {@code count} connections to {@code socket}, each answered once ("/name" + its number): all idle after. */
    private static List<UnixClient> answeredOnce(Path socket, String name, int count) throws IOException {
        List<UnixClient> clients = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            UnixClient client = UnixClient.connect(socket);
            clients.add(client);
            assertEquals("/" + name + i, client.send(get("/" + name + i)).read().body());
        }
        return clients;
    }

    /**
     * Each thread that answered ends, and the idle connections hold no descriptor besides their
     * socket (the server's end and the client's here: at most two each). Before, a UNIX connection's
     * thread stayed parked on a selector of its own until the next request: one thread and two
     * descriptors more per idle connection.
     */
    private static void assertIdleWithoutAThread(Map<String, Thread> threads, String name, long descriptorsBefore)
            throws InterruptedException {
        for (int i = 0; i < UNIX_CONNECTIONS; i++) {
            assertTrue(threads.get("/" + name + i).join(Duration.ofSeconds(2)),
                    "the thread that answered /" + name + i + " ended while its connection waits");
        }
        long held = OpenDescriptors.count() - descriptorsBefore;
        assertTrue(held <= 2L * UNIX_CONNECTIONS + 8,
                held + " descriptors for " + UNIX_CONNECTIONS + " idle connections, both ends");
    }

    /**
     * Over a UNIX socket too, idle keep-alive connections wait on the readiness loop: no thread,
     * no descriptor besides their socket; the next request on each is served (by a new thread), and
     * stop() closes them cleanly, at once.
     */
    @Test
    void idleConnectionsOnAUnixSocketHoldNoThreadNorDescriptorAndStopClosesThemCleanly(@TempDir Path dir) throws Exception {
        Map<String, Thread> threads = new ConcurrentHashMap<>();
        Path socket = dir.resolve("idle.sock");
        List<UnixClient> clients = List.of();
        Duration shutdownTimeout = Duration.ofSeconds(60);
        try (WsgiServer server = WsgiServer.builder(WsgiTestApps.pathRecordingThreads(threads))
                .bind(UnixDomainSocketAddress.of(socket)).workerMode(WorkerMode.VIRTUAL).shutdownTimeout(shutdownTimeout).build().start()) {
            long before = OpenDescriptors.count();
            clients = answeredOnce(socket, "one", UNIX_CONNECTIONS);
            assertIdleWithoutAThread(threads, "one", before);
            for (int i = 0; i < UNIX_CONNECTIONS; i++) {
                assertEquals("/two" + i, clients.get(i).send(get("/two" + i)).read().body(), "the next request served");
                assertNotSame(threads.get("/one" + i), threads.get("/two" + i));
            }
            assertIdleWithoutAThread(threads, "two", before);
            long start = System.nanoTime();
            server.stop();
            assertTrue(System.nanoTime() - start < shutdownTimeout.toNanos() / 2, "stop() waited for idle connections");
            for (UnixClient client : clients) assertEquals("", client.readToCleanEnd(), "a clean end at stop()");
            assertEquals(0, server.openConnections());
        } finally {
            for (UnixClient client : clients) client.close();
        }
    }

    /**
     * Idle UNIX connections waiting without a thread are half-closed at the keep-alive timeout (by
     * the watchdog): each client sees a clean end, and once it closes nothing of the connection stays.
     */
    @Test
    void idleConnectionsOnAUnixSocketEndCleanlyAtTheKeepAliveTimeout(@TempDir Path dir) throws Exception {
        Map<String, Thread> threads = new ConcurrentHashMap<>();
        Path socket = dir.resolve("timeout.sock");
        List<UnixClient> clients = List.of();
        // longer than the threads' ends may take on a loaded machine, where the idle ones are counted
        HttpTimeouts timeouts = HttpTimeouts.defaults().withKeepAlive(Duration.ofSeconds(4));
        try (WsgiServer server = WsgiServer.builder(WsgiTestApps.pathRecordingThreads(threads))
                .bind(UnixDomainSocketAddress.of(socket)).workerMode(WorkerMode.VIRTUAL).timeouts(timeouts).build().start()) {
            long before = OpenDescriptors.count();
            clients = answeredOnce(socket, "idle", UNIX_CONNECTIONS);
            assertIdleWithoutAThread(threads, "idle", before);
            for (UnixClient client : clients) assertEquals("", client.readToCleanEnd(), "a clean end at the keep-alive timeout");
            for (UnixClient client : clients) client.close();
            Poll.until(server::openConnections, n -> n == 0, "the connections closed at their clients' end");
            Poll.until(OpenDescriptors::count, n -> n <= before, "the descriptors closed (before: " + before + ")");
        } finally {
            for (UnixClient client : clients) client.close();
        }
    }

    /**
     * Without a loop a connection's next request is waited for by a fresh thread after each response
     * (in the JDK's poller: see {@link FreshThreadBeforeIdleWaitTest}), and the one before it ends.
     */
    @Test
    void withoutALoopAFreshThreadWaitsAfterEachResponse() throws Exception {
        Map<String, Thread> threads = new ConcurrentHashMap<>();
        try (TestServer server = TestServer.start(WsgiTestApps.pathRecordingThreads(threads),
                b -> b.workerMode(WorkerMode.VIRTUAL).readinessLoops(0));
             RawClient client = server.connect().timeout(5000)) {
            for (String path : List.of("/one", "/two", "/three")) {
                client.send(get(path));
                assertEquals(path, client.read().bodyText());
            }
            assertEquals(3, Set.copyOf(threads.values()).size(), "a thread for each request: " + threads);
            assertTrue(threads.get("/one").join(Duration.ofSeconds(5)), "the first request's thread ended");
            assertTrue(threads.get("/two").join(Duration.ofSeconds(5)), "the second request's thread ended");
        }
    }

    /**
     * Many connections, each answered several times with pauses between: all answers arrive, in
     * order, on their own connection, each on a thread of its own.
     */
    @Test
    void manyConnectionsHandedOffAndResumedGetTheirOwnAnswers() throws Exception {
        Map<String, Thread> threads = new ConcurrentHashMap<>();
        try (TestServer server = TestServer.start(WsgiTestApps.pathRecordingThreads(threads), b -> b.workerMode(WorkerMode.VIRTUAL))) {
            List<RawClient> clients = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 50; i++) clients.add(server.connect().timeout(5000));
                for (int round = 0; round < 5; round++) {
                    for (int i = 0; i < clients.size(); i++) clients.get(i).send(get("/c" + i + "r" + round));
                    for (int i = 0; i < clients.size(); i++) {
                        assertEquals("/c" + i + "r" + round, clients.get(i).read().bodyText());
                    }
                    Thread.sleep(20);
                }
                for (int i = 0; i < clients.size(); i++) {
                    java.util.Set<Thread> distinct = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
                    for (int round = 0; round < 5; round++) distinct.add(threads.get("/c" + i + "r" + round));
                    assertEquals(5, distinct.size(), "connection " + i + ": a new thread for each request after an idle wait");
                }
            } finally {
                for (RawClient c : clients) c.close();
            }
        }
    }

    /** A server socket, a connected peer and the accepted side on a loop, already answered once (so on the loop). */
    private record Pair(ServerSocketChannel listener, SocketChannel peer, SocketTransport transport, ReadinessLoop loop)
            implements AutoCloseable {

        /** With {@code edgeTriggered}, the transport has a descriptor of its own and waits on the loop's epoll by it. */
        static Pair open(boolean edgeTriggered) throws IOException {
            ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            SocketChannel peer = SocketChannel.open(listener.getLocalAddress());
            ReadinessLoop loop = new ReadinessLoop("test-readiness");
            SocketTransport transport = SocketTransport.withLoop(listener.accept(), loop, edgeTriggered);
            transport.write("answer".getBytes(StandardCharsets.US_ASCII), 0, 6);
            return new Pair(listener, peer, transport, loop);
        }

        void send(String text) throws IOException {
            peer.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
        }

        String read() throws IOException {
            byte[] buf = new byte[64];
            int n = transport.read(buf, 0, buf.length, 5000);
            return new String(buf, 0, n, StandardCharsets.US_ASCII);
        }

        @Override
        public void close() throws IOException {
            transport.close();
            loop.close();
            peer.close();
            listener.close();
        }
    }

    @ParameterizedTest(name = "edge-triggered: {0}")
    @ValueSource(booleans = {false, true})
    void theCallbackRunsOnceWhenBytesArriveAndTheReadThenFindsThem(boolean edgeTriggered) throws Exception {
        try (Pair pair = Pair.open(edgeTriggered)) {
            for (String message : List.of("first", "second")) {
                AtomicInteger runs = new AtomicInteger();
                CountDownLatch ran = new CountDownLatch(1);
                assertTrue(pair.transport().awaitReadableThen(() -> {
                    runs.incrementAndGet();
                    ran.countDown();
                }));
                assertTrue(pair.transport().isPolled());
                assertEquals(edgeTriggered, pair.transport().isEdgeTriggered()); // the tests run with native access
                assertFalse(ran.await(200, TimeUnit.MILLISECONDS), "ran before anything arrived");
                pair.send(message);
                assertTrue(ran.await(5, TimeUnit.SECONDS));
                assertEquals(message, pair.read());
                Thread.sleep(100); // a second run would come from the loop's next polls
                assertEquals(1, runs.get());
                pair.transport().write("ok".getBytes(StandardCharsets.US_ASCII), 0, 2);
            }
        }
    }

    @ParameterizedTest(name = "edge-triggered: {0}")
    @ValueSource(booleans = {false, true})
    void theCallbackRunsWhenTheSocketIsClosedAndTheReadThenFails(boolean edgeTriggered) throws Exception {
        try (Pair pair = Pair.open(edgeTriggered)) {
            AtomicInteger runs = new AtomicInteger();
            assertTrue(pair.transport().awaitReadableThen(runs::incrementAndGet));
            pair.transport().close();
            assertEquals(1, runs.get(), "run by the closing thread");
            assertThrows(IOException.class, pair::read);
            Thread.sleep(100);
            assertEquals(1, runs.get());
        }
    }

    @ParameterizedTest(name = "edge-triggered: {0}")
    @ValueSource(booleans = {false, true})
    void theCallbackRunsWhenTheLoopStopsAndTheReadThenFails(boolean edgeTriggered) throws Exception {
        try (Pair pair = Pair.open(edgeTriggered)) {
            CountDownLatch ran = new CountDownLatch(1);
            assertTrue(pair.transport().awaitReadableThen(ran::countDown));
            pair.loop().close();
            assertTrue(ran.await(5, TimeUnit.SECONDS));
            assertThrows(IOException.class, pair::read);
        }
    }

    /** Hands off once and reads what the peer sends then: the socket is on the loop, and no one waits on it. */
    private static void handOffAndRead(Pair pair, String message) throws Exception {
        CountDownLatch ran = new CountDownLatch(1);
        assertTrue(pair.transport().awaitReadableThen(ran::countDown));
        pair.send(message);
        assertTrue(ran.await(5, TimeUnit.SECONDS));
        assertEquals(message, pair.read());
    }

    /** On the loop with no one waiting, the peer sends {@code message}: the loop finds it and mutes the socket. */
    private static void sendWhileNoOneWaits(Pair pair, String message) throws Exception {
        handOffAndRead(pair, "one");
        pair.send(message);
        org.minipylib.wsgiserver.testing.Poll.until(pair.transport()::readsMuted, muted -> muted, "the loop mutes the socket");
    }

    /**
     * Bytes that arrive while the connection's thread runs (a client that sends its next request
     * before it has read the answer) make the loop stop watching the socket (level-triggered) or
     * note the arrival (edge-triggered). The next hand-off then has the callback run at once for the
     * bytes still there (level-triggered: the socket is watched again), or says to read them now.
     */
    @ParameterizedTest(name = "edge-triggered: {0}")
    @ValueSource(booleans = {false, true})
    void bytesThatCameWhileNoOneWaitedRunTheNextCallbackAtOnce(boolean edgeTriggered) throws Exception {
        try (Pair pair = Pair.open(edgeTriggered)) {
            sendWhileNoOneWaits(pair, "two");
            CountDownLatch ran = new CountDownLatch(1);
            boolean handedOff = pair.transport().awaitReadableThen(ran::countDown);
            if (edgeTriggered) {
                assertFalse(handedOff, "the bytes are there: read them now");
            } else {
                assertTrue(handedOff);
                assertTrue(ran.await(5, TimeUnit.SECONDS), "the loop watches the socket again and finds the bytes");
            }
            assertEquals("two", pair.read());
            handOffAndRead(pair, "three"); // and it keeps watching
        }
    }

    /**
     * Bytes that came while no one waited, then read by the connection's own thread (a request body,
     * a head in two pieces): the socket is empty and muted. The next hand-off must still wait
     * without a thread, and the callback run only when new bytes come.
     */
    @ParameterizedTest(name = "edge-triggered: {0}")
    @ValueSource(booleans = {false, true})
    void aMutedSocketReadEmptyIsWatchedAgainAtTheNextHandOff(boolean edgeTriggered) throws Exception {
        try (Pair pair = Pair.open(edgeTriggered)) {
            sendWhileNoOneWaits(pair, "two");
            assertEquals("two", pair.read()); // read by the running thread itself: empty now, still muted
            assertTrue(pair.transport().readsMuted());
            CountDownLatch ran = new CountDownLatch(1);
            assertTrue(pair.transport().awaitReadableThen(ran::countDown));
            assertFalse(ran.await(300, TimeUnit.MILLISECONDS), "ran with nothing to read");
            pair.send("three");
            assertTrue(ran.await(5, TimeUnit.SECONDS), "the loop watches the socket again");
            assertEquals("three", pair.read());
        }
    }

    /**
     * A wake after a hand-off for bytes read already (the loop reports what its last poll saw, and
     * a loop thread held up reports it after the connection's thread read them, answered and
     * handed off again): the read that follows finds nothing and says so, rather than wait with a
     * thread for the connection's next request; the connection then hands off again.
     */
    @ParameterizedTest(name = "edge-triggered: {0}")
    @ValueSource(booleans = {false, true})
    void aLateWakeWithNothingToReadHoldsNoThread(boolean edgeTriggered) throws Exception {
        try (Pair pair = Pair.open(edgeTriggered)) {
            handOffAndRead(pair, "one");
            CountDownLatch ran = new CountDownLatch(1);
            assertTrue(pair.transport().awaitReadableThen(ran::countDown));
            pair.transport().reportReadable(); // late: "one" was read already
            assertTrue(ran.await(5, TimeUnit.SECONDS));
            assertEquals(0, assertTimeoutPreemptively(Duration.ofSeconds(5), () -> pair.transport().read(new byte[8], 0, 8, 0)),
                    "the read after the wake returns at once");
            handOffAndRead(pair, "two"); // and the connection waits without a thread again
        }
    }

    /** After a hand-off, a read that finds nothing waits on the loop as any read does, and times out. */
    @ParameterizedTest(name = "edge-triggered: {0}")
    @ValueSource(booleans = {false, true})
    void aReadThatFindsNothingAfterAHandOffWaitsAndTimesOut(boolean edgeTriggered) throws Exception {
        try (Pair pair = Pair.open(edgeTriggered)) {
            handOffAndRead(pair, "x");
            assertThrows(SocketTimeoutException.class, () -> pair.transport().read(new byte[8], 0, 8, 200));
        }
    }
}
