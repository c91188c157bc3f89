package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.http.MinDataRate;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.ascii;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.textPlain;

/**
 * A client that trickles its request body must not hold the only worker for long: not while the
 * application reads the body (minimum data rate; in virtual-thread mode the turn is lent back while
 * the read waits), and not while the server drains a body the application left unread (drain timeout).
 * Every server here has one worker; the socket timeouts (10 s) are far below the 30 s body-read
 * timeout, so a response within them is the work of the rule under test.
 */
class SlowRequestBodiesTest {

    private static final String SLOW_UPLOAD = "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 65536\r\n\r\n";

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aBodyTrickledBelowTheMinimumRateIsAnswered408AndClosed(WorkerMode mode) throws Exception {
        CountDownLatch reading = new CountDownLatch(1);
        WsgiApp app = readingApp(reading);
        HttpTimeouts timeouts = HttpTimeouts.defaults().withMinBodyRate(new MinDataRate(100, Duration.ofSeconds(1)));
        try (TestServer server = TestServer.start(app, b -> oneWorker(b, mode).timeouts(timeouts));
             RawClient slow = server.connect().timeout(10_000);
             RawClient other = server.connect().timeout(10_000)) {
            slow.send(SLOW_UPLOAD);
            try (Trickle trickle = new Trickle(slow)) {
                WsgiTestApps.await(reading);
                other.send(WsgiTestApps.get("/other"));
                assertEquals("read 0 bytes of /other", other.read().bodyText());

                RawClient.Response refused = slow.read();
                assertEquals(408, refused.status());
                assertEquals("close", refused.header("Connection"));
                assertTrue(slow.isClosedByServer());
            }
        }
    }

    @Test
    void virtualThreadModeLendsTheTurnWhileABodyReadWaits() throws Exception {
        CountDownLatch reading = new CountDownLatch(1);
        HttpTimeouts noMinimumRate = HttpTimeouts.defaults().withMinBodyRate(MinDataRate.NONE);
        try (TestServer server = TestServer.start(readingApp(reading),
                b -> oneWorker(b, WorkerMode.VIRTUAL).timeouts(noMinimumRate));
             RawClient slow = server.connect().timeout(10_000);
             RawClient other = server.connect().timeout(10_000)) {
            slow.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
            WsgiTestApps.await(reading);
            // The only turn belongs to a request whose application waits for the rest of its body.
            other.send(WsgiTestApps.get("/other"));
            assertEquals("read 0 bytes of /other", other.read().bodyText());
            slow.send("defghij");
            assertEquals("read 10 bytes of /upload", slow.read().bodyText());
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void anUnreadTrickledBodyIsDrainedOnlyUntilTheDrainTimeout(WorkerMode mode) throws Exception {
        WsgiApp ignoresBody = WsgiTestApps.text("200 OK", "not reading");
        HttpTimeouts timeouts = HttpTimeouts.defaults().withDrain(Duration.ofSeconds(1)).withMinBodyRate(MinDataRate.NONE);
        try (TestServer server = TestServer.start(ignoresBody, b -> oneWorker(b, mode).timeouts(timeouts));
             RawClient slow = server.connect().timeout(10_000);
             RawClient other = server.connect().timeout(10_000)) {
            // 64 KiB is within maxDrainSize: the server tries to drain it to keep the connection.
            slow.send("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 65536\r\n\r\n");
            try (Trickle trickle = new Trickle(slow)) {
                RawClient.Response response = slow.read();
                assertEquals(200, response.status());
                assertFalse("close".equals(response.header("Connection")), "the server meant to drain the body");
                other.send(WsgiTestApps.get("/other"));
                assertEquals("not reading", other.read().bodyText());
                assertTrue(slow.isClosedByServer(), "closed at the drain deadline, not after the whole body");
            }
        }
    }

    /**
     * A response of 8 KiB or more is still buffered when the server starts draining the unread body:
     * its flush lends the turn and takes it back, and the wait for the body must then happen
     * without the turn (it used to wait holding it, until the drain deadline).
     */
    @Test
    void aDrainAfterALargeBufferedResponseWaitsWithoutTheTurn() throws Exception {
        byte[] nineKiB = new byte[9 * 1024];
        java.util.Arrays.fill(nineKiB, (byte) 'a');
        WsgiApp largeUnlessOther = (env, sr) -> {
            sr.start("200 OK", textPlain());
            return List.of(env.pathInfo().equals("/other") ? ascii("other") : nineKiB);
        };
        HttpTimeouts longDrain = HttpTimeouts.defaults().withDrain(Duration.ofSeconds(30)).withMinBodyRate(MinDataRate.NONE);
        try (TestServer server = TestServer.start(largeUnlessOther, b -> oneWorker(b, WorkerMode.VIRTUAL).timeouts(longDrain));
             RawClient stalled = server.connect().timeout(10_000);
             RawClient other = server.connect().timeout(10_000)) {
            stalled.send("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n0123456789");
            RawClient.Response large = stalled.read();
            assertEquals(9 * 1024, large.body().length);
            other.send(WsgiTestApps.get("/other"));
            assertEquals("other", other.read().bodyText()); // within 10 s, long before the 30 s drain deadline
        }
    }

    private static WsgiServer.Builder oneWorker(WsgiServer.Builder b, WorkerMode mode) {
        return b.workerMode(mode).minThreads(1).maxThreads(1).acceptQueueSize(4);
    }

    /** Reads the whole body, then answers how much it read. */
    private static WsgiApp readingApp(CountDownLatch reading) {
        return (env, sr) -> {
            if (env.pathInfo().equals("/upload")) reading.countDown();
            byte[] body = env.input().readAllBytes();
            sr.start("200 OK", textPlain());
            return List.of(ascii("read " + body.length + " bytes of " + env.pathInfo()));
        };
    }

    /** Sends one body byte every 100 ms (10 bytes/s) until closed or the connection breaks. */
    private static final class Trickle implements AutoCloseable {
        private final Thread thread;

        Trickle(RawClient client) {
            thread = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < 600; i++) {
                        client.send("x".getBytes(StandardCharsets.US_ASCII));
                        Thread.sleep(100);
                    }
                } catch (IOException | InterruptedException e) {
                    // closed by the server or by the test
                }
            });
        }

        @Override
        public void close() throws InterruptedException {
            thread.interrupt();
            thread.join(10_000);
        }
    }
}
