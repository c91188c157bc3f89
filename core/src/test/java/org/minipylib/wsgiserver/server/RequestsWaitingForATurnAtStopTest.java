package org.minipylib.wsgiserver.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minipylib.wsgiserver.http.Gateway;
import org.minipylib.wsgiserver.http.HttpLimits;
import org.minipylib.wsgiserver.http.HttpSettings;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.AcceptedConnections;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestGateways;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the virtual-thread scheduler does with a request that has no turn when the server stops: one
 * waiting for its turn when the scheduler shuts down, or arriving after, is closed unanswered (the
 * registry forgets it, and so does the scheduler), whether or not a turn is free; one arriving while
 * stop() refuses the waiting requests is answered 503, and counted among the refused.
 */
@Timeout(60)
class RequestsWaitingForATurnAtStopTest {

    private static final String GET = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    private static final String BLOCK = "GET /block HTTP/1.1\r\nHost: x\r\n\r\n";

    private final CountDownLatch blocked = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    // one turn, one place to wait for it, a long wait: only the stop ends a wait
    private final VirtualThreadScheduler scheduler = new VirtualThreadScheduler(1, 1, Duration.ofSeconds(60),
            Thread.ofVirtual().factory(), false);

    /** {@code /block} holds its turn until released; anything else is answered with its path. */
    private Gateway gateway() {
        Gateway servedPath = TestGateways.servedPath();
        return exchange -> {
            if (exchange.request().path().equals("/block")) {
                blocked.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new InterruptedIOException("stopping");
                }
            }
            servedPath.handle(exchange);
        };
    }

    private static HttpSettings settings() {
        return new HttpSettings(HttpLimits.defaults(), HttpTimeouts.defaults(), null, null);
    }

    private AcceptedConnections served() throws IOException {
        return new AcceptedConnections(scheduler, gateway(), settings());
    }

    /** A client whose request holds the only turn. */
    private RawClient holdingTheTurn(AcceptedConnections server) throws Exception {
        RawClient holder = server.connect();
        holder.send(BLOCK);
        assertTrue(blocked.await(10, TimeUnit.SECONDS), "the request holds the turn");
        return holder;
    }

    /** A client served once, its connection idle. */
    private static RawClient idle(AcceptedConnections server) throws IOException {
        RawClient client = server.connect().timeout(5000);
        client.send(GET);
        assertEquals("served /a", client.read().bodyText());
        return client;
    }

    @Test
    void aRequestWaitingForItsTurnWhenTheSchedulerShutsDownIsClosedUnanswered() throws Exception {
        try (AcceptedConnections server = served()) {
            holdingTheTurn(server);
            RawClient waiting = server.connect().timeout(5000);
            waiting.send(GET);
            Poll.until(scheduler::queued, n -> n == 1, "the request waits for the turn");

            scheduler.shutdown();
            assertTrue(waiting.isClosedByServer(), "closed without an answer");
            Poll.until(server.registry()::size, n -> n == 1, "only the connection holding the turn still counted");
            Poll.until(scheduler::connections, n -> n == 1, "the scheduler forgot the closed one");
            assertEquals(0, scheduler.queued());
            release.countDown();
        }
    }

    /**
     * On a readiness loop, so that the idle connection has no thread the shutdown would interrupt
     * (a blocked read interrupted closes its socket): the request finds the scheduler stopped.
     */
    @ParameterizedTest(name = "a turn free: {0}")
    @ValueSource(booleans = {true, false})
    @EnabledIf("org.minipylib.wsgiserver.server.ReadinessLoop#supported")
    void aRequestArrivingAfterTheSchedulerShutDownIsClosedUnanswered(boolean turnFree) throws Exception {
        try (ReadinessLoop loop = new ReadinessLoop("test-readiness", false);
             AcceptedConnections server = new AcceptedConnections(scheduler, gateway(), settings(), loop)) {
            RawClient late = idle(server);
            Poll.until(scheduler::idle, idle -> idle, "the idle connection holds no thread");
            if (!turnFree) holdingTheTurn(server);
            int before = server.registry().size();

            scheduler.shutdown();
            late.send(GET);
            assertTrue(late.isClosedByServer(), "closed without an answer");
            Poll.until(server.registry()::size, n -> n == before - 1, "the closed connection no longer counted");
            Poll.until(scheduler::connections, n -> n == before - 1, "the scheduler forgot it");
            release.countDown();
        }
    }

    @Test
    void aRequestArrivingWhileStopRefusesTheWaitingOnesIsAnswered503() throws Exception {
        try (AcceptedConnections server = served()) {
            RawClient late = idle(server);
            holdingTheTurn(server);
            assertEquals(0, scheduler.refuseWaiting(System.nanoTime() + TimeUnit.SECONDS.toNanos(5)), "none waiting yet");

            late.send(GET);
            RawClient.Response refused = late.read();
            assertEquals(503, refused.status(), "refused as the server stops: it may be sent again");
            assertEquals("close", refused.header("Connection"));
            assertEquals(1, scheduler.refuseWaiting(System.nanoTime() + TimeUnit.SECONDS.toNanos(5)), "counted as refused at the stop");
            assertEquals(0, scheduler.queued());
            release.countDown();
        }
    }
}
