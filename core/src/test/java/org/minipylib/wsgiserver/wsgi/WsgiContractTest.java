package org.minipylib.wsgiserver.wsgi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minipylib.wsgiserver.BodyWriter;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps.Streamed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.ascii;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.await;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.textPlain;

/**
 * PEP 3333's start_response / write / exc_info rules, over real sockets: when headers go out, what a
 * second start() does, the write callable, and what the client sees when the application misbehaves.
 * Invalid statuses and headers are in {@link InvalidResponseTest}; body closing in {@link BodyCloseTest}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WsgiContractTest {

    /** Reads a response head line by line (status line first); returns the lines without the blank one. */
    static List<String> readHeadLines(RawClient client) throws IOException {
        List<String> lines = new ArrayList<>();
        while (true) {
            String line = client.readLine();
            if (line == null) throw new IOException("connection closed in the response head: " + lines);
            if (line.isEmpty()) return lines;
            lines.add(line);
        }
    }

    /** Asserts that the server sends nothing for a short while (the read times out). */
    static void assertNothingSent(RawClient client) throws IOException {
        client.timeout(500);
        assertThrows(SocketTimeoutException.class, client::readLine, "the server sent bytes too early");
        client.timeout(10_000);
    }

    @Test
    void headersAreNotSentWhileTheIterableBlocksAfterAnEmptyChunk() throws Exception {
        CountDownLatch emptyChunkConsumed = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", textPlain());
            return new Streamed(i -> switch (i) {
                case 0 -> new byte[0];
                case 1 -> {
                    emptyChunkConsumed.countDown();
                    release.await(10, TimeUnit.SECONDS);
                    yield ascii("data");
                }
                default -> null;
            });
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.send(get("/"));
            await(emptyChunkConsumed);
            assertNothingSent(client);
            release.countDown();
            RawClient.Response r = client.read();
            assertEquals(200, r.status());
            assertEquals("data", r.bodyText());
        }
    }

    @Test
    void headersAndTheFirstNonEmptyChunkAreSentBeforeTheIterableBlocks() throws Exception {
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", textPlain());
            return new Streamed(i -> switch (i) {
                case 0 -> ascii("first");
                case 1 -> {
                    blocked.countDown();
                    release.await(10, TimeUnit.SECONDS);
                    yield ascii("second");
                }
                default -> null;
            });
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.send(get("/"));
            await(blocked);
            List<String> head = readHeadLines(client); // arrives while the application is blocked
            assertEquals("HTTP/1.1 200 OK", head.get(0));
            assertTrue(head.stream().anyMatch(l -> l.equalsIgnoreCase("Transfer-Encoding: chunked")), head.toString());
            assertEquals("5", client.readLine());
            assertEquals("first", client.readLine()); // the chunk's data and its CRLF
            release.countDown();
            assertEquals("6", client.readLine());
            assertEquals("second", client.readLine());
            assertEquals("0", client.readLine());
            assertEquals("", client.readLine());
        }
    }

    /**
     * An empty body's response (its headers, Content-Length 0) goes out when the iterable is exhausted,
     * before close() runs, as in wsgiref and Cheroot: close() can no longer write to it, nor replace its
     * status with exc_info (start rethrows, PEP 3333), and the connection goes on.
     */
    @Test
    void anEmptyBodysResponseHasGoneOutBeforeCloseRuns() throws Exception {
        List<Throwable> inClose = new CopyOnWriteArrayList<>();
        WsgiApp app = (env, sr) -> {
            BodyWriter write = sr.start("200 OK", textPlain());
            Runnable lateWork = () -> {
                try {
                    if (env.pathInfo().equals("/writes")) writeUnchecked(write, "written by close");
                    else sr.start("503 Service Unavailable", List.of(), new IllegalStateException("backend gone"));
                } catch (RuntimeException e) {
                    inClose.add(e);
                }
            };
            return env.queryString().equals("list") ? new CloseableList(lateWork) : Streamed.of().onClose(lateWork);
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            for (String target : new String[] {"/writes", "/writes?list", "/excinfo", "/excinfo?list"}) {
                RawClient.Response r = client.send(get(target)).read();
                assertEquals(200, r.status(), target);
                assertEquals("0", r.header("Content-Length"), target);
                assertEquals("", r.bodyText(), target);
            }
            Poll.until(inClose::size, n -> n == 4, "the last close() to end"); // it may still run as the client reads
            assertTrue(inClose.get(0) instanceof IllegalStateException, inClose.toString()); // the response is finished
            assertTrue(inClose.get(1) instanceof IllegalStateException, inClose.toString());
            assertEquals("backend gone", inClose.get(2).getMessage()); // exc_info after the headers: rethrown
            assertEquals("backend gone", inClose.get(3).getMessage());
        }
    }

    /** An in-memory body that is also closeable. */
    static final class CloseableList extends ArrayList<byte[]> implements AutoCloseable {
        private final Runnable onClose;

        CloseableList(Runnable onClose) {
            this.onClose = onClose;
        }

        @Override
        public void close() {
            onClose.run();
        }
    }

    @Test
    void callingStartAgainWithoutExcInfoIsAnErrorAnswered500() throws Exception {
        AtomicReference<RuntimeException> secondStart = new AtomicReference<>();
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", textPlain());
            try {
                sr.start("201 Created", textPlain());
            } catch (RuntimeException e) {
                secondStart.set(e);
                throw e;
            }
            return List.of(ascii("unreachable"));
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            assertEquals(500, client.send(get("/")).read().status());
            assertInstanceOf(IllegalStateException.class, secondStart.get());
            assertEquals(500, client.send(get("/")).read().status(), "the connection stays usable");
        }
    }

    @Test
    void aWriterKeptPastItsFailedRequestCannotWriteIntoTheNextResponse() throws Exception {
        AtomicReference<BodyWriter> kept = new AtomicReference<>();
        AtomicReference<Exception> staleWrite = new AtomicReference<>();
        WsgiApp app = (env, sr) -> {
            if (env.pathInfo().equals("/fail")) {
                kept.set(sr.start("200 OK", List.of(Header.of("X-From", "fail"))));
                throw new IllegalStateException("failing on purpose, its writer kept");
            }
            try {
                kept.get().write(ascii("INJECTED"));
            } catch (IllegalStateException e) {
                staleWrite.set(e);
            }
            sr.start("200 OK", textPlain());
            return List.of(ascii("second"));
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            assertEquals(500, client.send(get("/fail")).read().status());
            RawClient.Response next = client.send(get("/next")).read();
            assertEquals(200, next.status());
            assertNull(next.header("X-From"), "the failed request's response went out behind its 500");
            assertEquals("second", next.bodyText());
            assertNothingSent(client);
            assertInstanceOf(IllegalStateException.class, staleWrite.get(), "the stale write was refused");
        }
    }

    @Test
    void excInfoBeforeHeadersAreSentReplacesStatusAndHeaders() throws Exception {
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", List.of(Header.of("Content-Type", "text/html"), Header.of("X-First", "1")));
            try {
                throw new IllegalStateException("rendering failed");
            } catch (IllegalStateException e) {
                sr.start("500 Internal Server Error", List.of(Header.of("Content-Type", "text/plain")), e);
                return List.of(ascii("sorry"));
            }
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            RawClient.Response r = client.send(get("/")).read();
            assertEquals(500, r.status());
            assertEquals("Internal Server Error", r.reason());
            assertEquals("text/plain", r.header("Content-Type"));
            assertNull(r.header("X-First"));
            assertEquals("sorry", r.bodyText());
        }
    }

    @Test
    void aRefusedStartWithExcInfoChangesNeitherStatusNorHeaders() throws Exception {
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", List.of(Header.of("X-First", "1")));
            IllegalStateException failure = new IllegalStateException("rendering failed");
            try { // a hop-by-hop header: the whole call is refused
                sr.start("503 Service Unavailable", List.of(Header.of("Transfer-Encoding", "chunked")), failure);
            } catch (IllegalArgumentException refused) {
                return List.of(ascii("first"));
            }
            return List.of(ascii("second call accepted"));
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            RawClient.Response r = client.send(get("/")).read();
            assertEquals(200, r.status(), "the refused call must not have replaced the status");
            assertEquals("1", r.header("X-First"));
            assertEquals("first", r.bodyText());
        }
    }

    @Test
    void excInfoAfterHeadersWereSentIsRethrownAndTheConnectionAborted() throws Exception {
        RuntimeException boom = new IllegalStateException("failed mid-stream");
        AtomicReference<Throwable> rethrown = new AtomicReference<>();
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", textPlain());
            return new Streamed(i -> {
                if (i == 0) return ascii("part one");
                try {
                    sr.start("500 Internal Server Error", textPlain(), boom);
                } catch (Throwable t) {
                    rethrown.set(t);
                    throw t;
                }
                return ascii("unreachable");
            });
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            assertCutAfterPartOne(client);
            assertSame(boom, rethrown.get());
        }
    }

    /** Asks for {@code /}: a chunked 200 whose first chunk, "part one", is its last: no last chunk, the connection closed. */
    private static void assertCutAfterPartOne(RawClient client) throws IOException {
        client.send(get("/"));
        assertEquals("HTTP/1.1 200 OK", readHeadLines(client).get(0));
        assertEquals("8", client.readLine());
        assertEquals("part one", client.readLine());
        assertNull(client.readLine(), "the chunked body must end without its last chunk: the connection is closed");
    }

    /** Throws {@code t} whatever its type, as Kotlin or a "sneaky throw" can: a Throwable that is neither Exception nor Error. */
    @SuppressWarnings("unchecked")
    private static <T extends Throwable> byte[] sneakyThrow(Throwable t) throws T {
        throw (T) t;
    }

    /**
     * A body that throws a Throwable of neither kind fails the response as an exception does: a 500
     * before anything went out, a cut (no last chunk, the connection closed) after; it was taken for
     * the body's end (a last chunk, the connection kept).
     */
    @Test
    void aThrowableOfNeitherKindFromTheBodyFailsTheResponse() throws Exception {
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", textPlain());
            boolean atOnce = env.pathInfo().equals("/at-once");
            return new Streamed(i -> i == 0 && !atOnce ? ascii("part one") : sneakyThrow(new Throwable("neither kind")));
        };
        try (LogCapture log = LogCapture.from(java.util.logging.Level.SEVERE);
             TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            assertEquals(500, client.send(get("/at-once")).read().status());
            assertCutAfterPartOne(client);
            assertEquals(2, log.records().stream().filter(r -> r.getThrown() != null
                    && r.getThrown().getCause() != null && "neither kind".equals(r.getThrown().getCause().getMessage())).count(), log.messages().toString());
        }
    }

    /**
     * {@code wsgi.errors} belongs to the server and is shared (PEP 3333): an application that closes
     * it (try-with-resources) silenced every later request's lines; they get a new one.
     */
    @Test
    void anApplicationThatClosesWsgiErrorsSilencesNoLaterRequest() throws Exception {
        WsgiApp app = (env, sr) -> {
            if (env.pathInfo().equals("/close")) {
                try (java.io.PrintStream err = env.errors()) {
                    err.println("closing it");
                }
            } else {
                env.errors().println("line of " + env.pathInfo());
            }
            sr.start("200 OK", textPlain());
            return List.of(ascii("ok"));
        };
        try (LogCapture log = LogCapture.from(java.util.logging.Level.WARNING);
             TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            for (String path : List.of("/one", "/close", "/two", "/three")) {
                assertEquals(200, client.send(get(path)).read().status(), path);
            }
            List<String> messages = log.messages();
            assertTrue(messages.containsAll(List.of("line of /one", "closing it", "line of /two", "line of /three")), messages.toString());
        }
    }

    /** A 304 (or 204) has no body: an endless stream behind one is not iterated past its first chunk, and is closed. */
    @Test
    void anEndlessStreamBehindA304IsNotIterated() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        Streamed endless = new Streamed(i -> {
            asked.incrementAndGet();
            return ascii("more");
        });
        WsgiApp app = (env, sr) -> {
            sr.start("304 Not Modified", List.of());
            return endless;
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            RawClient.Response r = client.send(get("/")).read();
            assertEquals(304, r.status());
            assertEquals(1, endless.awaitCloses());
            assertEquals(1, asked.get(), "the first chunk sends the headers; nothing after it is asked for");
            assertEquals(304, client.send(get("/again")).read().status(), "the connection serves on");
        }
    }

    @Test
    void startMayBeCalledFromInsideTheIterable() throws Exception {
        WsgiApp app = (env, sr) -> new Streamed(i -> {
            if (i > 0) return null;
            sr.start("202 Accepted", textPlain());
            return ascii("lazy");
        });
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            RawClient.Response r = client.send(get("/")).read();
            assertEquals(202, r.status());
            assertEquals("lazy", r.bodyText());
        }
    }

    @Test
    void theWriteCallableSendsBytesBeforeTheReturnedBody() throws Exception {
        WsgiApp app = (env, sr) -> {
            BodyWriter write = sr.start("200 OK", textPlain());
            write.write(ascii("Hello, "));
            write.write(new byte[0]);
            write.write(ascii("wide "));
            return List.of(ascii("world"));
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            for (int i = 0; i < 2; i++) {
                RawClient.Response r = client.send(get("/")).read();
                assertEquals(200, r.status());
                assertEquals("chunked", r.header("Transfer-Encoding"));
                assertEquals("Hello, wide world", r.bodyText());
            }
        }
    }

    @Test
    void theWriteCallableSendsASliceAndTheBufferMayBeReusedAfterward() throws Exception {
        WsgiApp app = (env, sr) -> {
            BodyWriter write = sr.start("200 OK", textPlain());
            byte[] buffer = ascii("xxHello, xx");
            write.write(buffer, 2, 7);
            System.arraycopy(ascii("world"), 0, buffer, 0, 5); // reused at once: what went out stays as it was
            write.write(buffer, 0, 5);
            write.write(buffer, 5, 0);
            return List.of();
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            RawClient.Response r = client.send(get("/")).read();
            assertEquals(200, r.status());
            assertEquals("Hello, world", r.bodyText());
        }
    }

    @Test
    void writeBeforeStartIsAnErrorAnswered500() throws Exception {
        AtomicReference<Exception> error = new AtomicReference<>();
        WsgiApp app = (env, sr) -> {
            if (!(sr instanceof BodyWriter early)) { // then write() is only reachable through start()
                sr.start("200 OK", textPlain());
                return List.of(ascii("not applicable"));
            }
            try {
                early.write(ascii("too early"));
            } catch (IllegalStateException e) {
                error.set(e);
                throw e;
            }
            sr.start("200 OK", textPlain());
            return List.of(ascii("write before start was accepted"));
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            RawClient.Response r = client.send(get("/")).read();
            assumeTrue(!r.bodyText().equals("not applicable"), "start_response is not itself the write callable");
            assertEquals(500, r.status());
            assertInstanceOf(IllegalStateException.class, error.get());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"before start", "after start", "null body", "no start"})
    void applicationFailureBeforeTheResponseStartedIs500AndTheConnectionStaysUsable(String failure) throws Exception {
        WsgiApp app = (env, sr) -> {
            if (env.pathInfo().equals("/ok")) {
                sr.start("200 OK", textPlain());
                return List.of(ascii("fine"));
            }
            switch (failure) {
                case "before start" -> throw new IOException("cannot open the template");
                case "after start" -> {
                    sr.start("200 OK", textPlain());
                    throw new IllegalArgumentException("bad input");
                }
                case "null body" -> {
                    sr.start("200 OK", textPlain());
                    return null;
                }
                default -> {
                    return List.of(); // returned without calling start()
                }
            }
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            RawClient.Response r = client.send(get("/fail")).read();
            assertEquals(500, r.status());
            assertNull(r.header("Connection"), "an HTTP/1.1 500 keeps the connection");
            RawClient.Response next = client.send(get("/ok")).read();
            assertEquals(200, next.status());
            assertEquals("fine", next.bodyText());
        }
    }

    /**
     * A body of known length that fails while the whole response still sits in the output buffer
     * (nothing of it reached the socket): the client gets a 500, not an empty close (PEP 3333:
     * "if no output has been written ... send an error"), and a response pipelined before it stays.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"collection", "excInfo after the first piece"})
    void aFailureWhileTheWholeResponseIsStillBufferedIsA500(String how) throws Exception {
        WsgiApp app = (env, sr) -> {
            if (env.pathInfo().equals("/ok")) {
                sr.start("200 OK", textPlain());
                return List.of(ascii("fine"));
            }
            sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain"), Header.of("Content-Length", "12")));
            if (how.equals("collection")) {
                return new java.util.AbstractList<byte[]>() { // a Collection: its length is known, it is not flushed per piece
                    @Override public byte[] get(int i) {
                        if (i == 1) throw new IllegalStateException("the second piece failed");
                        return ascii("first ");
                    }
                    @Override public int size() {
                        return 2;
                    }
                };
            }
            return new java.util.AbstractList<byte[]>() {
                @Override public byte[] get(int i) {
                    if (i == 1) sr.start("503 Service Unavailable", textPlain(), new IllegalStateException("late"));
                    return ascii("first ");
                }
                @Override public int size() {
                    return 2;
                }
            };
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.send(get("/ok") + get("/fail") + get("/ok"));
            assertEquals("fine", client.read().bodyText(), "the response pipelined before the failure");
            RawClient.Response failed = client.read();
            assertEquals(500, failed.status());
            assertTrue(failed.bodyText().contains("could not complete"), failed.bodyText());
            assertEquals("fine", client.read().bodyText(), "the connection goes on");
        }
    }

    /**
     * An HTTP/1.0 response without a length ends where the connection does: cut off after it
     * started, it ends in a reset, so that the client cannot take the part it got for the whole.
     */
    @Test
    void aCloseDelimitedResponseCutOffEndsInAReset() throws Exception {
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", textPlain());
            return new Streamed(i -> {
                if (i == 0) return ascii("part one");
                throw new IllegalStateException("failed mid-stream");
            });
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.send("GET / HTTP/1.0\r\n\r\n");
            List<String> head = readHeadLines(client);
            assertEquals("HTTP/1.1 200 OK", head.get(0));
            assertTrue(head.stream().noneMatch(h -> h.regionMatches(true, 0, "Content-Length", 0, 14)), head::toString);
            assertThrows(java.net.SocketException.class, () -> {
                while (client.input().read() >= 0) {
                    // the part that came, then the reset
                }
            }, "a reset, not a clean end of stream");
        }
    }

    /** The same when stop() cuts the response at the shutdown timeout (from another thread than the one writing it). */
    @Test
    void aCloseDelimitedResponseCutByStopEndsInAReset() throws Exception {
        CountDownLatch firstPiece = new CountDownLatch(1);
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", textPlain());
            return new Streamed(i -> {
                if (i == 0) {
                    firstPiece.countDown();
                    return ascii("part one");
                }
                try {
                    Thread.sleep(3000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return null;
            });
        };
        TestServer server = TestServer.start(app, b -> b.shutdownTimeout(java.time.Duration.ofMillis(300)));
        try (RawClient client = server.connect()) {
            client.send("GET / HTTP/1.0\r\n\r\n");
            await(firstPiece);
            readHeadLines(client);
            server.close();
            assertThrows(java.net.SocketException.class, () -> {
                while (client.input().read() >= 0) {
                    // the part that came, then the reset
                }
            }, "a reset, not a clean end of stream");
        } finally {
            server.close();
        }
    }

    /**
     * A reset drops what the kernel still holds to send, so it is kept for a connection's first
     * response: a complete response before the cut one, still queued for a slow reader, arrives whole.
     */
    @Test
    void aCutCloseDelimitedResponseDoesNotResetAwayAnEarlierCompleteOne() throws Exception {
        byte[] big = new byte[512 * 1024];
        java.util.Arrays.fill(big, (byte) 'x');
        CountDownLatch failing = new CountDownLatch(1);
        WsgiApp app = (env, sr) -> {
            if (env.pathInfo().equals("/big")) {
                sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain"), Header.of("Content-Length", Integer.toString(big.length))));
                return List.of(big);
            }
            sr.start("200 OK", textPlain());
            return new Streamed(i -> {
                if (i == 0) return ascii("part one");
                failing.countDown();
                throw new IllegalStateException("failed mid-stream");
            });
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.socket().setReceiveBufferSize(64 * 1024);
            client.send("GET /big HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /fail HTTP/1.0\r\n\r\n");
            // the server writes /big into its send queue, then cuts /fail: wait for the cut before reading
            assertTrue(failing.await(10, TimeUnit.SECONDS), "/fail failed mid-stream");
            Poll.until(() -> server.server().openConnections(), n -> n == 0, "the connection cut after /fail");
            RawClient.Response first = client.read();
            assertEquals(200, first.status());
            assertEquals(big.length, first.body().length, "the complete response arrives whole");
        }
    }

    /** A HEAD over HTTP/1.0 keep-alive: no body to delimit, so the connection stays even without a length. */
    @Test
    void aHeadOverHttp10KeepAliveWithAStreamedBodyKeepsTheConnection() throws Exception {
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", textPlain());
            return new Streamed(i -> i == 0 ? ascii("streamed") : null);
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.send("HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            RawClient.Response head = client.read(true);
            assertEquals(200, head.status());
            assertEquals("keep-alive", head.header("Connection"));
            RawClient.Response next = client.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read();
            assertEquals("streamed", next.bodyText());
        }
    }

    static void writeUnchecked(BodyWriter write, String text) {
        try {
            write.write(ascii(text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
