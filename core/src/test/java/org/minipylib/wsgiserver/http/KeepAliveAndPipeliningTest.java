package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.assertLastResponse;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.post;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.postChunked;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.request;

/**
 * Persistent connections (RFC 9112 section 9): which requests keep the connection, which close it and
 * say so, pipelined requests answered in order, and unread request bodies drained or, when too large,
 * the connection closed. Every test runs in both worker modes; the application is
 * {@link WsgiTestApps#echo()} ({@code METHOD PATH:body}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KeepAliveAndPipeliningTest {

    private static TestServer start(WorkerMode mode) throws IOException {
        return TestServer.start(WsgiTestApps.echo(), b -> b.workerMode(mode));
    }

    /** True if the connection is still open: nothing arrives and no end of stream within a short wait. */
    private static boolean staysOpen(RawClient client) throws IOException {
        client.timeout(300);
        boolean open = !client.isClosedByServer();
        client.timeout(10_000);
        return open;
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void severalRequestsShareOneConnection(WorkerMode mode) throws Exception {
        try (TestServer server = start(mode); RawClient client = server.connect()) {
            for (int i = 0; i < 5; i++) {
                RawClient.Response r = client.send(get("/req" + i)).read();
                assertEquals(200, r.status());
                assertEquals("GET /req" + i + ":", r.bodyText());
                assertNull(r.header("Connection"), "HTTP/1.1 is persistent by default");
            }
            assertTrue(staysOpen(client));
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void anEmptyLineSplitBetweenItsCrAndLfIsIgnored(WorkerMode mode) throws Exception {
        try (TestServer server = start(mode); RawClient client = server.connect()) {
            assertEquals(200, client.send(get("/a") + "\r").read().status());
            assertTrue(staysOpen(client), "a CR alone waits for its LF");
            RawClient.Response r = client.send("\n" + get("/b")).read();
            assertEquals(200, r.status());
            assertEquals("GET /b:", r.bodyText());
        }
    }

    static Stream<Arguments> closeTokens() {
        return Stream.of(WorkerMode.values()).flatMap(mode -> Stream.of("close", "Close", "CLOSE", "keep-alive, close")
                .map(token -> Arguments.of(mode, token)));
    }

    @ParameterizedTest(name = "{0}: Connection: {1}")
    @MethodSource("closeTokens")
    void http11ConnectionCloseInAnyCaseClosesAfterTheResponse(WorkerMode mode, String token) throws Exception {
        try (TestServer server = start(mode); RawClient client = server.connect()) {
            assertEquals("GET /first:", client.send(get("/first")).read().bodyText());
            assertLastResponse(client, client.send(get("/last", "Connection: " + token + "\r\n")).read(), "GET /last:");
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void http10WithoutKeepAliveClosesAfterTheResponse(WorkerMode mode) throws Exception {
        try (TestServer server = start(mode); RawClient client = server.connect()) {
            RawClient.Response r = client.send("GET /old HTTP/1.0\r\n\r\n").read();
            assertEquals(Integer.toString("GET /old:".length()), r.header("Content-Length"));
            assertLastResponse(client, r, "GET /old:");
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void http10WithKeepAliveStaysOpenAndSaysSo(WorkerMode mode) throws Exception {
        try (TestServer server = start(mode); RawClient client = server.connect()) {
            for (int i = 0; i < 3; i++) {
                RawClient.Response r = client.send("GET /ka" + i + " HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").read();
                assertEquals("GET /ka" + i + ":", r.bodyText());
                assertEquals("keep-alive", r.header("Connection"));
            }
            assertTrue(staysOpen(client));
            assertLastResponse(client, client.send("GET /bye HTTP/1.0\r\n\r\n").read(), "GET /bye:");
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void pipelinedMixedRequestsAreAnsweredInOrder(WorkerMode mode) throws Exception {
        List<String> requests = List.of(
                get("/1"),
                request("HEAD", "/2"),
                post("/3", "three"),
                postChunked("/4", "fo", "ur"),
                get("/5?x=y"),
                post("/noread6", "a body the application does not read"),
                request("HEAD", "/7"),
                post("/8", ""),
                postChunked("/noread9", "unread ", "chunks"),
                postChunked("/10", "ten"),
                request("OPTIONS", "/11"),
                request("DELETE", "/12"));
        List<String> expected = List.of("GET /1:", "HEAD /2:", "POST /3:three", "POST /4:four", "GET /5:",
                "POST /noread6:", "HEAD /7:", "POST /8:", "POST /noread9:", "POST /10:ten", "OPTIONS /11:", "DELETE /12:");
        try (TestServer server = start(mode); RawClient client = server.connect()) {
            client.send(String.join("", requests)); // one write
            for (String want : expected) {
                boolean head = want.startsWith("HEAD");
                RawClient.Response r = client.read(head);
                assertEquals(200, r.status(), want);
                if (head) {
                    assertEquals(Integer.toString(want.length()), r.header("Content-Length"), want);
                } else {
                    assertEquals(want, r.bodyText());
                }
            }
            assertEquals("GET /after:", client.send(get("/after")).read().bodyText());
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void requestsPipelinedAfterConnectionCloseAreNotAnswered(WorkerMode mode) throws Exception {
        try (TestServer server = start(mode); RawClient client = server.connect()) {
            client.send(get("/1") + post("/2", "two", "Connection: close\r\n") + get("/3"));
            assertEquals("GET /1:", client.read().bodyText());
            assertLastResponse(client, client.read(), "POST /2:two"); // GET /3 came after Connection: close
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void manyPipelinedRequestsLargerThanTheInputBufferAreAnsweredInOrder(WorkerMode mode) throws Exception {
        String padding = "X-Padding: " + "p".repeat(200) + "\r\n";
        StringBuilder batch = new StringBuilder();
        for (int i = 0; i < 200; i++) batch.append(i % 2 == 0 ? get("/n" + i, padding) : post("/n" + i, "body" + i));
        try (TestServer server = start(mode); RawClient client = server.connect()) {
            client.send(batch.toString());
            for (int i = 0; i < 200; i++) {
                String want = i % 2 == 0 ? "GET /n" + i + ":" : "POST /n" + i + ":body" + i;
                assertEquals(want, client.read().bodyText());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aSmallUnreadBodyIsDrainedSoTheNextRequestWorks(WorkerMode mode) throws Exception {
        try (TestServer server = start(mode); RawClient client = server.connect()) {
            RawClient.Response first = client.send(post("/noread", "x".repeat(4000))).read();
            assertEquals("POST /noread:", first.bodyText());
            assertNull(first.header("Connection"));
            assertEquals("GET /next:", client.send(get("/next")).read().bodyText());
            assertEquals("POST /noread-chunked:", client.send(postChunked("/noread-chunked", "a".repeat(3000), "b")).read().bodyText());
            assertEquals("GET /last:", client.send(get("/last")).read().bodyText());
        }
    }

    static Stream<Arguments> largeUnreadBodies() {
        List<Arguments> args = new ArrayList<>();
        for (WorkerMode mode : WorkerMode.values()) {
            args.add(Arguments.of(mode, post("/noread", "x".repeat(8192))));
            args.add(Arguments.of(mode, postChunked("/noread", "y".repeat(4096), "z".repeat(4096))));
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0} [{index}]")
    @MethodSource("largeUnreadBodies")
    void anUnreadBodyLargerThanMaxDrainSizeClosesTheConnection(WorkerMode mode, String request) throws Exception {
        try (TestServer server = TestServer.start(WsgiTestApps.echo(),
                b -> b.workerMode(mode).limits(HttpLimits.defaults().withMaxDrainSize(1024)));
             RawClient client = server.connect()) {
            RawClient.Response r = client.send(request).read();
            assertEquals(200, r.status());
            assertEquals("POST /noread:", r.bodyText());
            assertTrue(client.isClosedByServer(), "the rest of the body is not read: the connection must close");
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void theResponseSaysCloseWhenTheUnreadBodyIsKnownToExceedMaxDrainSize(WorkerMode mode) throws Exception {
        // The Content-Length says at the start of the response that the server will not drain the body:
        // without "Connection: close" a client may send its next request into a connection being closed.
        try (TestServer server = TestServer.start(WsgiTestApps.echo(),
                b -> b.workerMode(mode).limits(HttpLimits.defaults().withMaxDrainSize(1024)));
             RawClient client = server.connect()) {
            RawClient.Response r = client.send(post("/noread", "x".repeat(8192))).read();
            assertEquals("close", r.header("Connection"));
            assertTrue(client.isClosedByServer());
        }
    }

    /**
     * README, {@code --max-drain-size}: "0: never drain". Any unread body then closes the connection
     * (and the response says so), however small; a request without a body, or one whose body the
     * application read, keeps it.
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void maxDrainSizeZeroNeverDrainsButKeepsConnectionsWithoutAnUnreadBody(WorkerMode mode) throws Exception {
        try (TestServer server = TestServer.start(WsgiTestApps.echo(),
                b -> b.workerMode(mode).limits(HttpLimits.defaults().withMaxDrainSize(0)));
             RawClient client = server.connect()) {
            assertEquals("GET /a:", client.send(get("/a")).read().bodyText());
            assertEquals("POST /echo:abc", client.send(post("/echo", "abc")).read().bodyText(), "a body read: kept");
            RawClient.Response r = client.send(post("/noread", "x")).read();
            assertEquals("POST /noread:", r.bodyText());
            assertEquals("close", r.header("Connection"), "one unread byte is not drained");
            assertTrue(client.isClosedByServer());
        }
    }

    /**
     * An unread body of exactly {@code maxDrainSize} bytes is drained, a chunked one too (its last
     * chunk still to read once the limit's bytes are), and the request pipelined behind it answered;
     * one byte more is announced as a close.
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void anUnreadBodyOfExactlyMaxDrainSizeIsDrained(WorkerMode mode) throws Exception {
        try (TestServer server = TestServer.start(WsgiTestApps.echo(),
                b -> b.workerMode(mode).limits(HttpLimits.defaults().withMaxDrainSize(1000)))) {
            for (String body : List.of(post("/noread", "x".repeat(1000)), postChunked("/noread", "x".repeat(1000)),
                    postChunked("/noread", "x".repeat(600), "y".repeat(400)))) {
                try (RawClient client = server.connect()) {
                    client.send(body + get("/next"));
                    RawClient.Response r = client.read();
                    assertEquals("POST /noread:", r.bodyText());
                    assertNull(r.header("Connection"), body);
                    assertEquals("GET /next:", client.read().bodyText(), body);
                }
            }
            try (RawClient client = server.connect()) {
                RawClient.Response r = client.send(postChunked("/noread", "x".repeat(1001)) + get("/next")).read();
                assertEquals("close", r.header("Connection"));
                assertTrue(client.isClosedByServer());
            }
        }
        // no limit at all (the largest long): the drain's one byte past it must not overflow into reads of nothing
        try (TestServer server = TestServer.start(WsgiTestApps.echo(),
                b -> b.workerMode(mode).limits(HttpLimits.defaults().withMaxDrainSize(Long.MAX_VALUE)));
             RawClient client = server.connect()) {
            for (String body : List.of(post("/noread", "x".repeat(100)), postChunked("/noread", "y".repeat(100)))) {
                client.send(body + get("/next"));
                assertEquals("POST /noread:", client.read().bodyText());
                assertEquals("GET /next:", client.read().bodyText());
            }
        }
    }

    /**
     * RFC 9112 section 9.6: a close the client did not ask for (the application's {@code Connection:
     * close}; an HTTP/1.0 keep-alive request answered with a body that ends at the close) lingers: a
     * request the client pipelined meanwhile, unread, would otherwise make the close a reset that
     * destroys the end of the response. The client's small receive buffer keeps most of the response
     * in the server's socket when the server is done writing it.
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aCloseTheClientDidNotAskForLingersSoAPipelinedRequestCannotResetTheResponse(WorkerMode mode) throws Exception {
        byte[] large = new byte[1 << 20];
        Arrays.fill(large, (byte) 'z');
        WsgiApp closing = (env, sr) -> {
            List<Header> headers = env.pathInfo().equals("/closes")
                    ? List.of(Header.of("Connection", "close"))
                    : List.of();
            sr.start("200 OK", headers);
            List<byte[]> pieces = List.of(Arrays.copyOf(large, 1000), Arrays.copyOfRange(large, 1000, large.length));
            return pieces::iterator; // not a collection: no length known, so HTTP/1.0's body ends at the close
        };
        String[] requests = {"GET /closes HTTP/1.1\r\nHost: t\r\n\r\n", "GET /ends-at-close HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"};
        try (TestServer server = TestServer.start(closing, b -> b.workerMode(mode))) {
            for (String request : requests) {
                try (Socket socket = new Socket()) {
                    socket.setReceiveBufferSize(4096);
                    socket.setSoTimeout(10_000);
                    socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
                    socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                    InputStream in = socket.getInputStream();
                    byte[] buf = new byte[8192];
                    long total = in.read(buf); // the response has begun: the server read the request
                    assertTrue(total > 0);
                    socket.getOutputStream().write(get("/pipelined").getBytes(StandardCharsets.US_ASCII));
                    Thread.sleep(100); // the server finishes writing, and closes, with the request unread
                    for (int n; (n = in.read(buf)) >= 0; ) total += n; // a reset throws here
                    assertTrue(total > large.length && total < large.length + 2000, request + ": " + total + " bytes"); // head, chunk sizes
                }
            }
        }
    }

    /**
     * The client's own close after a body (Connection: close, or HTTP/1.0) with bytes behind the body
     * that arrived while the application ran, such as an old client's extra CRLF (RFC 9112 section
     * 2.2): unread in the socket, they would make the close a reset (section 9.6), so it lingers.
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void bytesAfterABodyTheClientAskedToCloseAfterDoNotTurnTheCloseIntoAReset(WorkerMode mode) throws Exception {
        Semaphore running = new Semaphore(0);
        Semaphore release = new Semaphore(0);
        WsgiApp held = (env, sr) -> {
            byte[] body = env.input().readAllBytes();
            running.release();
            assertTrue(release.tryAcquire(WsgiTestApps.WAIT_SECONDS, TimeUnit.SECONDS));
            sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of(("got " + body.length).getBytes(StandardCharsets.US_ASCII));
        };
        String[] requests = {
                "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
                "POST /p HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc"};
        try (TestServer server = TestServer.start(held, b -> b.workerMode(mode))) {
            for (String request : requests) {
                try (RawClient client = server.connect()) {
                    client.timeout(10_000);
                    client.send(request);
                    // the server has read the body, and nothing after it
                    assertTrue(running.tryAcquire(WsgiTestApps.WAIT_SECONDS, TimeUnit.SECONDS));
                    client.send("\r\n"); // on loopback, in the server's socket once send returns
                    release.release();
                    String text = client.readToCleanEnd();
                    assertTrue(text.startsWith("HTTP/1.") && text.endsWith("got 3"), request + ": " + text);
                }
            }
        } finally {
            release.release(2);
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aRequestPipelinedBehindAnUndrainableBodyIsNotAnswered(WorkerMode mode) throws Exception {
        try (TestServer server = TestServer.start(WsgiTestApps.echo(),
                b -> b.workerMode(mode).limits(HttpLimits.defaults().withMaxDrainSize(16)));
             RawClient client = server.connect()) {
            client.send(post("/noread", "x".repeat(1000)) + get("/smuggled"));
            assertEquals("POST /noread:", client.read().bodyText());
            assertTrue(client.isClosedByServer(), "the bytes after the unread body must never be parsed as a request");
        }
    }

    /**
     * RFC 9112 section 9.3.2: a complete response to an earlier pipelined request, held back to share
     * a write with the next one, still goes out when the next request's application fails after its
     * own response started; that response, still wholly in the buffer behind it, becomes a 500.
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void anEarlierPipelinedResponseGoesOutWhenTheNextApplicationFailsMidResponse(WorkerMode mode) throws Exception {
        org.minipylib.wsgiserver.WsgiApp app = (env, sr) -> {
            if (env.pathInfo().equals("/ok")) {
                sr.start("200 OK", List.of());
                return List.of("first".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            }
            // a collection (its length summed first, then written in one piece) whose second element fails
            // the second time: once the response's head and first element are in the server's buffer
            sr.start("200 OK", List.of());
            java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
            return new java.util.AbstractList<byte[]>() {
                @Override
                public byte[] get(int index) {
                    if (index == 0 || reads.incrementAndGet() == 1) return "partial".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                    throw new IllegalStateException("the application fails mid-response (expected in this test)");
                }

                @Override
                public int size() {
                    return 2;
                }
            };
        };
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode)); RawClient client = server.connect()) {
            client.send(get("/ok") + get("/fails"));
            RawClient.Response first = client.read();
            assertEquals(200, first.status());
            assertEquals("first", first.bodyText(), "the earlier complete response arrives whole");
            assertEquals(500, client.read().status(), "nothing of the failed response had gone out");
        }
    }

    /** An application that read part of a body too large to drain and answered: its response says the connection closes. */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aPartlyReadBodyTooLargeToDrainIsAnnouncedAsAClose(WorkerMode mode) throws Exception {
        org.minipylib.wsgiserver.WsgiApp readsOneByte = (env, sr) -> {
            int ignored = env.input().read();
            sr.start("200 OK", List.of());
            return List.of("read one".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        };
        try (TestServer server = TestServer.start(readsOneByte,
                b -> b.workerMode(mode).limits(HttpLimits.defaults().withMaxDrainSize(1024)));
             RawClient client = server.connect()) {
            RawClient.Response r = client.send(post("/partly", "x".repeat(8192))).read();
            assertEquals("read one", r.bodyText());
            assertEquals("close", r.header("Connection"), "the server will not drain the rest: it says so");
            assertTrue(client.isClosedByServer());
        }
    }

    /**
     * A chunked body's size is unknown until it is read: left unread (or partly read) and not all
     * arrived, or larger than what the server drains, its response says the connection closes. Else
     * a client would send its next request into a connection about to close (curl then sends it again).
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void anUnreadChunkedBodyNotAllArrivedOrTooLargeIsAnnouncedAsAClose(WorkerMode mode) throws Exception {
        org.minipylib.wsgiserver.WsgiApp readsOneByte = (env, sr) -> {
            if (env.pathInfo().equals("/one")) {
                int ignored = env.input().read();
            }
            sr.start("200 OK", List.of());
            return List.of("answered".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        };
        try (TestServer server = TestServer.start(readsOneByte,
                b -> b.workerMode(mode).limits(HttpLimits.defaults().withMaxDrainSize(1024)))) {
            String head = "POST /none HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
            try (RawClient client = server.connect()) { // the first chunk only: the rest may never come
                RawClient.Response r = client.send(head + "5\r\nhello\r\n").read();
                assertEquals("answered", r.bodyText());
                assertEquals("close", r.header("Connection"), mode + ": not all arrived");
            }
            for (String path : List.of("/none", "/one")) {
                try (RawClient client = server.connect()) { // all arrived, but more than the server drains
                    RawClient.Response r = client.send(postChunked(path, "y".repeat(2000), "z".repeat(2000))).read();
                    assertEquals("close", r.header("Connection"), mode + " " + path + ": too large to drain");
                    assertTrue(client.isClosedByServer());
                }
            }
            try (RawClient client = server.connect()) { // all arrived and small: kept, and the next request is served
                RawClient.Response r = client.send(postChunked("/one", "a".repeat(300), "b".repeat(300))).read();
                assertNull(r.header("Connection"), mode + ": small and all there");
                assertEquals("answered", client.send(get("/next")).read().bodyText());
            }
        }
    }

    /**
     * A chunk size may have any number of leading zeros: the guess of whether a body has all arrived
     * read only its first 15 digits, took {@code 0000000000000000400} for the last chunk and promised
     * keep-alive for a body of which 104 of 1024 bytes had arrived (data that, read as lines, ends
     * the trailer section).
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aChunkSizeWithManyLeadingZerosIsNotTakenForTheLastChunk(WorkerMode mode) throws Exception {
        org.minipylib.wsgiserver.WsgiApp readsNothing = (env, sr) -> {
            sr.start("200 OK", List.of());
            return List.of("answered".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        };
        try (TestServer server = TestServer.start(readsNothing, b -> b.workerMode(mode));
             RawClient client = server.connect()) {
            String head = "POST /none HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
            RawClient.Response r = client.send(head + "0000000000000000400\r\n" + "x".repeat(100) + "\r\n\r\n").read();
            assertEquals("answered", r.bodyText());
            assertEquals("close", r.header("Connection"), mode + ": 104 of 1024 data bytes arrived");
        }
    }
}
