package org.minipylib.wsgiserver.server;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minipylib.wsgiserver.http.Gateway;
import org.minipylib.wsgiserver.http.HttpConnection;
import org.minipylib.wsgiserver.http.HttpLimits;
import org.minipylib.wsgiserver.http.HttpResponse;
import org.minipylib.wsgiserver.http.HttpSettings;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.RecordedThreads;
import org.minipylib.wsgiserver.testing.TestGateways;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A readiness loop whose edge-triggered part fails under live connections (its epoll, or the
 * thread that sleeps on it) leaves none of them hanging: a connection idle on it without a
 * thread, and one whose application waits on it for the rest of a request body, are both closed and
 * forgotten, and the failure is logged once. Where only the edge-triggered part failed, connections
 * accepted afterwards wait on the selector instead and are served. A failed selector does not keep
 * either promise yet: see the two disabled tests.
 */
@Timeout(60)
@EnabledIf("org.minipylib.wsgiserver.server.ReadinessLoop#supported")
class ConnectionsOnAFailedReadinessLoopEndTest {

    /** How the loop fails. */
    enum Failure {
        /** The selector is closed under the loop (its next poll throws ClosedSelectorException). */
        SELECTOR_CLOSED(false, "Readiness loop failed"),
        /** The edge-triggered part's poll throws, as a failed downcall does. */
        EDGE_POLL_THROWS(true, "Readiness loop failed"),
        /** The platform thread the edge-triggered part sleeps on throws. */
        EDGE_SLEEPER_THROWS(true, "Readiness loop's sleeper failed");

        final boolean edgeTriggered;
        final String logged;

        Failure(boolean edgeTriggered, String logged) {
            this.edgeTriggered = edgeTriggered;
            this.logged = logged;
        }
    }

    @ParameterizedTest
    @EnumSource(value = Failure.class, names = {"EDGE_POLL_THROWS", "EDGE_SLEEPER_THROWS"})
    void connectionsWaitingOnTheLoopAreClosedAndForgotten(Failure failure) throws Exception {
        try (Served served = new Served(failure); LogCapture log = LogCapture.from(Level.SEVERE)) {
            RawClient idle = served.keptAfterOneRequest();
            RawClient uploading = served.keptAfterOneRequest();
            uploading.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
            Poll.until(served.bodyBytesRead::get, n -> n == 3, "the application read the body's first bytes");
            RawClient messenger = served.keptAfterOneRequest(); // its next bytes wake the edge-triggered part into its failure
            Poll.until(served.scheduler::connections, n -> n == 3, "three connections known to the scheduler");

            served.fail();
            messenger.send("G");

            for (RawClient client : List.of(idle, uploading, messenger)) {
                assertTrue(client.isClosedByServer(), "a connection on the failed loop is closed, not left hanging");
            }
            Poll.until(served.registry::size, n -> n == 0, "no connection counted any more");
            Poll.until(served.scheduler::connections, n -> n == 0, "no connection left with the scheduler");
            served.threads.awaitEnded();
            assertEquals(1, log.startingWith(failure.logged).size(), "the failure logged once: " + log.messages());
        }
    }

    /** Only the edge-triggered part failed: a connection accepted afterwards waits on the selector, and is served. */
    @ParameterizedTest
    @EnumSource(value = Failure.class, names = {"EDGE_POLL_THROWS", "EDGE_SLEEPER_THROWS"})
    void aConnectionAcceptedAfterTheEdgeTriggeredPartFailedIsServed(Failure failure) throws Exception {
        try (Served served = new Served(failure); LogCapture ignored = LogCapture.from(Level.SEVERE)) {
            RawClient before = served.keptAfterOneRequest();
            served.fail();
            before.send("G");
            assertTrue(before.isClosedByServer());
            Poll.until(served.registry::size, n -> n == 0, "the connection on the failed part closed");

            RawClient after = served.connect();
            for (int i = 0; i < 3; i++) {
                after.send("GET /r" + i + " HTTP/1.1\r\nHost: x\r\n\r\n");
                assertEquals("served /r" + i, after.read().bodyText(), "served on the selector");
            }
            assertFalse(served.lastTransport.isEdgeTriggered(), "waits on the selector");
            assertTrue(served.lastTransport.isPolled(), "waits on the loop all the same");
        }
    }

    /**
     * Not kept (left as is: it cannot happen in the server): the loop finds its waits through the
     * selector's keys, which a selector closed under it no longer gives, so no wait is woken. Only
     * the loop's own close() closes its selector; this test closes it from outside.
     */
    @Disabled("not reachable in the server: only ReadinessLoop.close() closes its selector; a selector closed from"
            + " outside no longer lists its keys, so the loop cannot find the waits to wake")
    @Test
    void connectionsWaitingOnAClosedSelectorAreClosedAndForgotten() throws Exception {
        connectionsWaitingOnTheLoopAreClosedAndForgotten(Failure.SELECTOR_CLOSED);
    }

    /**
     * A loop whose selector failed goes on with a new one: a connection the server gives it later
     * (waiting on its selector: no direct socket calls) is served, keep-alive requests included.
     */
    @Test
    void aConnectionAcceptedAfterTheSelectorFailedIsServed() throws Exception {
        try (Served served = new Served(Failure.SELECTOR_CLOSED); LogCapture ignored = LogCapture.from(Level.SEVERE)) {
            served.fail();
            RawClient after = served.connect();
            for (int i = 0; i < 3; i++) {
                after.send("GET /r" + i + " HTTP/1.1\r\nHost: x\r\n\r\n");
                assertEquals("served /r" + i, after.read().bodyText());
            }
        }
    }

    /** Echoes {@code /echo}'s body (counting the bytes it read); answers anything else with its path. */
    private static Gateway gateway(AtomicInteger bodyBytesRead) {
        Gateway servedPath = TestGateways.servedPath();
        return exchange -> {
            if (!exchange.request().path().equals("/echo")) {
                servedPath.handle(exchange);
                return;
            }
            InputStream body = exchange.body();
            byte[] got = new byte[64];
            int n = 0;
            for (int r; (r = body.read(got, n, got.length - n)) > 0; ) {
                n += r;
                bodyBytesRead.addAndGet(r);
            }
            HttpResponse response = exchange.response();
            response.begin(200, "OK", List.of(), n);
            response.write(got, 0, n);
            response.finish();
        };
    }

    /**
     * Connections accepted on loopback and served by a virtual-thread scheduler, each moved to one
     * readiness loop (edge-triggered over a failable epoll, or on the selector only) at its first
     * keep-alive request; the loop made to fail by {@link #fail()}.
     */
    private static final class Served implements AutoCloseable {
        final RecordedThreads threads = new RecordedThreads();
        final VirtualThreadScheduler scheduler = new VirtualThreadScheduler(4, 4, Duration.ofSeconds(5), threads, false);
        final ConnectionRegistry registry = new ConnectionRegistry(10);
        final AtomicInteger bodyBytesRead = new AtomicInteger();
        // long timeouts: nothing here may end a connection but the loop's failure
        final HttpSettings settings = new HttpSettings(HttpLimits.defaults(), HttpTimeouts.defaults()
                .withKeepAlive(Duration.ofSeconds(60)).withBodyRead(Duration.ofSeconds(60)), null, null);
        final Gateway gateway = gateway(bodyBytesRead);
        final Failure failure;
        final FailableEpoll epoll;
        final ReadinessLoop loop;
        final ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        final List<RawClient> clients = new ArrayList<>();
        SocketTransport lastTransport;

        Served(Failure failure) throws IOException {
            this.failure = failure;
            if (failure.edgeTriggered) {
                assumeTrue(NativeAccess.onLinux() && Runtime.version().feature() >= 22, "epoll through the foreign function API");
                EdgeTriggeredEpoll real = EdgeTriggeredEpoll.open();
                assertNotNull(real, "the surefire argLine grants native access");
                epoll = new FailableEpoll(real);
                loop = new ReadinessLoop("test-failing-loop", new EdgeTriggeredLoop(epoll, "test-failing-loop-edge"));
            } else {
                epoll = null;
                loop = new ReadinessLoop("test-failing-loop", false);
            }
        }

        /** A client whose connection the server has registered and started serving. */
        RawClient connect() throws IOException {
            RawClient client = new RawClient("127.0.0.1", ((InetSocketAddress) listener.getLocalAddress()).getPort());
            clients.add(client.timeout(10_000));
            lastTransport = SocketTransport.withLoop(listener.accept(), loop, failure.edgeTriggered);
            HttpConnection connection = new HttpConnection(lastTransport, List.of(), gateway, settings, registry);
            assertTrue(registry.add(connection));
            scheduler.start(connection);
            return client;
        }

        /** A client whose connection was served once, and waits on the loop for its next request. */
        RawClient keptAfterOneRequest() throws IOException {
            RawClient client = connect();
            client.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals("served /first", client.read().bodyText());
            return client;
        }

        /** Makes the loop fail: at once for the selector, at the next report of a socket for the edge-triggered part. */
        void fail() throws ReflectiveOperationException, IOException {
            switch (failure) {
                case SELECTOR_CLOSED -> selectorOf(loop).close();
                case EDGE_POLL_THROWS -> epoll.pollFails = true;
                case EDGE_SLEEPER_THROWS -> epoll.sleepFails = true;
            }
        }

        private static Selector selectorOf(ReadinessLoop loop) throws ReflectiveOperationException {
            Field field = ReadinessLoop.class.getDeclaredField("selector");
            field.setAccessible(true);
            return (Selector) field.get(loop);
        }

        @Override
        public void close() throws IOException {
            for (RawClient client : clients) client.close();
            registry.abortAll();
            scheduler.shutdown();
            loop.close();
            listener.close();
        }
    }

    /** The real edge-triggered epoll, whose poll, or whose sleeper's wait, throws once told to. */
    private static final class FailableEpoll implements EdgeTriggeredEpoll {
        private final EdgeTriggeredEpoll real;
        volatile boolean pollFails;
        volatile boolean sleepFails;

        FailableEpoll(EdgeTriggeredEpoll real) {
            this.real = real;
        }

        @Override
        public boolean add(int fd, long token) {
            return real.add(fd, token);
        }

        @Override
        public int poll() {
            if (pollFails) throw new IllegalStateException("epoll_wait failed (injected)");
            if (sleepFails) return 0; // every socket left to the sleeper, which then fails: the loop must not take one first
            return real.poll();
        }

        @Override
        public long token(int i) {
            return real.token(i);
        }

        @Override
        public int ready(int i) {
            return real.ready(i);
        }

        @Override
        public boolean armSleep() {
            return real.armSleep();
        }

        @Override
        public boolean sleep() {
            boolean stopped = real.sleep();
            if (sleepFails && !stopped) throw new IllegalStateException("epoll_wait failed in the sleeper (injected)");
            return stopped;
        }

        @Override
        public void wakeSleeper() {
            real.wakeSleeper();
        }

        @Override
        public void close() {
            real.close();
        }
    }
}
