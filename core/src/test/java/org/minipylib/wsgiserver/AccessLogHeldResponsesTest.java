package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A response held in the output buffer for batching while the request pipelined behind it runs is
 * logged once it has gone out (the watchdog has it written when that application is slow), not
 * only when the slow one ends: a long poll behind it does not hold its line back.
 */
class AccessLogHeldResponsesTest {

    @Test
    void aResponseWrittenWhileASlowPipelinedRequestRunsIsLoggedBeforeThatOneEnds() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        WsgiApp app = (env, sr) -> {
            if (env.pathInfo().equals("/slow")) assertTrue(release.await(10, TimeUnit.SECONDS));
            sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of(env.pathInfo().getBytes());
        };
        List<AccessLogEntry> entries = new CopyOnWriteArrayList<>();
        try (TestServer server = TestServer.start(app, b -> b.accessLog(entries::add));
             RawClient client = server.connect()) {
            client.send("GET /fast HTTP/1.1\r\nHost: a\r\n\r\nGET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("/fast", client.read().bodyText());
            Poll.until(entries::size, n -> n == 1, "the first response's entry while the second runs");
            assertEquals("GET /fast HTTP/1.1", entries.get(0).requestLine());
            assertEquals(5, entries.get(0).bodyBytes());
            release.countDown();
            assertEquals("/slow", client.read().bodyText());
            Poll.until(entries::size, n -> n == 2, "the second entry");
            assertEquals("GET /slow HTTP/1.1", entries.get(1).requestLine());
        } finally {
            release.countDown();
        }
    }
}
