package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An access log that waits (a pipe whose reader stalls) while a response's line is written is not
 * a write that stalls: the connection, whose client read everything, is not reset at the write
 * timeout meanwhile, and serves its next request once the log goes on. (The line is written by the
 * write that takes the response out, right after it.)
 */
class AccessLogStallIsNoWriteStallTest {

    @Test
    void aConnectionOutlivesALogThatWaitsLongerThanTheWriteTimeout() throws Exception {
        CountDownLatch logging = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AccessLog stalling = entry -> {
            if (entry.requestLine().startsWith("GET /first ")) {
                logging.countDown();
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of(env.pathInfo().getBytes());
        };
        HttpTimeouts timeouts = HttpTimeouts.defaults().withWrite(Duration.ofMillis(500));
        try (TestServer server = TestServer.start(app, b -> b.accessLog(stalling).timeouts(timeouts));
             RawClient client = server.connect()) {
            client.send("GET /first HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("/first", client.read().bodyText());
            assertTrue(logging.await(10, TimeUnit.SECONDS));
            // three write timeouts while the line waits; the watchdog checks several times a second
            assertTrue(!release.await(1500, TimeUnit.MILLISECONDS), "nobody releases it early");
            release.countDown();
            client.send("GET /second HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("/second", client.read().bodyText(), "the connection was not reset as a stalled write");
        } finally {
            release.countDown();
        }
    }
}
