package org.minipylib.wsgiserver.wsgi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.ascii;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * start_response refuses what could corrupt the response or is not the application's business
 * (malformed statuses, header injection, hop-by-hop headers): the client gets a 500, and since nothing
 * was sent the connection carries on.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InvalidResponseTest {

    /** Runs an app that calls start(status, headers) on /bad; checks the 500, the refusal, and the next request. */
    private static void assertRefused(String status, List<Header> headers) throws Exception {
        AtomicReference<RuntimeException> refusal = new AtomicReference<>();
        WsgiApp app = (env, sr) -> {
            if (env.pathInfo().equals("/bad")) {
                try {
                    sr.start(status, headers);
                } catch (RuntimeException e) {
                    refusal.set(e);
                    throw e;
                }
                return List.of(ascii("should not be sent"));
            }
            sr.start("200 OK", List.of());
            return List.of(ascii("ok"));
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            RawClient.Response r = client.send(get("/bad")).read();
            assertEquals(500, r.status(), () -> "status " + status + ", headers " + headers);
            assertInstanceOf(IllegalArgumentException.class, refusal.get(), "start() itself refuses it");
            assertEquals("ok", client.send(get("/good")).read().bodyText(), "the connection stays usable");
        }
    }

    @Test
    void aConstantListOrStatusIsCheckedAgainWheneverAnotherWasUsedInBetween() throws Exception {
        // start() remembers the status and the immutable header list it checked last: an invalid
        // constant must be refused on every call, however calls with valid ones interleave
        List<Header> valid = List.of(Header.of("Content-Type", "text/plain"));
        List<Header> invalid = List.of(Header.of("X-Split", "a\r\nX-Injected: 1"));
        String badStatus = "200 OK\r\nX-Injected: 1";
        WsgiApp app = (env, sr) -> {
            switch (env.pathInfo()) {
                case "/bad-headers" -> sr.start("200 OK", invalid);
                case "/bad-status" -> sr.start(badStatus, valid);
                default -> sr.start("200 OK", valid);
            }
            return List.of(ascii("ok"));
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            for (int i = 0; i < 3; i++) {
                assertEquals(200, client.send(get("/good")).read().status());
                assertEquals(200, client.send(get("/good")).read().status());
                assertEquals(500, client.send(get("/bad-headers")).read().status());
                assertEquals(500, client.send(get("/bad-headers")).read().status());
                assertEquals(500, client.send(get("/bad-status")).read().status());
            }
        }
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {"", "20 OK", "2000 OK", "abc OK", "200OK", "200\tOK", "100 Continue", "101 Switching Protocols",
            "200 OK\r\nX-Injected: 1", "200 OK\n", "200 \u0100K", "200 OK\u007f",
            "600 Beyond", "999 Odd", "099 Low", "000 Zero"})
    void malformedStatusIsRefused(String status) throws Exception {
        assertRefused(status, List.of());
    }

    @Test
    void nullStatusIsRefused() throws Exception {
        assertRefused(null, List.of());
    }

    @Test
    void aNullHeaderIsRefused() throws Exception {
        assertRefused("200 OK", java.util.Arrays.asList(Header.of("Content-Type", "text/plain"), null));
    }

    static Stream<Header> invalidHeaders() {
        return Stream.of(
                Header.of("", "empty name"),
                Header.of("Bad Name", "space in the name"),
                Header.of("X-Colon:", "colon in the name"),
                Header.of("X-Split", "a\r\nX-Injected: 1"),
                Header.of("X-Lf", "a\nb"),
                Header.of("X-Nul", "a\u0000b"),
                Header.of("X-Wide", "\u20ac"),
                Header.of("Content-Length", "abc"),
                Header.of("Content-Length", "-1"),
                Header.of("Content-Length", ""));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("invalidHeaders")
    void malformedHeaderIsRefused(Header header) throws Exception {
        assertRefused("200 OK", List.of(Header.of("Content-Type", "text/plain"), header));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"Transfer-Encoding: chunked", "transfer-encoding: identity", "Keep-Alive: timeout=5",
            "Upgrade: websocket", "TE: trailers", "Trailer: X-Checksum", "Proxy-Authenticate: Basic",
            "Proxy-Authorization: Basic Zm9v"})
    void hopByHopHeaderIsRefused(String line) throws Exception {
        int colon = line.indexOf(':');
        assertRefused("200 OK", List.of(Header.of(line.substring(0, colon), line.substring(colon + 2))));
    }

    @Test
    void conflictingContentLengthHeadersAreRefused() throws Exception {
        // Two different lengths on the wire would let the client and any proxy disagree on where the body ends.
        assertRefused("200 OK", List.of(Header.of("Content-Length", "3"), Header.of("Content-Length", "5")));
    }

    @Test
    void twoDateHeadersAreRefused() throws Exception {
        // RFC 9110 section 6.6.1: Date is a single value; two are not a list a client can read
        assertRefused("200 OK", List.of(Header.of("Date", "Sat, 05 Dec 2026 02:00:00 GMT"), Header.of("date", "Sun, 06 Dec 2026 02:00:00 GMT")));
    }
}
