package org.minipylib.wsgiserver.wsgi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps.Capture;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.ascii;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.post;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.postChunked;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.textPlain;

/** Every CGI and WSGI key of the environ, as an application sees it for requests sent over a socket. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EnvironTest {

    /** Sends {@code request} to a server with default settings and returns the environ its application got. */
    private static Environ environFor(String request) throws Exception {
        Capture capture = new Capture();
        try (TestServer server = TestServer.start(capture.app()); RawClient client = server.connect()) {
            assertEquals(200, client.send(request).read().status());
            return capture.nextEnviron();
        }
    }

    @Test
    void cgiVariablesOfASimpleGet() throws Exception {
        Capture capture = new Capture();
        try (TestServer server = TestServer.start(capture.app()); RawClient client = server.connect()) {
            client.send("GET /a/b?x=1&y=%20z HTTP/1.1\r\nHost: example.org:8080\r\nUser-Agent: test/1.0\r\n\r\n").read();
            Environ env = capture.nextEnviron();
            assertEquals("GET", env.get("REQUEST_METHOD"));
            assertEquals("", env.get("SCRIPT_NAME"));
            assertEquals("/a/b", env.get("PATH_INFO"));
            assertEquals("x=1&y=%20z", env.get("QUERY_STRING"));
            assertEquals("/a/b?x=1&y=%20z", env.get("REQUEST_URI"));
            assertEquals("HTTP/1.1", env.get("SERVER_PROTOCOL"));
            assertTrue(((String) env.get("SERVER_SOFTWARE")).startsWith("wsgiserver/"), env.get("SERVER_SOFTWARE").toString());
            assertEquals("127.0.0.1", env.get("SERVER_NAME"), "the bound host when no server name is configured");
            assertEquals(Integer.toString(server.port()), env.get("SERVER_PORT"));
            assertEquals("127.0.0.1", env.get("REMOTE_ADDR"));
            assertEquals(Integer.toString(client.socket().getLocalPort()), env.get("REMOTE_PORT"));
            assertEquals("example.org:8080", env.get("HTTP_HOST"));
            assertEquals("test/1.0", env.get("HTTP_USER_AGENT"));
            assertFalse(env.containsKey("CONTENT_LENGTH"), "no body");
            assertNull(env.contentType());
        }
    }

    @Test
    void anEnvironKeptByTheApplicationHoldsItsOwnRequestsValuesAfterLaterRequests() throws Exception {
        // the entries not put before the call are added when first read: here after the next request on the connection
        BlockingQueue<Environ> kept = new LinkedBlockingQueue<>();
        WsgiApp keeper = (env, sr) -> {
            kept.add(env); // the server's own environ, nothing read from it
            sr.start("200 OK", textPlain());
            return List.of(ascii("ok"));
        };
        try (TestServer server = TestServer.start(keeper); RawClient client = server.connect()) {
            client.send("GET /first?a=1 HTTP/1.1\r\nHost: one.test\r\nX-Req: 1\r\n\r\n").read();
            client.send("POST /second HTTP/1.1\r\nHost: two.test\r\nX-Req: 2\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi").read();
            Environ first = kept.poll(10, TimeUnit.SECONDS);
            Environ second = kept.poll(10, TimeUnit.SECONDS);
            assertEquals("1", first.get("HTTP_X_REQ"));
            assertEquals("one.test", first.get("HTTP_HOST"));
            assertEquals("/first?a=1", first.get("REQUEST_URI"));
            assertNull(first.contentType());
            assertEquals(Integer.toString(client.socket().getLocalPort()), first.get("REMOTE_PORT"));
            assertEquals("2", second.get("HTTP_X_REQ"));
            assertEquals("two.test", second.get("HTTP_HOST"));
            assertEquals("text/plain", second.contentType());
            assertEquals(2, second.contentLength());
            assertEquals("/second", second.get("REQUEST_URI"));
        }
    }

    @Test
    void wsgiVariables() throws Exception {
        Environ env = environFor(get("/"));
        assertEquals(List.of(1, 0), env.get("wsgi.version"));
        assertEquals("http", env.get("wsgi.url_scheme"));
        assertInstanceOf(InputStream.class, env.get("wsgi.input"));
        assertEquals(Boolean.TRUE, env.get("wsgi.input_terminated"));
        assertInstanceOf(PrintStream.class, env.get("wsgi.errors"));
        assertEquals(Boolean.TRUE, env.get("wsgi.multithread"));
        assertEquals(Boolean.FALSE, env.get("wsgi.multiprocess"));
        assertEquals(Boolean.FALSE, env.get("wsgi.run_once"));
    }

    @Test
    void wsgiErrorsLinesGoToTheErrorLog() throws Exception {
        WsgiApp app = (env, sr) -> {
            env.errors().println("a warning from the application");
            env.errors().print("two\r\nlines\n");
            env.errors().flush();
            sr.start("200 OK", textPlain());
            return List.of(ascii(String.valueOf(env.errors().checkError())));
        };
        try (LogCapture log = LogCapture.from(Level.WARNING);
             TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            assertEquals("false", client.send(get("/")).read().bodyText(), "wsgi.errors reports no error");
            List<LogRecord> lines = log.records().stream().filter(r -> r.getLoggerName().equals("org.minipylib.wsgiserver.errors")).toList();
            assertEquals(List.of("a warning from the application", "two", "lines"), lines.stream().map(LogRecord::getMessage).toList());
            assertTrue(lines.stream().allMatch(r -> r.getLevel() == Level.WARNING), lines.toString());
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "/plain              | /plain",
            "/a%20b              | /a b",
            "/a%2Fb              | /a%2Fb",
            "/a%2fb/c%2F         | /a%2Fb/c%2F",
            "/%C3%A9             | /\u00c3\u00a9",
            "/%7Euser/%41%62     | /~user/Ab",
            "/a+b                | /a+b",
            "/50%25              | /50%",
            "/a%252Fb            | /a%252Fb",
            "/app/../admin/./x   | /admin/x",
            "/app/%2E%2E/admin   | /admin",
    })
    void pathInfoIsPercentDecodedToLatin1CharactersKeepingEncodedSlashes(String target, String pathInfo) throws Exception {
        Environ env = environFor(get(target + "?q=%20"));
        assertEquals(pathInfo, env.get("PATH_INFO"));
        assertEquals(target + "?q=%20", env.get("REQUEST_URI"), "REQUEST_URI stays raw");
        assertEquals("q=%20", env.get("QUERY_STRING"), "QUERY_STRING stays raw");
    }

    @Test
    void queryStringIsEmptyWhenAbsent() throws Exception {
        assertEquals("", environFor(get("/no-query")).get("QUERY_STRING"));
        assertEquals("", environFor(get("/empty-query?")).get("QUERY_STRING"));
    }

    @Test
    void serverNameComesFromTheBuilderWhenConfigured() throws Exception {
        Capture capture = new Capture();
        try (TestServer server = TestServer.start(capture.app(), b -> b.serverName("www.example.test"));
             RawClient client = server.connect()) {
            client.send(get("/")).read();
            Environ env = capture.nextEnviron();
            assertEquals("www.example.test", env.get("SERVER_NAME"));
            assertEquals(Integer.toString(server.port()), env.get("SERVER_PORT"));
        }
    }

    @Test
    void requestHeadersBecomeHttpVariables() throws Exception {
        Environ env = environFor("GET / HTTP/1.1\r\nHost: h\r\nx-custom-header: lower\r\nAccept: text/html\r\n"
                + "Accept: application/json\r\nCookie: a=1\r\nCookie: b=2\r\nX-Forwarded-For: 10.0.0.1\r\n"
                + "X_Forwarded_For: 6.6.6.6\r\nX_Only_Underscores: 1\r\nX-Latin: caf\u00e9\r\n\r\n");
        assertEquals("lower", env.get("HTTP_X_CUSTOM_HEADER"));
        assertEquals("text/html, application/json", env.get("HTTP_ACCEPT"), "repeated headers joined with \", \"");
        assertEquals("a=1; b=2", env.get("HTTP_COOKIE"), "cookies joined with \"; \"");
        assertEquals("10.0.0.1", env.get("HTTP_X_FORWARDED_FOR"), "a header with '_' must not impersonate one with '-'");
        assertFalse(env.containsKey("HTTP_X_ONLY_UNDERSCORES"), "headers with '_' in their name are dropped");
        assertEquals("caf\u00e9", env.get("HTTP_X_LATIN"), "header bytes are ISO-8859-1 characters");
        assertFalse(env.containsKey("HTTP_CONTENT_LENGTH"));
        assertFalse(env.containsKey("HTTP_CONTENT_TYPE"));
    }

    @Test
    void anAbsoluteFormTargetOverridesTheHostHeader() throws Exception {
        Environ env = environFor("GET http://example.com:81/p/q%20r?s=1 HTTP/1.1\r\nHost: other.example\r\n\r\n");
        assertEquals("example.com:81", env.get("HTTP_HOST"));
        assertEquals("/p/q r", env.get("PATH_INFO"));
        assertEquals("s=1", env.get("QUERY_STRING"));
        assertEquals("http://example.com:81/p/q%20r?s=1", env.get("REQUEST_URI"));
    }

    @Test
    void asteriskFormTarget() throws Exception {
        Environ env = environFor("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
        assertEquals("OPTIONS", env.get("REQUEST_METHOD"));
        assertEquals("*", env.get("PATH_INFO"));
        assertEquals("*", env.get("REQUEST_URI"));
        assertEquals("", env.get("QUERY_STRING"));
    }

    @Test
    void http10RequestWithoutHost() throws Exception {
        Environ env = environFor("GET /old HTTP/1.0\r\n\r\n");
        assertEquals("HTTP/1.0", env.get("SERVER_PROTOCOL"));
        assertFalse(env.containsKey("HTTP_HOST"));
        assertEquals("/old", env.get("PATH_INFO"));
    }

    @Test
    void contentTypeAndContentLengthOfABody() throws Exception {
        Capture capture = new Capture();
        try (TestServer server = TestServer.start(capture.app()); RawClient client = server.connect()) {
            client.send("PUT /doc HTTP/1.1\r\nHost: h\r\nContent-Type: application/json; charset=utf-8\r\n"
                    + "Content-Length: 11\r\n\r\n{\"a\": true}").read();
            Environ env = capture.nextEnviron();
            assertEquals("PUT", env.get("REQUEST_METHOD"));
            assertEquals("application/json; charset=utf-8", env.get("CONTENT_TYPE"));
            assertEquals("11", env.get("CONTENT_LENGTH"));
            assertEquals("{\"a\": true}", capture.nextBody());
        }
    }

    @Test
    void aRepeatedContentTypeIsJoinedLikeAnyRepeatedField() throws Exception {
        Environ env = environFor("POST /doc HTTP/1.1\r\nHost: h\r\nContent-Type: a/b\r\nContent-Type: c/d\r\n"
                + "Content-Length: 0\r\n\r\n");
        assertEquals("a/b, c/d", env.get("CONTENT_TYPE"), "no value silently dropped");
        assertNull(env.get("HTTP_CONTENT_TYPE"));
    }

    @Test
    void anEmptyBodyWithContentLengthZero() throws Exception {
        Environ env = environFor(post("/empty", ""));
        assertEquals("0", env.get("CONTENT_LENGTH"));
        assertEquals(0, env.contentLength());
    }

    @Test
    void aChunkedBodyHasNoContentLengthAndIsDeChunked() throws Exception {
        Capture capture = new Capture();
        try (TestServer server = TestServer.start(capture.app()); RawClient client = server.connect()) {
            client.send(postChunked("/upload", "Hello, ", "chunked ", "world")).read();
            Environ env = capture.nextEnviron();
            assertFalse(env.containsKey("CONTENT_LENGTH"));
            assertEquals(-1, env.contentLength());
            assertEquals("chunked", env.get("HTTP_TRANSFER_ENCODING"));
            assertEquals(Boolean.TRUE, env.get("wsgi.input_terminated"));
            assertEquals("Hello, chunked world", capture.nextBody());
        }
    }

    @Test
    void wsgiInputEndsAtContentLengthEvenWhenAPipelinedRequestFollows() throws Exception {
        WsgiApp app = (env, sr) -> {
            InputStream in = env.input();
            byte[] body = in.readAllBytes();
            String tail = in.read() + "," + in.read(new byte[8], 0, 8);
            sr.start("200 OK", textPlain());
            return List.of(ascii(env.pathInfo() + ":" + new String(body, "ISO-8859-1") + ":" + tail));
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.send(post("/first", "hello") + post("/second", "more bytes") + get("/third"));
            assertEquals("/first:hello:-1,-1", client.read().bodyText());
            assertEquals("/second:more bytes:-1,-1", client.read().bodyText());
            assertEquals("/third::-1,-1", client.read().bodyText());
        }
    }

    @Test
    void typedAccessorsReadTheEntries() throws Exception {
        Capture capture = new Capture();
        try (TestServer server = TestServer.start(capture.app()); RawClient client = server.connect()) {
            client.send("POST /api/items?page=2 HTTP/1.1\r\nHost: api.test\r\nUser-Agent: agent/2\r\n"
                    + "X-Auth-User: mallory\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nbody").read();
            Environ env = capture.nextEnviron();
            assertEquals("POST", env.method());
            assertEquals("", env.scriptName());
            assertEquals("/api/items", env.pathInfo());
            assertEquals("/api/items", env.path());
            assertEquals("page=2", env.queryString());
            assertEquals("/api/items?page=2", env.requestUri());
            assertEquals("HTTP/1.1", env.protocol());
            assertEquals("http", env.urlScheme());
            assertEquals("127.0.0.1", env.serverName());
            assertEquals(server.port(), env.serverPort());
            assertEquals("127.0.0.1", env.remoteAddr());
            assertEquals(client.socket().getLocalPort(), env.remotePort());
            assertEquals("text/plain", env.contentType());
            assertEquals(4, env.contentLength());
            assertEquals("agent/2", env.header("user-agent"));
            assertEquals("agent/2", env.header("User-Agent"));
            assertEquals("api.test", env.header("host"));
            assertEquals("text/plain", env.header("content-type"));
            assertEquals("4", env.header("Content-Length"));
            assertNull(env.header("X-Absent"));
            assertEquals("mallory", env.header("X-Auth-User"));
            // the server drops names with '_' (a proxy's X_Auth_User): asking for one finds nothing, not the client's twin
            assertNull(env.header("X_Auth_User"));
            assertEquals("body", capture.nextBody(), "input() is wsgi.input");
            assertInstanceOf(PrintStream.class, env.errors());
        }
    }
}
