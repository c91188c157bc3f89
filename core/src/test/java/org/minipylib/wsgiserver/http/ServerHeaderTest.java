package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.Version;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * The {@code Server} header: {@code wsgiserver/VERSION} by default, on the application's responses
 * and the server's own error responses alike; none with {@code serverHeader(null)}; and an
 * application's own {@code Server} field replaces it rather than joining it.
 */
class ServerHeaderTest {

    private static final String DEFAULT = "wsgiserver/" + Version.VERSION;

    private static long count(RawClient.Response response, String name) {
        return response.headerNames().stream().filter(name::equalsIgnoreCase).count();
    }

    @Test
    void theDefaultIsTheServersNameAndVersionOnEveryResponse() throws Exception {
        try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "hi"));
             RawClient app = server.connect(); RawClient refused = server.connect()) {
            RawClient.Response ok = app.send(get("/")).read();
            assertEquals(DEFAULT, ok.header("Server"));
            assertEquals(1, count(ok, "Server"));
            RawClient.Response bad = refused.send("GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n").read();
            assertEquals(400, bad.status());
            assertEquals(DEFAULT, bad.header("Server"));
        }
    }

    @Test
    void nullSendsNone() throws Exception {
        try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "hi"), b -> b.serverHeader(null));
             RawClient app = server.connect(); RawClient refused = server.connect()) {
            RawClient.Response ok = app.send(get("/")).read();
            assertEquals(200, ok.status());
            assertFalse(ok.headers().containsKey("server"), ok.headers().toString());
            RawClient.Response bad = refused.send("GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n").read();
            assertEquals(400, bad.status());
            assertFalse(bad.headers().containsKey("server"), bad.headers().toString());
        }
    }

    @Test
    void theApplicationsOwnServerFieldWins() throws Exception {
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", List.of(Header.of("Server", "my-app/2"), Header.of("Content-Length", "2")));
            return List.of("hi".getBytes());
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            RawClient.Response response = client.send(get("/")).read();
            assertEquals("my-app/2", response.header("Server"));
            assertEquals(1, count(response, "Server"));
        }
    }
}
