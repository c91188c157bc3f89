package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minipylib.wsgiserver.server.MonitoringAdmission;
import org.minipylib.wsgiserver.server.ServerStatistics;
import org.minipylib.wsgiserver.server.VirtualThreadScheduler;
import org.minipylib.wsgiserver.testing.AcceptedConnections;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestGateways;
import org.minipylib.wsgiserver.testing.ThrowingTransport;

import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A failure the connection does not expect (a RuntimeException: a defect in a setup step, in a
 * transport, in the server) while it sets up, reads a request head or serves a request closes that
 * connection, logs the failure with its stack trace, and leaves it counted nowhere; the next
 * connection is served as usual.
 */
@Timeout(60)
class UnexpectedFailuresCloseOnlyTheirConnectionTest {

    /** Where the connection fails, and the start of the line it logs. */
    enum Where {
        SETUP("Unexpected error setting up a connection with"),
        HEAD_READ("Unexpected error reading from"),
        SERVING("Unexpected error serving");

        final String logged;

        Where(String logged) {
            this.logged = logged;
        }

        /** A setup step that makes the connection fail here with {@code failure}. */
        ConnectionSetup failingWith(RuntimeException failure) {
            return switch (this) {
                case SETUP -> (transport, deadline) -> {
                    throw failure;
                };
                case HEAD_READ -> (transport, deadline) -> ThrowingTransport.onRead(transport, failure);
                case SERVING -> (transport, deadline) -> ThrowingTransport.onExpectMoreRequests(transport, failure);
            };
        }
    }

    private static final String GET = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";

    @ParameterizedTest
    @EnumSource(Where.class)
    void theFailingConnectionIsClosedAndLoggedAndTheNextIsServed(Where where) throws Exception {
        RuntimeException failure = new IllegalStateException("a defect (injected)");
        VirtualThreadScheduler scheduler = new VirtualThreadScheduler(4, 4, Duration.ofSeconds(5),
                new MonitoringAdmission(List.of()), new ServerStatistics(), false);
        HttpSettings settings = new HttpSettings(HttpLimits.defaults(), HttpTimeouts.defaults(), null, null);
        try (AcceptedConnections server = new AcceptedConnections(scheduler, TestGateways.servedPath(), settings);
             LogCapture log = LogCapture.from(Level.SEVERE)) {
            RawClient failing = server.connect(List.of(where.failingWith(failure)));
            failing.send(GET);
            assertTrue(failing.isClosedByServer(), "closed without an answer (an end, or a reset: the request is unread)");
            Poll.until(server.registry()::size, n -> n == 0, "the failed connection no longer counted");
            // serving, the connection is closed before the line is written (logging may fail when the heap is full)
            List<LogRecord> logged = Poll.until(() -> log.startingWith(where.logged), lines -> !lines.isEmpty(),
                    "the failure logged");
            assertEquals(1, logged.size(), "logged once: " + log.messages());
            assertSame(failure, logged.get(0).getThrown(), "with the failure's stack trace");

            RawClient next = server.connect();
            for (int i = 0; i < 2; i++) {
                next.send(GET);
                assertEquals("served /a", next.read().bodyText(), "the next connection is served");
            }
            assertEquals(1, server.registry().size());
            assertEquals(1, log.records().size(), "nothing else logged: " + log.messages());
        }
    }
}
