package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;

import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link WsgiServer#stop()} called on virtual threads (as its documentation suggests for a
 * {@code /shutdown} handler), more of them at once than the virtual threads' carriers, leaves the
 * server serving through its drain delay: a stop that waits, and the stops that wait for it, hold
 * no carrier. Before JDK 24 a virtual thread that waits inside {@code synchronized}, or to enter
 * it, pins its carrier (JEP 491).
 */
class StopsOnVirtualThreadsKeepServingTest {

    private static final int CARRIERS = Runtime.getRuntime().availableProcessors();
    private static final int ANSWER_WITHIN_MILLIS = 3000;

    private static final WsgiApp HELLO = (env, sr) -> {
        sr.start("200 OK", List.of(new Header("Content-Length", "2")));
        return List.of("hi".getBytes());
    };

    @Test
    void requestsAreAnsweredDuringTheDrainDelayOfConcurrentStops() throws Exception {
        try (TestServer server = TestServer.start(HELLO, b -> b.workerMode(WorkerMode.VIRTUAL)
                .drainDelay(Duration.ofSeconds(5)).shutdownTimeout(Duration.ofSeconds(1)))) {
            List<Thread> stops = new ArrayList<>();
            for (int i = 0; i < CARRIERS; i++) stops.add(Thread.ofVirtual().start(server.server()::stop));
            Poll.until(server.server()::state, s -> s == ServerState.DRAINING, "the server drains");
            Thread.sleep(200); // lets the other stops reach the first one's lock
            try (RawClient c = server.connect()) {
                c.timeout(ANSWER_WITHIN_MILLIS).send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
                assertEquals("hi", c.read().bodyText());
            } catch (SocketTimeoutException e) {
                fail("no answer within " + ANSWER_WITHIN_MILLIS + " ms while " + CARRIERS
                        + " stops wait on virtual threads (" + CARRIERS + " carriers): the waits pin them");
            }
            for (Thread t : stops) t.join(Duration.ofSeconds(15));
            for (Thread t : stops) assertFalse(t.isAlive(), "a stop ended");
            assertEquals(ServerState.STOPPED, server.server().state());
        }
    }
}
