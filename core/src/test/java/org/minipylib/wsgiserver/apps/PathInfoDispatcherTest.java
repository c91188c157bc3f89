package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The dispatcher mounts apps by longest prefix on '/' boundaries and moves the prefix to SCRIPT_NAME. */
class PathInfoDispatcherTest {

    /** An app that answers "name|SCRIPT_NAME|PATH_INFO". */
    private static WsgiApp named(String name) {
        return (env, sr) -> {
            sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of((name + "|" + env.scriptName() + "|" + env.pathInfo()).getBytes(StandardCharsets.ISO_8859_1));
        };
    }

    private static PathInfoDispatcher dispatcher(boolean withRoot) {
        Map<String, WsgiApp> apps = new LinkedHashMap<>();
        if (withRoot) apps.put("/", named("root"));
        apps.put("/x", named("x"));
        apps.put("/blog", named("blog"));
        apps.put("/blog/admin", named("admin"));
        return new PathInfoDispatcher(apps);
    }

    /** Calls the dispatcher directly; returns "status|body". */
    private static String call(WsgiApp app, String path) throws Exception {
        Environ env = new Environ();
        env.put(Environ.SCRIPT_NAME, "");
        env.put(Environ.PATH_INFO, path);
        List<String> status = new ArrayList<>();
        Iterable<byte[]> body = app.call(env, (s, h, e) -> {
            status.add(s.substring(0, 3));
            return data -> { };
        });
        StringBuilder sb = new StringBuilder();
        for (byte[] chunk : body) sb.append(new String(chunk, StandardCharsets.ISO_8859_1));
        return status.get(0) + "|" + sb;
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = ';', value = {
            "/;             200|root||/",
            "'';            200|root||",
            "/x;            200|x|/x|",
            "/x/;           200|x|/x|/",
            "/xy;           200|root||/xy",
            "/blog;         200|blog|/blog|",
            "/blog/;        200|blog|/blog|/",
            "/blog/post/1;  200|blog|/blog|/post/1",
            "/blogx;        200|root||/blogx",
            "/blog/admin;   200|admin|/blog/admin|",
            "/blog/admin/x; 200|admin|/blog/admin|/x",
            "/blog/adminx;  200|blog|/blog|/adminx",
            "/other/deep;   200|root||/other/deep",
    })
    void longestPrefixOnSlashBoundariesWins(String path, String expected) throws Exception {
        assertEquals(expected, call(dispatcher(true), path));
    }

    @ParameterizedTest(name = "{0} -> 404")
    @CsvSource({"/", "/blogx", "/y", "/xblog"})
    void withoutRootMountUnmatchedPathsAre404(String path) throws Exception {
        assertEquals("404|Not Found\n", call(dispatcher(false), path));
    }

    @Test
    void nestedDispatchersAccumulateScriptName() throws Exception {
        WsgiApp inner = new PathInfoDispatcher(Map.of("/api", named("api")));
        WsgiApp outer = new PathInfoDispatcher(Map.of("/v1", inner));
        assertEquals("200|api|/v1/api|/users", call(outer, "/v1/api/users"));
    }

    @Test
    void theRootMountTakesTheAsteriskOfOptions() throws Exception {
        assertEquals("200|root||*", call(dispatcher(true), "*"));
        assertEquals("404|Not Found\n", call(dispatcher(false), "*"));
    }

    @Test
    void twoPrefixesForTheSamePlaceAreRefused() {
        Map<String, WsgiApp> apps = new java.util.LinkedHashMap<>();
        apps.put("/app", named("a"));
        apps.put("/app/", named("b"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PathInfoDispatcher(apps));
        assertTrue(e.getMessage().contains("/app/"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PathInfoDispatcher.builder()
                .mount("/", named("r")).mount("", named("r2")).build());
        assertThrows(IllegalArgumentException.class, () -> PathInfoDispatcher.builder()
                .mount("/x", named("x")).mount("/x", named("x2")));
    }

    @Test
    void aNullApplicationIsRefusedWhenMountedNotAtItsFirstRequest() {
        Map<String, WsgiApp> apps = new java.util.HashMap<>();
        apps.put("/x", null);
        NullPointerException e = assertThrows(NullPointerException.class, () -> new PathInfoDispatcher(apps));
        assertEquals("the application mounted at \"/x\"", e.getMessage());
        e = assertThrows(NullPointerException.class, () -> PathInfoDispatcher.builder().mount("/y", null));
        assertEquals("the application mounted at \"/y\"", e.getMessage());
    }

    @Test
    void prefixesMustStartWithSlash() {
        assertThrows(IllegalArgumentException.class, () -> new PathInfoDispatcher(Map.of("blog", named("b"))));
    }

    @Test
    void dispatchesRealRequests() throws Exception {
        try (TestServer server = TestServer.start(dispatcher(false));
             RawClient client = server.connect()) {
            client.send("GET /blog/a%20b?q=1 HTTP/1.1\r\nHost: x\r\n\r\n");
            RawClient.Response r = client.read();
            assertEquals(200, r.status());
            assertEquals("blog|/blog|/a b", r.bodyText());
            client.send("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(404, client.read().status());
        }
    }

    @Test
    void aPrefixBeyondAsciiMatchesTheUtf8ThatRequestsCarry() throws Exception {
        assertEquals("/caf\u00c3\u00a9", PathInfoDispatcher.asPathInfo("/caf\u00e9"));
        assertEquals("/caf\u00c3\u00a9", PathInfoDispatcher.asPathInfo("/caf\u00c3\u00a9"), "given in PATH_INFO's form: kept");
        assertEquals("/\u00e2\u0082\u00ac", PathInfoDispatcher.asPathInfo("/\u20ac"));
        assertEquals("/plain", PathInfoDispatcher.asPathInfo("/plain"));
        assertThrows(IllegalArgumentException.class, () -> PathInfoDispatcher.asPathInfo("/lone\ud800"), "no character: not sent as '?'");
        assertThrows(IllegalArgumentException.class, () -> PathInfoDispatcher.asPathInfo(null));
        assertThrows(IllegalArgumentException.class,
                () -> new PathInfoDispatcher(Map.of("/caf\u00e9", named("a"), "/caf\u00c3\u00a9/", named("b"))), "the same place twice");

        WsgiApp cafe = new PathInfoDispatcher(Map.of("/caf\u00e9", named("cafe"), "/\u20ac", named("euro"), "/", named("root")));
        try (TestServer server = TestServer.start(cafe); RawClient client = server.connect()) {
            client.send("GET /caf%C3%A9/menu HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals("cafe|/caf\u00c3\u00a9|/menu", client.read().bodyText());
            client.send("GET /%E2%82%AC HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals("euro|/\u00e2\u0082\u00ac|", client.read().bodyText());
            client.send("GET /caf%E9 HTTP/1.1\r\nHost: x\r\n\r\n"); // ISO-8859-1 on the wire: not the mount
            assertEquals("root||/caf\u00e9", client.read().bodyText());
        }
    }
}
