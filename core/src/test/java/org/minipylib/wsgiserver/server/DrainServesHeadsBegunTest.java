package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.AccessLog;
import org.minipylib.wsgiserver.http.HttpConnection;
import org.minipylib.wsgiserver.http.HttpLimits;
import org.minipylib.wsgiserver.http.HttpSettings;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.RecordedThreads;
import org.minipylib.wsgiserver.testing.TestGateways;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * stop() closes idle connections (a half-close, see KeepAliveTimeoutCleanEndTest), but not one
 * whose next request's head has begun to arrive and is read in part: that request is in flight,
 * and is served (with {@code Connection: close}), as one whose bytes are all in the socket is.
 * Before, the drain half-closed such a connection as idle once its thread had read the first part
 * (nothing left in the socket, state still idle), and the request, when complete, was dropped
 * unanswered: a client sending its head in pieces at that moment lost it.
 */
@EnabledIf("org.minipylib.wsgiserver.server.ReadinessLoop#supported")
class DrainServesHeadsBegunTest {

    private static final String BEGUN = "GET /begun HTTP/1.1\r\nHost: x\r\n";

    /** One connection on a readiness loop, served by a virtual-thread scheduler whose threads are kept. */
    private static final class Served implements AutoCloseable {
        final RecordedThreads started = new RecordedThreads();
        final ConnectionRegistry registry = new ConnectionRegistry(1);
        final VirtualThreadScheduler scheduler;
        final ReadinessLoop loop;
        final ServerSocketChannel listener;
        final RawClient client;
        final SocketTransport transport;

        Served(boolean edgeTriggered, AccessLog accessLog) throws IOException {
            scheduler = new VirtualThreadScheduler(4, 0, Duration.ofSeconds(5), started, false);
            loop = new ReadinessLoop("test-readiness", edgeTriggered);
            listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            client = new RawClient("127.0.0.1", ((InetSocketAddress) listener.getLocalAddress()).getPort()).timeout(5000);
            transport = SocketTransport.withLoop(listener.accept(), loop, edgeTriggered);
            HttpSettings settings = new HttpSettings(HttpLimits.defaults(), HttpTimeouts.defaults(), null, accessLog);
            HttpConnection connection = new HttpConnection(transport, List.of(), TestGateways.servedPath(), settings, registry);
            registry.add(connection);
            scheduler.start(connection);
        }

        /** Waits until the connection's thread has read what the client sent and waits, timed, for the rest of the head. */
        void awaitRestOfHead() throws InterruptedException {
            Poll.until(() -> !transport.hasPendingInput()
                            && started.threads().stream().anyMatch(t -> t.getState() == Thread.State.TIMED_WAITING),
                    b -> b, "the head's first part read, the rest waited for");
        }

        /**
         * Waits until the connection's thread is done with what it was sent: it waits, timed, for the
         * rest of a head, or it has ended (the connection waits without a thread, or is closed).
         */
        void awaitThreadsSettled() throws InterruptedException {
            Poll.until(() -> started.threads().stream().allMatch(t -> t.getState() == Thread.State.TIMED_WAITING
                    || t.getState() == Thread.State.TERMINATED), b -> b, "the connection's thread waiting timed, or ended");
        }

        /** The rest of the head arrives: the request is answered, with the drain's close, which then ends cleanly. */
        void assertBegunRequestServed() throws Exception {
            client.send("\r\n");
            RawClient.Response response = client.read();
            assertEquals(200, response.status());
            assertEquals("served /begun", response.bodyText());
            assertEquals("close", response.header("connection"), "a draining server closes after the response");
            assertEquals("", client.readToCleanEnd());
            client.close();
            Poll.until(registry::size, n -> n == 0, "the connection closed at its client's end");
        }

        @Override
        public void close() throws IOException {
            client.close();
            scheduler.shutdown();
            loop.close();
            listener.close();
        }
    }

    /**
     * The drain begins (as stop() begins it, and repeats it while connections are open) while the
     * head's first part has been read, on a new connection or on a keep-alive one waiting on the loop.
     */
    @ParameterizedTest(name = "edge-triggered: {0}, after a keep-alive request: {1}")
    @CsvSource({"false, false", "false, true", "true, false", "true, true"})
    void aHeadReadInPartWhenTheDrainBeginsIsServed(boolean edgeTriggered, boolean afterKeepAlive) throws Exception {
        try (Served served = new Served(edgeTriggered, null)) {
            if (afterKeepAlive) {
                served.client.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
                assertEquals("served /first", served.client.read().bodyText());
            }
            served.client.send(BEGUN);
            served.awaitRestOfHead();
            for (int i = 0; i < 3; i++) served.registry.startDraining();
            served.assertBegunRequestServed();
        }
    }

    /**
     * The drain begins just after a keep-alive response (its access-log entry written) while part
     * of a pipelined head is buffered behind it: the connection's thread, finding the server
     * draining before it waits, does not close it as idle either.
     */
    @ParameterizedTest(name = "edge-triggered: {0}")
    @ValueSource(booleans = {false, true})
    void aPipelinedHeadBegunWhenTheDrainBeginsIsServed(boolean edgeTriggered) throws Exception {
        ConnectionRegistry[] registry = new ConnectionRegistry[1];
        AccessLog drainAfterFirst = entry -> {
            if (entry.requestLine().startsWith("GET /first ")) registry[0].startDraining();
        };
        try (Served served = new Served(edgeTriggered, drainAfterFirst)) {
            registry[0] = served.registry;
            served.client.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n" + BEGUN);
            RawClient.Response first = served.client.read();
            assertEquals("served /first", first.bodyText());
            assertEquals(null, first.header("connection"), "kept: the drain began after the response");
            served.awaitThreadsSettled(); // the rest of the head comes after the connection's look at the drain
            served.assertBegunRequestServed();
        }
    }
}
