package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.testing.RawClient;

import java.io.ByteArrayInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a handler sees of the request and controls of the response through {@link HttpExchange}:
 * method, raw URI, case-insensitive multi-valued headers, protocol, addresses, attributes set by a
 * filter, streams a filter wrapped, the response code, and request bodies sent chunked or after
 * {@code Expect: 100-continue}.
 */
class ExchangeApiTest {

    private static final ServerFixture servers = new ServerFixture();
    private static final Map<String, Object> seen = new ConcurrentHashMap<>();
    private static HttpServer server;
    private static int port;

    @BeforeAll
    static void start() throws IOException {
        server = servers.ours();
        TestHandlers.mountAll(server);
        server.createContext("/who", t -> {
            seen.put("remote", t.getRemoteAddress());
            seen.put("local", t.getLocalAddress());
            seen.put("protocol", t.getProtocol());
            seen.put("context", t.getHttpContext());
            seen.put("codeBefore", t.getResponseCode());
            TestHandlers.send(t, 202, 0, "ok");
            seen.put("codeAfter", t.getResponseCode());
        });
        HttpContext filtered = server.createContext("/filtered", t -> {
            t.sendResponseHeaders(200, 0);
            try (OutputStream out = t.getResponseBody()) {
                out.write(("attribute=" + t.getAttribute("filter.says")).getBytes(StandardCharsets.US_ASCII));
            }
        });
        filtered.getFilters().add(new Filter() {
            @Override
            public void doFilter(HttpExchange t, Chain chain) throws IOException {
                t.setAttribute("filter.says", "hi");
                t.setStreams(null, new FilterOutputStream(t.getResponseBody()) {
                    @Override
                    public void write(int b) throws IOException {
                        out.write(Character.toUpperCase(b));
                    }
                });
                chain.doFilter(t);
            }

            @Override
            public String description() {
                return "upper-cases the response";
            }
        });
        server.start();
        port = ServerFixture.port(server);
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    @Test
    void theRequestIsAsSent() throws IOException {
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            RawClient.Response r = c.send("PATCH /t/echo/a%20b?x=%2F&y HTTP/1.1\r\nHost: h\r\nX-MULTI: one\r\n"
                    + "x-multi: two\r\n\r\n").read();
            assertEquals("PATCH", r.header("X-Method"));
            assertEquals("/t/echo/a%20b?x=%2F&y", r.header("X-Uri"));
            assertEquals("/t/echo/a b", r.header("X-Path"));
            assertEquals("one|two", r.header("X-Multi"), "case-insensitive names, every value in order");
            assertEquals("HTTP/1.1", r.header("X-Protocol"));
            assertEquals("/t/echo", r.header("X-Context"));
        }
    }

    @Test
    void requestHeadersCannotBeChanged() throws IOException {
        server.createContext("/headers", t -> {
            boolean refused = false;
            try {
                t.getRequestHeaders().add("X-New", "v");
            } catch (UnsupportedOperationException e) {
                refused = true;
            }
            TestHandlers.send(t, 200, 0, t.getRequestHeaders().getFirst("user-agent") + " " + refused);
        });
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            assertEquals("raw/1 true", c.send("GET /headers HTTP/1.1\r\nHost: h\r\nUser-Agent: raw/1\r\n\r\n").read().bodyText());
        } finally {
            server.removeContext("/headers");
        }
    }

    /**
     * {@code Headers} takes values the wire must not carry. A char above U+00FF would go out as its
     * low byte (U+010A as an LF: a header of the handler's choosing after it), a NUL or a name that is
     * no token would go out as they are: sendResponseHeaders refuses them (the handler's exception, a
     * 500). A line fold, which a sender must not generate (RFC 9112 section 5.2), goes out as a space.
     */
    @Test
    void responseHeadersTheWireMustNotCarryAreRefusedAndFoldsUnfolded() throws IOException {
        Map<String, String> refused = new ConcurrentHashMap<>();
        server.createContext("/header", t -> {
            String kind = t.getRequestURI().getQuery();
            try {
                switch (kind) { // Headers itself refuses chars above U+00FF on newer JDKs (25), not on all
                    case "split" -> t.getResponseHeaders().set("X-A", "a\u010d\u010aX-Injected: 1");
                    case "nul" -> t.getResponseHeaders().set("X-A", "a\u0000b");
                    case "name" -> t.getResponseHeaders().set("X(A)", "v");
                    default -> t.getResponseHeaders().set("X-A", "a\r\n b");
                }
                TestHandlers.send(t, 200, 0, "sent");
            } catch (IOException | IllegalArgumentException e) {
                refused.put(kind, e.toString());
                throw e;
            }
        });
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            for (String kind : new String[] {"split", "nul", "name"}) {
                RawClient.Response r = c.send("GET /header?" + kind + " HTTP/1.1\r\nHost: h\r\n\r\n").read();
                assertEquals(500, r.status(), kind);
                assertNull(r.header("X-Injected"), kind);
                assertNull(r.header("X-A"), kind);
                assertTrue(refused.containsKey(kind), kind);
            }
            RawClient.Response folded = c.send("GET /header?fold HTTP/1.1\r\nHost: h\r\n\r\n").read();
            assertEquals(200, folded.status());
            assertEquals("a b", folded.header("X-A"));
            assertEquals("sent", folded.bodyText());
        } finally {
            server.removeContext("/header");
        }
    }

    @Test
    void addressesProtocolContextAndResponseCode() throws IOException {
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            RawClient.Response r = c.send("GET /who HTTP/1.0\r\n\r\n").read();
            assertEquals(202, r.status());
            assertEquals(c.socket().getLocalSocketAddress(), seen.get("remote"));
            assertEquals(c.socket().getRemoteSocketAddress(), seen.get("local"));
        }
        assertEquals("HTTP/1.0", seen.get("protocol"));
        assertEquals("/who", ((HttpContext) seen.get("context")).getPath());
        assertEquals(-1, seen.get("codeBefore"));
        assertEquals(202, seen.get("codeAfter"));
    }

    @Test
    void aFilterSetsAttributesAndWrapsTheResponseStream() throws IOException {
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            assertEquals("ATTRIBUTE=HI", c.send("GET /filtered HTTP/1.1\r\nHost: h\r\n\r\n").read().bodyText());
        }
    }

    @Test
    void attributesBelongToTheExchange() throws IOException {
        server.createContext("/count", t -> {
            Object before = t.getAttribute("n");
            t.setAttribute("n", 1);
            t.setAttribute("gone", "x");
            t.setAttribute("gone", null);
            TestHandlers.send(t, 200, 0, before + " " + t.getAttribute("n") + " " + t.getAttribute("gone"));
        });
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            assertEquals("null 1 null", c.send("GET /count HTTP/1.1\r\nHost: h\r\n\r\n").read().bodyText());
            assertEquals("null 1 null", c.send("GET /count HTTP/1.1\r\nHost: h\r\n\r\n").read().bodyText());
        } finally {
            server.removeContext("/count");
        }
    }

    @Test
    void chunkedAndExpectContinueBodiesArrive() throws Exception {
        byte[] big = "0123456789abcdef".repeat(10_000).getBytes(StandardCharsets.US_ASCII);
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build()) {
            HttpRequest chunked = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/t/echo"))
                    .timeout(Duration.ofSeconds(20))
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build();
            HttpResponse<byte[]> r1 = client.send(chunked, HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r1.statusCode());
            assertEquals(big.length, r1.body().length);
            assertTrue(java.util.Arrays.equals(big, r1.body()));

            HttpRequest expecting = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/t/echo"))
                    .timeout(Duration.ofSeconds(20)).expectContinue(true)
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(big)).build();
            HttpResponse<byte[]> r2 = client.send(expecting, HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r2.statusCode());
            assertEquals("PUT", r2.headers().firstValue("x-method").orElseThrow().toUpperCase(Locale.ROOT));
            assertTrue(java.util.Arrays.equals(big, r2.body()));
        }
    }

    /**
     * A handler that sends its response headers before it reads an {@code Expect: 100-continue} body
     * (streaming the body back): the 100 still comes first, so the client sends the body, with a raw
     * client and with HttpClient (which sends no body after a final status without the 100).
     */
    @Test
    void headersSentBeforeTheBodyIsReadStillLetTheExpectedBodyCome() throws Exception {
        server.createContext("/headersFirst", t -> {
            t.sendResponseHeaders(200, 0);
            byte[] body = t.getRequestBody().readAllBytes();
            try (OutputStream out = t.getResponseBody()) {
                out.write(("read " + body.length).getBytes(StandardCharsets.US_ASCII));
            }
        });
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            c.timeout(10_000);
            c.send("POST /headersFirst HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            assertEquals("HTTP/1.1 100 Continue", c.readLine());
            assertEquals("", c.readLine());
            c.send("hello");
            RawClient.Response r = c.read();
            assertEquals(200, r.status());
            assertEquals("read 5", r.bodyText());
        }
        byte[] big = "0123456789abcdef".repeat(10_000).getBytes(StandardCharsets.US_ASCII);
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build()) {
            HttpRequest expecting = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/headersFirst"))
                    .timeout(Duration.ofSeconds(20)).expectContinue(true)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(big)).build();
            HttpResponse<String> r = client.send(expecting, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertEquals("read " + big.length, r.body());
        }
    }

    @Test
    void noPrincipalWithoutAnAuthenticator() throws IOException {
        server.createContext("/principal", t -> TestHandlers.send(t, 200, 0, String.valueOf(t.getPrincipal())));
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            assertEquals("null", c.send("GET /principal HTTP/1.1\r\nHost: h\r\n\r\n").read().bodyText());
        } finally {
            server.removeContext("/principal");
        }
        assertNull(server.getExecutor());
    }
}
