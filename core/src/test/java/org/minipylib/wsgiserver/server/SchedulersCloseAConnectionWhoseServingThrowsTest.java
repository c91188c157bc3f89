package org.minipylib.wsgiserver.server;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.minipylib.wsgiserver.http.ConnectionSetup;
import org.minipylib.wsgiserver.http.HttpLimits;
import org.minipylib.wsgiserver.http.HttpSettings;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.AcceptedConnections;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestGateways;
import org.minipylib.wsgiserver.testing.ThrowingTransport;

import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * An Error escaping a connection's serving (the connection catches every RuntimeException itself:
 * an Error is what reaches the scheduler; here from the read of a request head) closes that
 * connection, which the scheduler and the registry then forget; the failure is logged, with its
 * stack trace (it was only printed to standard error, or in pool mode not even that).
 * The next connection is served as usual. In virtual-thread mode; pool mode is the same scheduler
 * contract (inPoolModeTooTheConnectionIsClosedAndForgotten).
 */
@Timeout(60)
class SchedulersCloseAConnectionWhoseServingThrowsTest {

    /** A worker mode's scheduler, made new for each test. */
    enum Mode {
        VIRTUAL, POOLED;

        ConnectionScheduler scheduler() {
            return switch (this) {
                case VIRTUAL -> new VirtualThreadScheduler(4, 4, Duration.ofSeconds(5), Thread.ofVirtual().factory(), false);
                case POOLED -> new PooledScheduler(new WorkerPool("test-worker", 1, 4, Duration.ofSeconds(5), 10));
            };
        }
    }

    static Stream<Arguments> virtualModeErrors() {
        return errors(Mode.VIRTUAL);
    }

    static Stream<Arguments> pooledModeErrors() {
        return errors(Mode.POOLED);
    }

    private static Stream<Arguments> errors(Mode mode) {
        return Stream.of(arguments(mode, new OutOfMemoryError("no heap for a moment (injected)")),
                arguments(mode, new StackOverflowError("a defect (injected)")));
    }

    /** Pool mode: an Error on the virtual thread that waits for the request. */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("pooledModeErrors")
    void inPoolModeTooTheConnectionIsClosedAndForgotten(Mode mode, Error failure) throws Exception {
        theConnectionIsClosedAndForgottenAndTheNextIsServed(mode, failure);
    }

    private static final String GET = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("virtualModeErrors")
    void theConnectionIsClosedAndForgottenAndTheNextIsServed(Mode mode, Error failure) throws Exception {
        ConnectionScheduler scheduler = mode.scheduler();
        HttpSettings settings = new HttpSettings(HttpLimits.defaults(), HttpTimeouts.defaults(), null, null);
        ConnectionSetup failingHeadRead = (transport, deadline) -> ThrowingTransport.onRead(transport, failure);
        try (AcceptedConnections server = new AcceptedConnections(scheduler, TestGateways.servedPath(), settings);
             LogCapture log = LogCapture.from(Level.SEVERE)) {
            RawClient failing = server.connect(List.of(failingHeadRead)).timeout(5000);
            failing.send(GET);
            assertTrue(failing.isClosedByServer(), "closed without an answer (an end, or a reset: the request is unread)");
            Poll.until(server.registry()::size, n -> n == 0, "the connection no longer counted");
            if (scheduler instanceof VirtualThreadScheduler virtual) {
                Poll.until(virtual::connections, n -> n == 0, "the scheduler forgot the connection");
            }
            String message = failure instanceof OutOfMemoryError ? "Out of memory" : "Unexpected failure";
            var logged = Poll.until(() -> log.startingWith(message + " serving a connection; closed it"), lines -> !lines.isEmpty(),
                    "the failure logged (after the close)");
            assertEquals(1, logged.size(), "logged once: " + log.messages());
            assertSame(failure, logged.get(0).getThrown());

            RawClient next = server.connect();
            for (int i = 0; i < 2; i++) {
                next.send(GET);
                assertEquals("served /a", next.read().bodyText(), "the next connection is served");
            }
        }
    }
}
