package org.minipylib.wsgiserver;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.minipylib.wsgiserver.http.HttpLimits;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.EnumSource;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Requests the server answers itself, before or instead of the application (malformed, too large,
 * too slow), get an access-log entry like any other: one per answered request, with as much of
 * the request line as arrived, so that scanners and attacks show in the log.
 */
class AccessLogRefusalsTest {

    private static final WsgiApp HELLO = (env, sr) -> {
        sr.start("200 OK", List.of());
        return List.of("hi".getBytes());
    };

    static Stream<Arguments> refusals() {
        return Stream.of(
                arguments(400, "GET  /x HTTP/1.1\r\nHost: a\r\n\r\n", "GET  /x HTTP/1.1"),
                arguments(400, "GET /x HTTP/1.1\r\n\r\n", "GET /x HTTP/1.1"),
                arguments(400, "\u0016\u0003\u0001\u0002\u0000\u0001", "\u0016\u0003\u0001\u0002\u0000\u0001"), // a TLS hello: refused before its (absent) line end
                arguments(408, "GET /slow HTTP/1.1\r\nHost: a\r\n", "GET /slow HTTP/1.1"),
                arguments(413, "POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 999\r\n\r\n", "POST /big HTTP/1.1"),
                arguments(414, "GET /" + "x".repeat(300), "GET /" + "x".repeat(300)),
                arguments(431, "GET /h HTTP/1.1\r\nHost: a\r\nX-Big: " + "v".repeat(2000), "GET /h HTTP/1.1"),
                arguments(505, "GET / HTTP/2.0\r\nHost: a\r\n\r\n", "GET / HTTP/2.0"));
    }

    /**
     * A refusal of a request pipelined behind others is logged after their entries, in the order the
     * client sent them, though theirs wait for the turn's end (to be logged with the bytes that went out).
     */
    @Test
    void aRefusalPipelinedBehindAnsweredRequestsIsLoggedAfterThem() throws Exception {
        List<AccessLogEntry> entries = new CopyOnWriteArrayList<>();
        try (TestServer server = TestServer.start(HELLO, b -> b.accessLog(entries::add));
             RawClient client = server.connect()) {
            client.send("GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\n\r\nGET  /bad HTTP/1.1\r\n\r\n");
            assertEquals("hi", client.read().bodyText());
            assertEquals("hi", client.read().bodyText());
            assertEquals(400, client.read().status());
            Poll.until(entries::size, n -> n == 3, "three entries");
        }
        assertEquals(List.of("GET /one HTTP/1.1", "GET /two HTTP/1.1", "GET  /bad HTTP/1.1"),
                entries.stream().map(AccessLogEntry::requestLine).toList());
        assertEquals(List.of(200, 200, 400), entries.stream().map(AccessLogEntry::status).toList());
        assertEquals(2L, entries.get(1).bodyBytes());
    }

    @ParameterizedTest(name = "{0} for {1}")
    @MethodSource("refusals")
    void aRefusedRequestIsLogged(int status, String request, String loggedLine) throws Exception {
        List<AccessLogEntry> entries = new CopyOnWriteArrayList<>();
        HttpLimits limits = HttpLimits.defaults().withMaxRequestLineLength(256).withMaxHeaderSectionSize(1024)
                .withMaxBodySize(100);
        HttpTimeouts timeouts = HttpTimeouts.defaults().withRequestHead(Duration.ofMillis(500));
        try (TestServer server = TestServer.start(HELLO, b -> b.limits(limits).timeouts(timeouts).accessLog(entries::add));
             RawClient client = server.connect()) {
            client.send(request);
            assertEquals(status, client.read().status());
            assertTrue(client.isClosedByServer());
            Poll.until(entries::size, n -> n > 0, "the refusal's access-log entry");
        }
        assertEquals(1, entries.size(), () -> "entries: " + entries);
        AccessLogEntry entry = entries.get(0);
        assertEquals(status, entry.status());
        assertEquals(loggedLine, entry.requestLine());
        assertEquals("127.0.0.1", entry.remoteAddress());
        assertTrue(entry.bodyBytes() > 0, "the error text was sent");
        String line = entry.combinedFormat();
        assertEquals(-1, line.indexOf('\n'), line);
        assertTrue(line.contains("\" " + status + " "), line);
        assertNull(entry.referer());
    }

    /** README: the busy 503 is logged like the server's other refusals, with its request line. */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void theBusy503IsLogged(WorkerMode mode) throws Exception {
        List<AccessLogEntry> entries = new CopyOnWriteArrayList<>();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (TestServer server = TestServer.start(WsgiTestApps.heldUntil(entered, release), b -> b.workerMode(mode)
                .minThreads(1).maxThreads(1).acceptQueueSize(0).accessLog(entries::add));
             RawClient busy = server.connect(); RawClient refused = server.connect()) {
            busy.send(WsgiTestApps.get("/held"));
            WsgiTestApps.await(entered);
            assertEquals(503, refused.send(WsgiTestApps.get("/refused")).read().status());
            AccessLogEntry entry = Poll.until(() -> entries.stream().filter(e -> e.status() == 503).findFirst(),
                    Optional::isPresent, "the 503 logged").get();
            assertEquals("GET /refused HTTP/1.1", entry.requestLine());
            assertEquals("127.0.0.1", entry.remoteAddress());
            release.countDown();
            assertEquals(200, busy.read().status());
        } finally {
            release.countDown();
        }
    }

    /** README: connections over --max-connections are counted in the statistics and warned of, not logged. */
    @Test
    void aConnectionOverTheLimitIsCountedNotLogged() throws Exception {
        List<AccessLogEntry> entries = new CopyOnWriteArrayList<>();
        try (TestServer server = TestServer.start(HELLO, b -> b.maxConnections(1).accessLog(entries::add));
             RawClient kept = server.connect()) {
            assertEquals(200, kept.send(WsgiTestApps.get("/kept")).read().status());
            try (RawClient refused = server.connect()) {
                RawClient.Response r = refused.send(WsgiTestApps.get("/over")).read();
                assertEquals(503, r.status());
                assertEquals("1", r.header("Retry-After"), "as the busy 503");
            }
            Poll.until(() -> server.server().statistics().responsesByStatus().getOrDefault(503, 0L), n -> n == 1L,
                    "the refusal counted");
            assertEquals(200, kept.send(WsgiTestApps.get("/after")).read().status());
            Poll.until(entries::size, n -> n == 2, "the two served requests logged");
        }
        assertEquals(List.of("GET /kept HTTP/1.1", "GET /after HTTP/1.1"),
                entries.stream().map(AccessLogEntry::requestLine).toList(), "no entry for the refused connection");
    }
}
