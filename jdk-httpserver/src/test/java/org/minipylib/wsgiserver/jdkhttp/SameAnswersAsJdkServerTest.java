package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minipylib.wsgiserver.testing.RawClient;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The same handlers (written against the JDK's API only) on the JDK's own server and on ours, asked
 * the same raw requests, one connection each: the status, the body, the framing headers, the
 * headers the handlers set and an authenticator's challenge must be the same.
 */
class SameAnswersAsJdkServerTest {

    /** What is compared besides status and body; Date, Server and Connection are each server's own business. */
    private static final List<String> COMPARED = List.of("content-length", "transfer-encoding", "content-type",
            "location", "etag", "www-authenticate", "x-method", "x-uri", "x-path", "x-protocol", "x-multi", "x-context",
            "proxy-authenticate", "x-filter");

    private static final ServerFixture servers = new ServerFixture();
    private static HttpServer jdk;
    private static HttpServer ours;

    @BeforeAll
    static void start() throws IOException {
        List<HttpServer> both = servers.bothStarted(s -> {
        });
        jdk = both.get(0);
        ours = both.get(1);
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "GET /t/fixed HTTP/1.1",
            "GET /t/chunked HTTP/1.1",
            "GET /t/empty HTTP/1.1",
            "GET /t/nocontent HTTP/1.1",
            "GET /t/notmodified HTTP/1.1",
            "GET /t/headlength HTTP/1.1",
            "GET /t/created HTTP/1.1",
            "GET /t/teapot HTTP/1.1",
            "GET /t/other/thing HTTP/1.1",
            "GET /t/fixedness HTTP/1.1",
            "GET /nowhere HTTP/1.1",
            "GET /t/echo/a%20b/c?q=1&r=%2F HTTP/1.1",
            "DELETE /t/echo HTTP/1.1",
            "GET /t/teapot HTTP/1.0",
            "GET /t/fixed HTTP/1.0",
            "GET http://localhost/t/echo?q HTTP/1.1",
            "OPTIONS * HTTP/1.1",
            "GET /T/fixed HTTP/1.1",
            "GET /t/proxyauth HTTP/1.1",
            "GET /t/filtered HTTP/1.1",
            "GET /t/ownlength HTTP/1.1",
            "GET /t/chunked HTTP/1.0",
    })
    void sameAnswer(String requestLine) throws IOException {
        String request = requestLine + "\r\nHost: localhost\r\nX-Multi: one\r\nx-multi: two\r\n\r\n";
        assertSame(request, requestLine.startsWith("HEAD"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/t/fixed", "/t/chunked", "/t/headlength", "/t/empty", "/t/created", "/t/nocontent",
            "/t/notmodified", "/nowhere"})
    void sameAnswerToHead(String path) throws IOException {
        assertSame("HEAD " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n", true);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "POST /t/echo HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world",
            "PUT /t/echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
            "POST /t/echo HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
            "GET /t/auth HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /t/auth HTTP/1.1\r\nHost: h\r\nAuthorization: Basic YW5uOmd1ZXNz\r\n\r\n", // ann:guess
            "GET /t/auth HTTP/1.1\r\nHost: h\r\nAuthorization: Basic YW5uOnNlY3JldA==\r\n\r\n", // ann:secret
            "GET /t/proxyauth HTTP/1.1\r\nHost: h\r\nX-Let-Me: in\r\n\r\n",
    })
    void sameAnswerToWholeRequests(String request) throws IOException {
        assertSame(request, false);
    }

    /** A body the handler leaves unread does not keep the connection from its next request. */
    @ParameterizedTest
    @ValueSource(strings = {
            "POST /t/empty HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world",
            "POST /t/nocontent HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    })
    void sameAnswersAfterAnUnreadBody(String first) throws IOException {
        String second = "GET /t/fixed HTTP/1.1\r\nHost: h\r\n\r\n";
        assertEquals(askTwice(jdk, first, second), askTwice(ours, first, second), "answers to " + first.lines().findFirst().orElseThrow());
    }

    private static List<ComparedAnswer> askTwice(HttpServer server, String first, String second) throws IOException {
        try (RawClient client = new RawClient("127.0.0.1", ServerFixture.port(server))) {
            ComparedAnswer one = answer(client.send(first).read(false));
            return List.of(one, answer(client.send(second).read(false)));
        }
    }

    /**
     * close() sends the response while the handler works on, though the request body's wrapper
     * fails to close (the JDK's server closes the body it made, not the wrapper).
     */
    @Test
    void closeSendsTheResponseThoughTheRequestBodysWrapperFailsToClose() throws IOException {
        for (HttpServer server : List.of(jdk, ours)) {
            try (RawClient client = new RawClient("127.0.0.1", ServerFixture.port(server)).timeout(5000)) {
                ComparedAnswer answer = answer(client.send("GET /t/closedearly HTTP/1.1\r\nHost: h\r\n\r\n").read(false));
                assertEquals(new ComparedAnswer(200, Map.of("content-length", "5"), "early"), answer, server.getClass().getName());
            } finally {
                TestHandlers.ANSWERED.release();
            }
        }
    }

    private static void assertSame(String request, boolean head) throws IOException {
        ComparedAnswer fromJdk = ask(jdk, request, head);
        ComparedAnswer fromOurs = ask(ours, request, head);
        assertEquals(fromJdk, fromOurs, "answers to " + request.lines().findFirst().orElseThrow());
    }

    private static ComparedAnswer ask(HttpServer server, String request, boolean head) throws IOException {
        return answer(ComparedAnswer.ask(server, request, head, COMPARED));
    }

    private static ComparedAnswer answer(RawClient.Response r) {
        return answer(ComparedAnswer.of(r, COMPARED));
    }

    /** {@code a} with its Transfer-Encoding in lower case (the JDK's server says {@code chunked}, others may not). */
    private static ComparedAnswer answer(ComparedAnswer a) {
        Map<String, String> headers = new LinkedHashMap<>(a.headers());
        headers.computeIfPresent("transfer-encoding", (name, value) -> value.toLowerCase());
        return new ComparedAnswer(a.status(), headers, a.body());
    }
}
