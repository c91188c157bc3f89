package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.TestServer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.minipylib.wsgiserver.testing.CarrierPinning.CARRIERS;
import static org.minipylib.wsgiserver.testing.CarrierPinning.assertAnsweredWhile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * {@link WsgiServer#stop()} called on virtual threads (as its documentation suggests for a
 * {@code /shutdown} handler), more of them at once than the virtual threads' carriers, leaves the
 * server serving through its drain delay: a stop that waits, and the stops that wait for it, hold
 * no carrier. Before JDK 24 a virtual thread that waits inside {@code synchronized}, or to enter
 * it, pins its carrier (JEP 491).
 */
class StopsOnVirtualThreadsKeepServingTest {

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
            Poll.until(() -> stops.stream().filter(t -> !waitsInStop(t)).toList(), List::isEmpty,
                    "every stop waiting inside stop() (the others at the first one's lock)");
            assertAnsweredWhile(server.connect(), "/", "hi", ANSWER_WITHIN_MILLIS,
                    () -> CARRIERS + " stops wait on virtual threads");
            for (Thread t : stops) t.join(Duration.ofSeconds(15));
            for (Thread t : stops) assertFalse(t.isAlive(), "a stop ended");
            assertEquals(ServerState.STOPPED, server.server().state());
        }
    }

    /** Whether {@code stop} waits (parked, or blocked on a monitor) inside {@link WsgiServer#stop()}, or has ended. */
    private static boolean waitsInStop(Thread stop) {
        StackTraceElement[] stack = stop.getStackTrace();
        Thread.State state = stop.getState();
        if (state == Thread.State.TERMINATED) return true;
        if (state != Thread.State.WAITING && state != Thread.State.TIMED_WAITING && state != Thread.State.BLOCKED) return false;
        for (StackTraceElement frame : stack) {
            if (frame.getClassName().equals(WsgiServer.class.getName()) && frame.getMethodName().equals("stop")) return true;
        }
        return false;
    }
}
