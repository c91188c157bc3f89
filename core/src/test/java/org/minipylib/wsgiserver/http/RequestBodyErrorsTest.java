package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.TimeoutWindow;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * A request body that goes wrong while the application reads {@code wsgi.input} (a bad chunk, an
 * early end, a size limit, a stall) is answered with the 4xx it deserves, never a 200 or a 500,
 * however the application reacts: whether it lets the error propagate, or swallows it and tries to
 * answer 200 anyway. The connection is closed after, and the server keeps serving others.
 */
class RequestBodyErrorsTest {

    /** {@code /propagate}: reads the body, errors propagate. {@code /swallow}: catches them and answers 200. */
    private static final WsgiApp APP = (environ, startResponse) -> {
        String text;
        try {
            text = "read " + environ.input().readAllBytes().length;
        } catch (IOException e) {
            if (environ.pathInfo().equals("/propagate")) throw e;
            text = "swallowed " + e.getMessage();
        }
        startResponse.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
        return List.of(text.getBytes(StandardCharsets.ISO_8859_1));
    };

    private static final Duration BODY_READ_TIMEOUT = Duration.ofMillis(500);

    private static TestServer server;

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.start(APP, b -> b.limits(HttpLimits.defaults().withMaxBodySize(100))
                .timeouts(HttpTimeouts.defaults().withBodyRead(BODY_READ_TIMEOUT)));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    static Stream<Arguments> brokenBodies() {
        Stream.Builder<Arguments> rows = Stream.builder();
        for (String path : List.of("/propagate", "/swallow")) {
            String chunked = "POST " + path + " HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
            String fixed = "POST " + path + " HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n";
            rows.add(arguments(path, "invalid chunk size", chunked + "5\r\nhello\r\nzz\r\n", false, 400));
            rows.add(arguments(path, "chunk data without CRLF", chunked + "5\r\nhelloXX0\r\n\r\n", false, 400));
            rows.add(arguments(path, "bad chunk extension", chunked + "5;=\r\nhello\r\n0\r\n\r\n", false, 400));
            rows.add(arguments(path, "chunked body over the limit", chunked + "64\r\n" + "x".repeat(100) + "\r\n1\r\nx\r\n0\r\n\r\n",
                    false, 413));
            rows.add(arguments(path, "chunked body ends early", chunked + "5\r\nhel", true, 400));
            rows.add(arguments(path, "Content-Length body ends early", fixed + "abc", true, 400));
            rows.add(arguments(path, "chunked body stalls", chunked + "5\r\nhel", false, 408));
            rows.add(arguments(path, "Content-Length body stalls", fixed + "abc", false, 408));
        }
        return rows.build();
    }

    @ParameterizedTest(name = "{0}: {1} -> {4}")
    @MethodSource("brokenBodies")
    void isAnsweredWithItsOwnStatusAndTheConnectionClosed(String path, String description, String request,
                                                          boolean halfClose, int status) throws IOException {
        try (RawClient client = server.connect()) {
            long lastSend = System.nanoTime(); // before: the server's wait for more body starts after it
            client.send(request);
            if (halfClose) client.socket().shutdownOutput();
            RawClient.Response response = client.read();
            long answered = System.nanoTime();
            assertEquals(status, response.status(), () -> "body: " + response.bodyText());
            if (status == 408) TimeoutWindow.assertFiredInWindow(BODY_READ_TIMEOUT, lastSend, answered, "the 408 came");
            assertEquals("close", response.header("Connection"));
            assertTrue(client.isClosedByServer());
        }
        assertServing();
    }

    @Test
    void aGoodBodyIsStillServed() throws IOException {
        try (RawClient client = server.connect()) {
            client.send("POST /swallow HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
            assertEquals("read 3", client.read().bodyText());
        }
    }

    private static void assertServing() throws IOException {
        try (RawClient other = server.connect()) {
            assertEquals(200, other.send("GET /swallow HTTP/1.1\r\nHost: a\r\n\r\n").read().status());
        }
    }
}
