package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.testing.RawClient;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Requests go to the context with the longest path that is a string prefix of the request's
 * decoded path, case-sensitively, as the JDK's server sends them; none is 404, a context without
 * a handler 500; contexts can be removed by path or by object, and not added twice.
 */
class ContextMatchingTest {

    private final ServerFixture servers = new ServerFixture();
    private HttpServer server;

    @BeforeEach
    void start() throws IOException {
        server = servers.ours();
        for (String path : new String[] {"/apps/", "/apps/foo/", "/app", "/a b"}) {
            server.createContext(path, t -> TestHandlers.send(t, 200, 0, t.getHttpContext().getPath()));
        }
        server.start();
    }

    @AfterEach
    void stop() {
        servers.close();
    }

    private RawClient.Response get(String path) throws IOException {
        try (RawClient c = new RawClient("127.0.0.1", ServerFixture.port(server))) {
            return c.send("GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n").read();
        }
    }

    private String contextOf(String path) throws IOException {
        RawClient.Response r = get(path);
        return r.status() == 200 ? r.bodyText() : Integer.toString(r.status());
    }

    @Test
    void theLongestMatchingPrefixWins() throws IOException {
        assertEquals("/apps/foo/", contextOf("/apps/foo/bar"));
        assertEquals("/apps/", contextOf("/apps/Foo/bar"));
        assertEquals("/apps/", contextOf("http://example.com/apps/app1"));
        assertEquals("/app", contextOf("/apps"), "a string prefix, not a path segment");
        assertEquals("/a b", contextOf("/a%20b/c"), "matched on the decoded path");
        assertEquals("404", contextOf("/foo"));
    }

    @Test
    void noContextIsNotFoundWithTheJdkBody() throws IOException {
        RawClient.Response r = get("/elsewhere");
        assertEquals(404, r.status());
        assertEquals("<h1>404 Not Found</h1>No context found for request", r.bodyText());
    }

    @Test
    void removedContextsNoLongerMatch() throws IOException {
        server.removeContext("/apps/foo/");
        assertEquals("/apps/", contextOf("/apps/foo/bar"));
        HttpContext app = server.createContext("/apps/foo/", t -> TestHandlers.send(t, 200, 0, "again"));
        assertEquals("again", contextOf("/apps/foo/bar"));
        server.removeContext(app);
        assertEquals("/apps/", contextOf("/apps/foo/bar"));
        assertThrows(IllegalArgumentException.class, () -> server.removeContext("/nothing"));
        assertThrows(IllegalArgumentException.class, () -> server.removeContext(app));
    }

    @Test
    void aContextPathIsUniqueAndStartsWithASlash() {
        assertThrows(IllegalArgumentException.class, () -> server.createContext("/app", t -> { }));
        assertThrows(IllegalArgumentException.class, () -> server.createContext("relative", t -> { }));
        assertThrows(NullPointerException.class, () -> server.createContext(null));
        assertThrows(NullPointerException.class, () -> server.createContext("/x", null));
    }

    @Test
    void aContextWithoutHandlerAnswers500UntilItGetsOne() throws IOException {
        HttpContext later = server.createContext("/later");
        assertEquals(500, get("/later").status());
        later.setHandler(t -> TestHandlers.send(t, 200, 0, "now"));
        assertEquals("now", contextOf("/later"));
        assertThrows(IllegalArgumentException.class, () -> later.setHandler(t -> { }));
        assertEquals(server, later.getServer());
    }
}
