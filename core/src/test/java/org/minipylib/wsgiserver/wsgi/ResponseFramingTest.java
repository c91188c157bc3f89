package org.minipylib.wsgiserver.wsgi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.minipylib.wsgiserver.BodyWriter;
import org.minipylib.wsgiserver.ByteBufferBody;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.minipylib.wsgiserver.testing.WsgiTestApps.Streamed;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.ascii;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.assertLastResponse;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.request;

/**
 * How the server frames what the application returns: the application's Content-Length (enforced),
 * a computed one for in-memory bodies, chunked or close-delimited streams, and no body at all for
 * HEAD, 204 and 304.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ResponseFramingTest {

    /** The body kinds an application may return. */
    enum Kind { LIST, STREAMED, WRITE }

    /** Answers {@code chunks} with {@code headers}, returned as a List, a streamed iterable, or pushed with write(). */
    private static WsgiApp app(Kind kind, String status, List<Header> headers, String... chunks) {
        return (env, sr) -> {
            BodyWriter write = sr.start(status, headers);
            return switch (kind) {
                case LIST -> Arrays.stream(chunks).map(WsgiTestApps::ascii).toList();
                case STREAMED -> Streamed.of(Arrays.stream(chunks).map(WsgiTestApps::ascii).toArray(byte[][]::new));
                case WRITE -> {
                    for (String c : chunks) write.write(ascii(c));
                    yield List.of();
                }
            };
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"LIST", "STREAMED", "WRITE"})
    void aBodyLongerThanItsContentLengthIsTruncatedAndTheConnectionClosed(Kind kind) throws Exception {
        try (TestServer server = TestServer.start(app(kind, "200 OK", List.of(Header.of("Content-Length", "5")),
                "hel", "lo world", "!"));
             RawClient client = server.connect()) {
            RawClient.Response r = client.send(get("/")).read();
            assertEquals("5", r.header("Content-Length"));
            assertEquals("hello", r.bodyText());
            assertTrue(client.isClosedByServer(), "no extra bytes, and the connection is closed");
        }
    }

    /** The application's bug is logged once, also when the connection was to close anyway. */
    @ParameterizedTest
    @ValueSource(strings = {"Connection: close\r\n", ""})
    void aBodyLongerThanItsContentLengthIsLoggedOnce(String connection) throws Exception {
        try (LogCapture log = LogCapture.from(Level.WARNING);
             TestServer server = TestServer.start(app(Kind.STREAMED, "200 OK", List.of(Header.of("Content-Length", "3")),
                     "he", "llo", "!"));
             RawClient client = server.connect()) {
            RawClient.Response r = client.send(get("/", connection)).read();
            assertEquals("hel", r.bodyText());
            assertTrue(client.isClosedByServer());
            assertEquals(1, log.startingWith("Response to").size(), () -> "logged: " + log.messages());
        }
    }

    /**
     * PEP 3333: the server "should stop iterating over the response when enough data has been sent"
     * (a streamed body may go on past the Content-Length, as a whole file behind the length of a part
     * of it): the body is not asked for more, it is closed, and the complete response keeps the connection.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aStreamedBodyIsNotIteratedPastItsContentLength(boolean buffers) throws Exception {
        AtomicInteger asked = new AtomicInteger();
        Streamed chunks = new Streamed(i -> {
            asked.incrementAndGet();
            return i < 3 ? ascii("abc") : null;
        });
        WsgiApp app = (env, sr) -> {
            if (env.pathInfo().equals("/next")) return app(Kind.LIST, "200 OK", List.of(), "next").call(env, sr);
            sr.start("200 OK", List.of(Header.of("Content-Length", "3")));
            if (!buffers) return chunks;
            return streamedBuffers(chunks);
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            RawClient.Response r = client.send(get("/")).read();
            assertEquals("3", r.header("Content-Length"));
            assertEquals("abc", r.bodyText());
            assertEquals("next", client.send(get("/next")).read().bodyText(), "the connection is kept");
            assertEquals(1, asked.get(), "chunks asked for");
            if (!buffers) assertEquals(1, chunks.awaitCloses());
        }
    }

    /**
     * As above, when write() gave the whole Content-Length before the application returned: the body
     * it returns is not asked for a chunk at all (one would only cross the length, and close the connection).
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aBodyReturnedAfterWriteGaveItsContentLengthIsNotIterated(boolean buffers) throws Exception {
        AtomicInteger asked = new AtomicInteger();
        Streamed chunks = new Streamed(i -> {
            asked.incrementAndGet();
            return i < 3 ? ascii("surplus") : null;
        });
        WsgiApp app = (env, sr) -> {
            if (env.pathInfo().equals("/next")) return app(Kind.LIST, "200 OK", List.of(), "next").call(env, sr);
            sr.start("200 OK", List.of(Header.of("Content-Length", "5"))).write(ascii("hello"));
            if (!buffers) return chunks;
            return streamedBuffers(chunks);
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            assertEquals("hello", client.send(get("/")).read().bodyText());
            assertEquals("next", client.send(get("/next")).read().bodyText(), "the connection is kept");
            assertEquals(0, asked.get(), "chunks asked for");
            if (!buffers) assertEquals(1, chunks.awaitCloses());
        }
    }

    /** {@code chunks} as a {@link ByteBufferBody} with no length of its own (streamed), one buffer per chunk. */
    private static ByteBufferBody streamedBuffers(Iterable<byte[]> chunks) {
        return () -> new Iterator<>() {
            private final Iterator<byte[]> it = chunks.iterator();

            public boolean hasNext() {
                return it.hasNext();
            }

            public ByteBuffer next() {
                return ByteBuffer.wrap(it.next());
            }
        };
    }

    /** PEP 3333: the server should "raise an error if the application tries to write() past" its Content-Length. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void writePastTheContentLengthRaisesAnErrorInTheApplication(boolean buffer) throws Exception {
        AtomicReference<Exception> raised = new AtomicReference<>();
        WsgiApp app = (env, sr) -> {
            BodyWriter write = sr.start("200 OK", List.of(Header.of("Content-Length", "5")));
            write.write(ascii("hel"));
            try {
                if (buffer) write.write(ByteBuffer.wrap(ascii("lo world")));
                else write.write(ascii("lo world"));
            } catch (IllegalStateException e) {
                raised.set(e);
            }
            return List.of();
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            RawClient.Response r = client.send(get("/")).read();
            assertEquals("hello", r.bodyText());
            assertTrue(client.isClosedByServer());
            assertNotNull(raised.get(), "write() past the Content-Length raised nothing");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"LIST", "STREAMED", "WRITE"})
    void aBodyShorterThanItsContentLengthClosesTheConnection(Kind kind) throws Exception {
        try (TestServer server = TestServer.start(app(kind, "200 OK", List.of(Header.of("Content-Length", "10")),
                "hel", "lo"));
             RawClient client = server.connect()) {
            RawClient.Response r = client.send(get("/")).read(); // reads up to 10 bytes or the end of the stream
            assertEquals("hello", r.bodyText());
            assertTrue(client.isClosedByServer());
        }
    }

    @Test
    void aCollectionBodyWithoutContentLengthGetsOneComputed() throws Exception {
        try (TestServer server = TestServer.start(app(Kind.LIST, "200 OK", List.of(), "Hello, ", "", "world"));
             RawClient client = server.connect()) {
            for (int i = 0; i < 3; i++) {
                RawClient.Response r = client.send(get("/")).read();
                assertEquals("12", r.header("Content-Length"));
                assertNull(r.header("Transfer-Encoding"));
                assertEquals("Hello, world", r.bodyText());
            }
        }
    }

    @Test
    void anEmptyBodyGetsContentLengthZero() throws Exception {
        for (Kind kind : Kind.values()) {
            try (TestServer server = TestServer.start(app(kind, "200 OK", List.of()));
                 RawClient client = server.connect()) {
                RawClient.Response r = client.send(get("/")).read();
                assertEquals("0", r.header("Content-Length"), kind.name());
                assertEquals(0, r.body().length);
                assertEquals(200, client.send(get("/")).read().status(), "keep-alive");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"STREAMED", "WRITE"})
    void aStreamedBodyWithoutContentLengthIsChunkedForHttp11(Kind kind) throws Exception {
        try (TestServer server = TestServer.start(app(kind, "200 OK", List.of(), "one ", "two ", "three"));
             RawClient client = server.connect()) {
            for (int i = 0; i < 2; i++) {
                RawClient.Response r = client.send(get("/")).read();
                assertEquals("chunked", r.header("Transfer-Encoding"));
                assertNull(r.header("Content-Length"));
                assertNull(r.header("Connection"));
                assertEquals("one two three", r.bodyText());
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"STREAMED, ''", "STREAMED, 'Connection: keep-alive\r\n'", "WRITE, ''"})
    void aStreamedBodyWithoutContentLengthIsCloseDelimitedForHttp10(Kind kind, String connection) throws Exception {
        try (TestServer server = TestServer.start(app(kind, "200 OK", List.of(), "one ", "two ", "three"));
             RawClient client = server.connect()) {
            RawClient.Response r = client.send("GET / HTTP/1.0\r\n" + connection + "\r\n").read();
            assertEquals("HTTP/1.1", r.version());
            assertNull(r.header("Transfer-Encoding"));
            assertNull(r.header("Content-Length"));
            assertEquals("close", r.header("Connection"));
            assertEquals("one two three", r.bodyText()); // read up to the end of the stream
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"LIST", "STREAMED", "WRITE"})
    void headGetsTheSameFramingHeadersAsGetButNoBody(Kind kind) throws Exception {
        AtomicInteger calls = new AtomicInteger();
        WsgiApp inner = app(kind, "200 OK", List.of(Header.of("X-Kind", kind.name())), "some ", "body");
        WsgiApp app = (env, sr) -> {
            calls.incrementAndGet();
            return inner.call(env, sr);
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            RawClient.Response getResponse = client.send(get("/")).read();
            RawClient.Response headResponse = client.send(request("HEAD", "/")).read(true);
            RawClient.Response after = client.send(get("/")).read(); // out of step if HEAD carried a body
            assertEquals(3, calls.get(), "the application runs for HEAD too");
            assertEquals(200, headResponse.status());
            assertEquals(kind.name(), headResponse.header("X-Kind"));
            assertEquals(getResponse.header("Content-Length"), headResponse.header("Content-Length"));
            assertEquals(getResponse.header("Transfer-Encoding"), headResponse.header("Transfer-Encoding"));
            assertEquals("some body", after.bodyText());
        }
    }

    @Test
    void headWithAnApplicationContentLengthAndNoBodyKeepsTheConnection() throws Exception {
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", List.of(Header.of("Content-Length", "1234")));
            return env.method().equals("HEAD") ? List.of() : List.of(new byte[1234]);
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            RawClient.Response head = client.send(request("HEAD", "/")).read(true);
            assertEquals("1234", head.header("Content-Length"));
            assertNull(head.header("Connection"));
            assertArrayEquals(new byte[1234], client.send(get("/")).read().body());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/1.1", "HTTP/1.0"})
    void headWithoutABodyOrContentLengthGetsNoInventedContentLength(String version) throws Exception {
        // The app skips the body for HEAD: what GET would send is unknown, so no "Content-Length: 0";
        // on HTTP/1.1 "Transfer-Encoding: chunked" (RFC 9112 section 6.1: a HEAD response may say the
        // GET's body would be chunked), without which Node's http client drops the connection.
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return env.method().equals("HEAD") ? List.of() : List.of(ascii("a body"));
        };
        String keepAlive = version.equals("HTTP/1.0") ? "Connection: keep-alive\r\n" : "";
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            RawClient.Response head = client.send("HEAD / " + version + "\r\nHost: t\r\n" + keepAlive + "\r\n").read(true);
            assertEquals(200, head.status());
            assertNull(head.header("Content-Length"));
            assertEquals(version.equals("HTTP/1.1") ? "chunked" : null, head.header("Transfer-Encoding"));
            assertNotEquals("close", head.header("Connection"), "a HEAD response needs no close to end it");
            assertEquals("a body", client.send(get("/")).read().bodyText()); // the connection is still in step
        }
    }

    @Test
    void getWithoutABodyStillGetsContentLengthZero() throws Exception {
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of();
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            assertEquals("0", client.send(get("/")).read().header("Content-Length"));
        }
    }

    @ParameterizedTest
    @CsvSource({"204 No Content, LIST", "204 No Content, STREAMED", "304 Not Modified, LIST", "304 Not Modified, STREAMED",
            "304 Not Modified, WRITE"})
    void status204And304NeverCarryABody(String status, Kind kind) throws Exception {
        WsgiApp bodiless = app(kind, status, List.of(Header.of("ETag", "\"v1\"")), "must not be sent");
        WsgiApp app = (env, sr) -> env.pathInfo().equals("/next")
                ? app(Kind.LIST, "200 OK", List.of(), "next").call(env, sr) : bodiless.call(env, sr);
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            RawClient.Response r = client.send(get("/")).read();
            assertEquals(Integer.parseInt(status.substring(0, 3)), r.status());
            assertNull(r.header("Transfer-Encoding"));
            if (r.status() == 204) assertNull(r.header("Content-Length"));
            RawClient.Response next = client.send(get("/next")).read(); // out of step if a body was sent
            assertEquals(200, next.status());
            assertEquals("next", next.bodyText());
        }
    }

    @ParameterizedTest
    @CsvSource({"HEAD, HTTP/1.1", "GET, HTTP/1.0"})
    void status205IsFramedAsEmptyForHeadAndHttp10(String method, String version) throws Exception {
        WsgiApp app = app(Kind.STREAMED, "205 Reset Content", List.of(), "must not be sent");
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.send(method + " / " + version + "\r\nHost: a\r\nConnection: keep-alive\r\n\r\n");
            RawClient.Response r = client.read(method.equals("HEAD"));
            assertEquals(205, r.status());
            assertEquals("0", r.header("Content-Length"));
            assertNull(r.header("Transfer-Encoding"));
            assertNotEquals("close", r.header("Connection"), "a framed empty response keeps the connection");
            client.send(get("/next"));
            assertEquals(205, client.read().status()); // in step: no stray body before it
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"LIST", "STREAMED", "WRITE"})
    void status205CarriesNoBodyAndSaysSoWithContentLengthZero(Kind kind) throws Exception {
        // RFC 9110 section 15.3.6: no content in a 205; unlike 204 it is framed, so Content-Length: 0
        WsgiApp reset = app(kind, "205 Reset Content", List.of(Header.of("Content-Length", "16")), "must not be sent");
        WsgiApp app = (env, sr) -> env.pathInfo().equals("/next")
                ? app(Kind.LIST, "200 OK", List.of(), "next").call(env, sr) : reset.call(env, sr);
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            RawClient.Response r = client.send(get("/")).read();
            assertEquals(205, r.status());
            assertEquals("0", r.header("Content-Length"));
            assertNull(r.header("Transfer-Encoding"));
            assertEquals(0, r.body().length);
            RawClient.Response next = client.send(get("/next")).read(); // out of step if a body was sent
            assertEquals(200, next.status());
            assertEquals("next", next.bodyText());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"close", "Close", "keep-alive, close"})
    void theApplicationsConnectionCloseClosesTheConnectionAfterTheResponse(String value) throws Exception {
        try (TestServer server = TestServer.start(app(Kind.LIST, "200 OK", List.of(Header.of("Connection", value)),
                "bye"));
             RawClient client = server.connect()) {
            assertLastResponse(client, client.send(get("/")).read(), "bye");
        }
    }

    /** The fields the application's Connection header names are for the hop to the server, which removes them (RFC 9110 7.6.1). */
    @Test
    void theApplicationsOtherConnectionTokensAreNotForwardedNorTheFieldsTheyName() throws Exception {
        try (TestServer server = TestServer.start(app(Kind.LIST, "200 OK", List.of(Header.of("X-Private", "secret"),
                        Header.of("Connection", "x-private, X-Other"), Header.of("X-Public", "ok"), Header.of("x-other", "2")),
                "hi"));
             RawClient client = server.connect()) {
            RawClient.Response r = client.send(get("/")).read();
            assertNull(r.header("Connection"));
            assertNull(r.header("X-Private"), "named in Connection: not sent");
            assertNull(r.header("X-Other"), "named in Connection: not sent");
            assertEquals("ok", r.header("X-Public"));
            assertFalse(client.timeout(300).isClosedByServer(), "the connection stays open");
        }
    }
}
