package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.http.MinDataRate;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A response's access-log line is written once the response has gone out, while the same worker
 * turn goes on: behind it a long download, a pipelined request whose body is slow to come, or the
 * drain of a body its application left unread (each held the line until the turn's end).
 */
class AccessLogLineOnceItsResponseWentOutTest {

    private static final Duration LONG = Duration.ofSeconds(60);

    private final List<AccessLogEntry> entries = new CopyOnWriteArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);

    /** /big: 256 KiB at once, then 1 byte once released; /body: the request body; else the path. */
    private final WsgiApp app = (env, sr) -> {
        sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
        return switch (env.pathInfo()) {
            case "/big" -> () -> new Iterator<byte[]>() {
                int sent;
                @Override public boolean hasNext() { return sent < 2; }
                @Override public byte[] next() {
                    if (sent++ == 0) return new byte[256 * 1024];
                    try {
                        assertTrue(release.await(LONG.toSeconds(), TimeUnit.SECONDS));
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return new byte[1];
                }
            };
            case "/body" -> List.of(env.input().readAllBytes());
            default -> List.of(env.pathInfo().getBytes());
        };
    };

    private TestServer start() throws Exception {
        return TestServer.start(app, b -> b.accessLog(entries::add)
                .timeouts(HttpTimeouts.builder().drain(LONG).bodyRead(LONG).minBodyRate(MinDataRate.NONE).build()));
    }

    private void awaitFirstLine(String requestLine) throws InterruptedException {
        Poll.until(entries::size, n -> n == 1, "the first response's line while the turn goes on");
        assertEquals(requestLine, entries.get(0).requestLine());
    }

    @Test
    void aResponseBeforeALongDownloadIsLoggedWhileTheDownloadRuns() throws Exception {
        try (TestServer server = start(); RawClient client = server.connect()) {
            client.send("GET /small HTTP/1.1\r\nHost: a\r\n\r\nGET /big HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("/small", client.read().bodyText());
            awaitFirstLine("GET /small HTTP/1.1");
            release.countDown();
            assertEquals(256 * 1024 + 1, client.read().body().length);
            Poll.until(entries::size, n -> n == 2, "the download's line");
        } finally {
            release.countDown();
        }
    }

    @Test
    void aResponseBeforeARequestWhoseBodyIsSlowIsLoggedBeforeTheBodyComes() throws Exception {
        try (TestServer server = start(); RawClient client = server.connect()) {
            client.send("GET /small HTTP/1.1\r\nHost: a\r\n\r\nPOST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n");
            assertEquals("/small", client.read().bodyText());
            awaitFirstLine("GET /small HTTP/1.1");
            client.send("hello");
            assertEquals("hello", client.read().bodyText());
            Poll.until(entries::size, n -> n == 2, "the POST's line");
        }
    }

    @Test
    void aResponseWhoseBodyIsLeftUnreadIsLoggedWhileTheRestIsDrained() throws Exception {
        try (TestServer server = start(); RawClient client = server.connect()) {
            client.send("POST /small HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly part");
            assertEquals("/small", client.read().bodyText());
            awaitFirstLine("POST /small HTTP/1.1"); // the drain waits up to a minute for the other 91 bytes
            client.send("x".repeat(91) + "GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("/next", client.read().bodyText());
            Poll.until(entries::size, n -> n == 2, "the next request's line");
        }
    }
}
