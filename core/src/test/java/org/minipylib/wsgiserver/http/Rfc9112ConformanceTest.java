package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * RFC 9112 (and the parts of RFC 9110 it relies on) over real sockets, against one strict server:
 * every row cites the section it comes from.
 *
 * <p>A valid request is sent together with a pipelined follow-up request in one write: the app must
 * see exactly the method, target, fields and body of the first, and the follow-up must be answered
 * as the next request, which proves the server found the end of the first where the RFC puts it.
 * An invalid request is sent with a pipelined follow-up too: the answer must be the expected status
 * (naming the broken rule for a 400 where the parser knows it), then the connection must close,
 * and the follow-up must never be served (it is what a smuggled request would look like).
 */
class Rfc9112ConformanceTest {

    private static final String FOLLOW_UP = "GET /follow-up HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    private static final HttpLimits LIMITS = HttpLimits.defaults().withMaxRequestLineLength(1024)
            .withMaxHeaderSectionSize(4096).withMaxHeaderCount(40).withMaxBodySize(1000).withMaxChunkExtensionLength(64);

    /** Echoes what it saw, one {@code key=value} line each; reads the whole body first. */
    private static final WsgiApp ECHO = (environ, startResponse) -> {
        byte[] body = environ.input().readAllBytes();
        Map<String, String> fields = new TreeMap<>();
        for (Map.Entry<String, Object> e : environ.entrySet()) {
            if (e.getKey().startsWith("HTTP_")) fields.put(e.getKey(), String.valueOf(e.getValue()));
        }
        StringBuilder sb = new StringBuilder()
                .append("method=").append(environ.method()).append('\n')
                .append("path=").append(environ.pathInfo()).append('\n')
                .append("query=").append(environ.queryString()).append('\n')
                .append("uri=").append(environ.get("REQUEST_URI")).append('\n')
                .append("protocol=").append(environ.protocol()).append('\n')
                .append("body=").append(new String(body, StandardCharsets.ISO_8859_1)).append('\n');
        fields.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        startResponse.start("200 OK", List.of(Header.of("Content-Type", "text/plain; charset=iso-8859-1")));
        return List.of(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
    };

    private static TestServer server;

    @BeforeAll
    static void startServer() throws IOException {
        server = TestServer.start(ECHO, b -> b.limits(LIMITS));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) server.close();
    }

    // ---- valid requests ----

    static Stream<Arguments> valid() {
        List<Arguments> rows = new ArrayList<>();
        // RFC 9112 section 2.2: empty lines before the request-line are ignored
        rows.add(ok("§2.2", "one empty line before the request", "\r\n" + get("/"), "path=/"));
        rows.add(ok("§2.2", "two empty lines before the request", "\r\n\r\n" + get("/x"), "path=/x"));
        // section 3: methods are tokens, case-sensitive, extension methods pass through
        for (String m : List.of("GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "PROPFIND", "M-SEARCH",
                "get", "X!#$%&'*+.^_`|~1")) {
            rows.add(ok("§3, RFC 9110 §9.1", "method " + m, m + " / HTTP/1.1\r\nHost: a\r\n\r\n", "method=" + m));
        }
        // section 3.2.1: origin-form
        rows.add(ok("§3.2.1", "root", get("/"), "path=/", "query=", "uri=/"));
        rows.add(ok("§3.2.1", "nested path", get("/a/b/c"), "path=/a/b/c"));
        rows.add(ok("§3.2.1", "path and query", get("/a?x=1&y=2"), "path=/a", "query=x=1&y=2"));
        rows.add(ok("§3.2.1", "empty query", get("/a?"), "path=/a", "query=", "uri=/a?"));
        rows.add(ok("§3.2.1", "query with slash and question mark", get("/a?b=/c?d"), "query=b=/c?d"));
        rows.add(ok("§3.2.1, RFC 3986 §2.1", "percent-encoded space", get("/a%20b"), "path=/a b", "uri=/a%20b"));
        rows.add(ok("§3.2.1, RFC 3986 §2.1", "percent-encoded letter", get("/%41"), "path=/A"));
        rows.add(ok("§3.2.1, RFC 3986 §2.1", "lower-case percent hex", get("/%c3%a9"), "path=/\u00c3\u00a9"));
        rows.add(ok("§3.2.1, RFC 3986 §2.1", "encoded slash stays encoded", get("/a%2Fb"), "path=/a%2Fb"));
        rows.add(ok("§3.2.1, RFC 3986 §3.3", "sub-delims in path", get("/a;b=c,d!$&'()*+"), "path=/a;b=c,d!$&'()*+"));
        rows.add(ok("§3.2.1, RFC 3986 §3.3", "colon and at-sign in path", get("/a:b@c"), "path=/a:b@c"));
        rows.add(ok("§3.2.1, RFC 3986 §2.3", "unreserved characters", get("/~a-b_c.d"), "path=/~a-b_c.d"));
        rows.add(ok("§3.2.1", "dot segments are passed as sent", get("/a/../b"), "uri=/a/../b"));
        rows.add(ok("§3.2.1", "query is not decoded", get("/?a=%20"), "query=a=%20"));
        // section 3.2.2: absolute-form, for any method; its authority wins over Host
        rows.add(ok("§3.2.2", "absolute-form GET", "GET http://example.com/a?q HTTP/1.1\r\nHost: other\r\n\r\n",
                "path=/a", "query=q", "HTTP_HOST=example.com"));
        rows.add(ok("§3.2.2", "absolute-form without path", "GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n", "path=/"));
        rows.add(ok("§3.2.2", "absolute-form with port", "GET http://example.com:8080/ HTTP/1.1\r\nHost: x\r\n\r\n",
                "HTTP_HOST=example.com:8080"));
        rows.add(ok("§3.2.2", "absolute-form https", "GET https://example.com/s HTTP/1.1\r\nHost: example.com\r\n\r\n", "path=/s"));
        rows.add(ok("§3.2.2, RFC 3986 §3.1", "absolute-form scheme in upper case", "GET HTTP://example.com/u HTTP/1.1\r\nHost: x\r\n\r\n", "path=/u"));
        rows.add(ok("RFC 3986 §2.1", "encoded space, tab-free text and non-ASCII in the path", get("/a%20b%C3%A9%7E"), "path=/a b\u00c3\u00a9~"));
        rows.add(ok("§3.2.2", "absolute-form IPv6 literal", "GET http://[::1]:80/v6 HTTP/1.1\r\nHost: x\r\n\r\n", "path=/v6"));
        rows.add(ok("§3.2.2", "absolute-form POST", "POST http://example.com/p HTTP/1.1\r\nHost: example.com\r\n"
                + "Content-Length: 2\r\n\r\nhi", "method=POST", "body=hi"));
        rows.add(ok("§3.2.2", "absolute-form with empty query", "GET http://h/a? HTTP/1.1\r\nHost: h\r\n\r\n", "query="));
        // section 3.2.4: asterisk-form
        rows.add(ok("§3.2.4", "OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "method=OPTIONS"));
        // section 2.3 / RFC 9110 section 2.5: versions
        rows.add(ok("§2.3", "HTTP/1.0 without Host", "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                "protocol=HTTP/1.0", "path=/old"));
        rows.add(ok("RFC 9110 §2.5", "HTTP/1.2 is answered as 1.1", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", "protocol=HTTP/1.1"));
        rows.add(ok("RFC 9110 §2.5", "HTTP/1.9 is answered as 1.1", "GET / HTTP/1.9\r\nHost: a\r\n\r\n", "protocol=HTTP/1.1"));
        // section 3.2: Host
        for (String host : List.of("example.com", "example.com:8080", "127.0.0.1", "127.0.0.1:1", "[::1]", "[::1]:8080",
                "a-b.c_d~e", "xn--caf-dma.example", "a%41", "a:", "!$&'()*+;=")) {
            rows.add(ok("§3.2, RFC 3986 §3.2.2", "Host " + host, "GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n",
                    "HTTP_HOST=" + host));
        }
        rows.add(ok("§3.2", "empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n", "HTTP_HOST="));
        rows.add(ok("§3.2", "host field name in lower case", "GET / HTTP/1.1\r\nhost: a\r\n\r\n", "HTTP_HOST=a"));
        // section 5: field lines
        rows.add(ok("§5.1", "OWS around the value is trimmed", field("X-A: \t b \t"), "HTTP_X_A=b"));
        rows.add(ok("§5.1", "no OWS at all", field("X-A:b"), "HTTP_X_A=b"));
        rows.add(ok("§5.5", "inner SP and HTAB are kept", field("X-A: b \t c"), "HTTP_X_A=b \t c"));
        rows.add(ok("§5.5", "empty value", field("X-A:"), "HTTP_X_A="));
        rows.add(ok("RFC 9110 §5.5", "obs-text in a value", field("X-A: caf\u00e9"), "HTTP_X_A=caf\u00e9"));
        rows.add(ok("RFC 9110 §5.5", "quotes, colons and commas in a value", field("X-A: \"a:b\", c"), "HTTP_X_A=\"a:b\", c"));
        rows.add(ok("RFC 9110 §5.1", "name with every tchar symbol", field("X!#$%&'*+.^`|~: v"), "HTTP_X!#$%&'*+.^`|~=v"));
        rows.add(ok("RFC 9110 §5.1", "names are case-insensitive", field("x-a: 1") .replace("Host: a", "HOST: a"), "HTTP_X_A=1"));
        rows.add(ok("RFC 9110 §5.3", "repeated fields are combined", field("X-A: 1\r\nX-A: 2"), "HTTP_X_A=1, 2"));
        rows.add(ok("§5", "the most fields allowed", field(fields(LIMITS.maxHeaderCount() - 1)), "HTTP_X_38=38"));
        // section 6 / 8.6: Content-Length
        rows.add(ok("RFC 9110 §8.6", "Content-Length body", post("Content-Length: 5", "hello"), "body=hello"));
        rows.add(ok("RFC 9110 §8.6", "Content-Length 0", post("Content-Length: 0", ""), "body=\n"));
        rows.add(ok("RFC 9110 §8.6", "Content-Length with leading zeros", post("Content-Length: 005", "hello"), "body=hello"));
        rows.add(ok("RFC 9110 §8.6", "Content-Length the largest body allowed", post("Content-Length: 1000", "x".repeat(1000)),
                "body=" + "x".repeat(1000)));
        rows.add(ok("§6.3", "Content-Length in HTTP/1.0", "POST / HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc",
                "body=abc"));
        rows.add(ok("§6.3", "Content-Length on a GET", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nab", "body=ab"));
        // section 7.1: chunked
        rows.add(ok("§7.1", "one chunk", chunked("chunked", "5\r\nhello\r\n0\r\n\r\n"), "body=hello"));
        rows.add(ok("§7.1", "several chunks", chunked("chunked", "3\r\nabc\r\n2\r\nde\r\n1\r\nf\r\n0\r\n\r\n"), "body=abcdef"));
        rows.add(ok("§7.1", "empty chunked body", chunked("chunked", "0\r\n\r\n"), "body=\n"));
        rows.add(ok("§7.1", "upper-case hex size", chunked("chunked", "A\r\n0123456789\r\n0\r\n\r\n"), "body=0123456789"));
        rows.add(ok("§7.1", "lower-case hex size", chunked("chunked", "a\r\n0123456789\r\n0\r\n\r\n"), "body=0123456789"));
        rows.add(ok("§7.1", "size with leading zeros", chunked("chunked", "0005\r\nhello\r\n000\r\n\r\n"), "body=hello"));
        rows.add(ok("§7.1.1", "chunk extension", chunked("chunked", "5;a=b\r\nhello\r\n0\r\n\r\n"), "body=hello"));
        rows.add(ok("§7.1.1", "chunk extension without value", chunked("chunked", "5;a\r\nhello\r\n0;z\r\n\r\n"), "body=hello"));
        rows.add(ok("§7.1.1", "quoted chunk extension", chunked("chunked", "5;a=\"x; y\\\"\"\r\nhello\r\n0\r\n\r\n"), "body=hello"));
        rows.add(ok("§7.1.1", "BWS around ; and =", chunked("chunked", "5 ;\ta = b\r\nhello\r\n0\r\n\r\n"), "body=hello"));
        rows.add(ok("§7.1.1", "several chunk extensions", chunked("chunked", "5;a=1;b;c=\"\"\r\nhello\r\n0\r\n\r\n"), "body=hello"));
        rows.add(ok("§7.1.2", "trailer fields", chunked("chunked", "5\r\nhello\r\n0\r\nX-T: 1\r\nX-U: 2\r\n\r\n"), "body=hello"));
        rows.add(ok("RFC 9110 §7.8", "coding name is case-insensitive", chunked("Chunked", "2\r\nhi\r\n0\r\n\r\n"), "body=hi"));
        rows.add(ok("RFC 9110 §5.6.1", "empty list elements around chunked", chunked(" , chunked ,", "2\r\nhi\r\n0\r\n\r\n"), "body=hi"));
        rows.add(ok("§6.1", "Transfer-Encoding after an empty field line", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", "body=hi"));
        // RFC 9110 section 10.1.1: Expect
        rows.add(ok("RFC 9110 §10.1.1", "Expect: 100-continue", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
                + "Content-Length: 2\r\n\r\nok", "body=ok"));
        rows.add(ok("RFC 9110 §10.1.1", "Expect in HTTP/1.0 is ignored", "GET / HTTP/1.0\r\nConnection: keep-alive\r\nExpect: x\r\n\r\n",
                "protocol=HTTP/1.0"));
        return rows.stream();
    }

    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("valid")
    void validRequestIsServedAndFramedExactly(String section, String description, String request, List<String> expected)
            throws IOException {
        try (RawClient client = server.connect()) {
            client.send(request + FOLLOW_UP);
            RawClient.Response first = readFinal(client);
            assertEquals(200, first.status(), () -> "status; body: " + first.bodyText());
            String seen = first.bodyText();
            for (String line : expected) {
                assertTrue(seen.contains(line + "\n") || seen.contains(line), () -> "expected '" + line + "' in:\n" + seen);
            }
            RawClient.Response second = client.read();
            assertEquals(200, second.status(), "the pipelined follow-up request is served next");
            assertTrue(second.bodyText().contains("path=/follow-up\n"), second::bodyText);
            assertTrue(client.isClosedByServer(), "Connection: close on the follow-up closes the connection");
        }
    }

    // ---- invalid requests ----

    static Stream<Arguments> invalid() {
        List<Arguments> rows = new ArrayList<>();
        // section 2.2: line ends
        rows.add(bad("§2.2", 400, "BARE_LF_LINE_ENDINGS", "bare LF after the request-line", "GET / HTTP/1.1\nHost: a\r\n\r\n"));
        rows.add(bad("§2.2", 400, "BARE_LF_LINE_ENDINGS", "bare LF after a field line", "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n"));
        rows.add(bad("§2.2", 400, "BARE_LF_LINE_ENDINGS", "bare LF everywhere", "GET / HTTP/1.1\nHost: a\n\n"));
        rows.add(bad("§2.2", 400, "BARE_LF_LINE_ENDINGS", "bare LF as the final empty line", "GET / HTTP/1.1\r\nHost: a\r\n\n"));
        rows.add(bad("§2.2", 400, "BARE_CR", "bare CR in the request-line", "GET / HTTP/1.1\rHost: a\r\n\r\n"));
        rows.add(bad("§2.2", 400, "BARE_CR", "bare CR in a field value", "GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n"));
        rows.add(bad("§2.2", 400, "BARE_CR", "bare CR in the target", "GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§2.2", 400, "BARE_CR", "CR CR LF", "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n"));
        rows.add(bad("§2.2", 400, "BARE_CR", "bare CR in a field name", "GET / HTTP/1.1\r\nHo\rst: a\r\n\r\n"));
        rows.add(bad("§2.2", 400, "BARE_CR", "bare CR before the request-line", "\rGET / HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§2.2", 400, "BARE_LF_LINE_ENDINGS", "bare LF as an empty line before the request-line", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§2.2", 400, "WHITESPACE_BEFORE_FIRST_FIELD", "SP before the first field line", "GET / HTTP/1.1\r\n Host: a\r\n\r\n"));
        rows.add(bad("§2.2", 400, "WHITESPACE_BEFORE_FIRST_FIELD", "HTAB before the first field line", "GET / HTTP/1.1\r\n\tHost: a\r\n\r\n"));
        // section 3: request-line
        rows.add(bad("§3", 400, "INVALID_REQUEST_LINE", "missing target", "GET HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3", 400, "INVALID_REQUEST_LINE", "two spaces after the method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3", 400, "INVALID_REQUEST_LINE", "two spaces before the version", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3", 400, "INVALID_REQUEST_LINE", "leading space", " GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3", 400, "INVALID_REQUEST_LINE", "HTAB as separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3", 400, "INVALID_REQUEST_LINE", "missing method", "/ HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3", 400, "INVALID_REQUEST_LINE", "'(' in the method", "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3", 400, "INVALID_REQUEST_LINE", "non-ASCII method", "G\u00c9T / HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3", 400, "INVALID_REQUEST_LINE", "HTTP/0.9 request without version", "GET /\r\n\r\n"));
        rows.add(bad("§3", 400, "INVALID_REQUEST_LINE", "control character in the target", "GET /a\u0001b HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3", 400, "INVALID_REQUEST_LINE", "DEL in the target", "GET /a\u007fb HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3", 400, "INVALID_REQUEST_LINE", "NUL in the target", "GET /a\u0000b HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3", 400, "INVALID_REQUEST_LINE", "space inside the target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3", 400, "INVALID_REQUEST_LINE", "HTAB inside the target", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n"));
        // section 2.3: version
        rows.add(bad("§2.3", 505, null, "HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n"));
        rows.add(bad("§2.3", 505, null, "HTTP/3.0", "GET / HTTP/3.0\r\nHost: a\r\n\r\n"));
        rows.add(bad("§2.3", 505, null, "HTTP/0.9 spelled out", "GET / HTTP/0.9\r\nHost: a\r\n\r\n"));
        rows.add(bad("§2.3", 400, "INVALID_VERSION", "lower-case protocol name", "GET / http/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§2.3", 400, "INVALID_VERSION", "two-digit minor version", "GET / HTTP/1.10\r\nHost: a\r\n\r\n"));
        rows.add(bad("§2.3", 400, "INVALID_VERSION", "two-digit major version", "GET / HTTP/11.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§2.3", 400, "INVALID_VERSION", "no minor version", "GET / HTTP/1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§2.3", 400, "INVALID_VERSION", "letters as version", "GET / HTTP/a.b\r\nHost: a\r\n\r\n"));
        rows.add(bad("§2.3", 400, "INVALID_VERSION", "trailing space after the version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n"));
        rows.add(bad("§2.3", 400, "INVALID_VERSION", "other protocol name", "GET / HTTPS/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§2.3", 400, "INVALID_VERSION", "non-ASCII digit in the version", "GET / HTTP/1.\u00b9\r\nHost: a\r\n\r\n"));
        // section 3.2: request-target forms
        rows.add(bad("§3.2.4", 400, "INVALID_TARGET_FORM", "asterisk-form for GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3.2.4", 400, "INVALID_TARGET_FORM", "asterisk-form for POST", "POST * HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"));
        rows.add(bad("§3.2", 400, "INVALID_TARGET_FORM", "relative target", "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3.2", 400, "INVALID_TARGET_FORM", "query-only target", "GET ?a=b HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3.2.3", 400, "INVALID_TARGET_FORM", "authority-form for GET", "GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3.2.3", 400, "INVALID_TARGET_FORM", "authority-form for OPTIONS", "OPTIONS example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3.2.3", 501, null, "CONNECT in authority-form", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"));
        rows.add(bad("§3.2.3", 501, null, "CONNECT in origin-form", "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3.2.2", 400, "INVALID_TARGET_FORM", "invalid scheme", "GET 1http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3.2.2", 400, "INVALID_TARGET_FORM", "scheme without //", "GET http:/a HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3.2.2", 400, "INVALID_TARGET_FORM", "absolute-form with an ftp scheme", "GET ftp://b/x HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3.2.2", 400, "INVALID_TARGET_FORM", "absolute-form with a scheme starting http", "GET httpx://b/x HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3.2.2", 400, "INVALID_HOST", "empty authority", "GET http:///a HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("RFC 9110 §4.2.4", 400, "USERINFO_IN_TARGET", "userinfo in the target", "GET http://u:p@a/ HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3.2.2", 400, "INVALID_HOST", "port with letters in the authority", "GET http://a:8x/ HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3.2.2", 400, "INVALID_HOST", "unclosed IPv6 literal", "GET http://[::1/ HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3.2", 400, "FRAGMENT_IN_TARGET", "fragment in the path", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3.2", 400, "FRAGMENT_IN_TARGET", "fragment after the query", "GET /a?b#c HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3.2", 400, "FRAGMENT_IN_TARGET", "fragment in absolute-form", "GET http://a/b#c HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3.2", 400, "FRAGMENT_IN_TARGET", "empty fragment", "GET /# HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("RFC 3986 §2", 400, "OBS_TEXT_IN_TARGET", "raw UTF-8 in the path", "GET /caf\u00c3\u00a9 HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("RFC 3986 §2", 400, "OBS_TEXT_IN_TARGET", "raw byte 0xFF in the query", "GET /?a=\u00ff HTTP/1.1\r\nHost: a\r\n\r\n"));
        for (char c : "\"<>\\^`{|}".toCharArray()) {
            rows.add(bad("RFC 3986 §2", 400, "UNSAFE_CHARACTER_IN_TARGET", "'" + c + "' in the target",
                    "GET /a" + c + "b HTTP/1.1\r\nHost: a\r\n\r\n"));
        }
        rows.add(bad("RFC 3986 §2.1", 400, "INVALID_PERCENT_ENCODING", "% at the end of the path", "GET /a% HTTP/1.1\r\nHost: a\r\n\r\n"));
        for (String encoded : List.of("%00", "%0a", "%0D", "%1f", "%7F", "%0D%0ASet-Cookie:x")) {
            rows.add(bad("RFC 3986 §7.3", 400, "ENCODED_CONTROL_IN_PATH", "encoded control " + encoded + " in the path",
                    get("/a" + encoded + "b")));
        }
        rows.add(bad("RFC 3986 §2.1", 400, "INVALID_PERCENT_ENCODING", "% with one hex digit", "GET /a%4 HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("RFC 3986 §2.1", 400, "INVALID_PERCENT_ENCODING", "% with non-hex", "GET /a%zz/b HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("RFC 3986 §2.1", 400, "INVALID_PERCENT_ENCODING", "% with half hex", "GET /a%4g HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("RFC 3986 §5.2.4", 400, "DOT_SEGMENT_ABOVE_ROOT", ".. above the root", "GET /a/../../etc HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("RFC 3986 §5.2.4", 400, "DOT_SEGMENT_ABOVE_ROOT", "encoded .. above the root", "GET /%2e%2e/etc HTTP/1.1\r\nHost: a\r\n\r\n"));
        // section 3.2: Host
        rows.add(bad("§3.2", 400, "MISSING_HOST", "HTTP/1.1 without Host", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n"));
        rows.add(bad("§3.2", 400, "MISSING_HOST", "absolute-form without Host", "GET http://a/ HTTP/1.1\r\n\r\n"));
        rows.add(bad("§3.2", 400, "DUPLICATE_HOST", "two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"));
        rows.add(bad("§3.2", 400, "DUPLICATE_HOST", "two identical Host fields", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"));
        rows.add(bad("§3.2", 400, "DUPLICATE_HOST", "two Host fields in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3.2", 400, "INVALID_HOST", "Host as a list", "GET / HTTP/1.1\r\nHost: a, b\r\n\r\n"));
        rows.add(bad("§3.2", 400, "INVALID_HOST", "Host as a list without space", "GET / HTTP/1.1\r\nHost: a,b\r\n\r\n"));
        rows.add(bad("§3.2.2", 400, "INVALID_HOST", "comma in the authority", "GET http://b,c/x HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("RFC 9110 §4.2.1", 400, "INVALID_HOST", "port without a host", "GET / HTTP/1.1\r\nHost: :80\r\n\r\n"));
        rows.add(bad("RFC 9110 §4.2.1", 400, "INVALID_HOST", "authority with a port and no host", "GET http://:80/x HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3.2", 400, "INVALID_HOST", "space inside Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"));
        rows.add(bad("§3.2", 400, "INVALID_HOST", "slash in Host", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"));
        rows.add(bad("§3.2", 400, "USERINFO_IN_TARGET", "userinfo in Host", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"));
        rows.add(bad("§3.2", 400, "INVALID_HOST", "non-ASCII Host", "GET / HTTP/1.1\r\nHost: caf\u00e9\r\n\r\n"));
        rows.add(bad("§3.2", 400, "INVALID_HOST", "two colons in Host", "GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n"));
        rows.add(bad("§3.2", 400, "INVALID_HOST", "letters in the port", "GET / HTTP/1.1\r\nHost: a:http\r\n\r\n"));
        rows.add(bad("§3.2", 400, "INVALID_HOST", "IPv6 literal without brackets", "GET / HTTP/1.1\r\nHost: ::1\r\n\r\n"));
        rows.add(bad("§3.2, RFC 3986 §3.2.2", 400, "INVALID_HOST", "IPv4 address in brackets", "GET / HTTP/1.1\r\nHost: [192.0.2.1]\r\n\r\n"));
        rows.add(bad("§3.2, RFC 3986 §3.2.2", 400, "INVALID_HOST", "brackets around no IPv6 address", "GET / HTTP/1.1\r\nHost: [ab]:80\r\n\r\n"));
        rows.add(bad("§3.2.2, RFC 3986 §3.2.2", 400, "INVALID_HOST", "malformed IPv6 literal in the authority",
                "GET http://[1::2::3]/ HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("§3.2", 400, "INVALID_HOST", "garbage after an IPv6 literal", "GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n"));
        rows.add(bad("§3.2", 400, "INVALID_HOST", "bad percent-encoding in Host", "GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n"));
        rows.add(bad("§3.2", 400, "INVALID_HOST", "invalid Host with absolute-form", "GET http://a/ HTTP/1.1\r\nHost: a b\r\n\r\n"));
        // section 5: field lines
        rows.add(bad("§5.2", 400, "OBS_FOLD", "obs-fold with SP", field("X-A: b\r\n c")));
        rows.add(bad("§5.2", 400, "OBS_FOLD", "obs-fold with HTAB", field("X-A: b\r\n\tc")));
        rows.add(bad("§5.2", 400, "OBS_FOLD", "obs-fold continuing Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\n"
                + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"));
        rows.add(bad("§5.1", 400, "WHITESPACE_BEFORE_COLON", "SP before the colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n"));
        rows.add(bad("§5.1", 400, "WHITESPACE_BEFORE_COLON", "HTAB before the colon", field("X-A\t: b")));
        rows.add(bad("§5.1", 400, "WHITESPACE_BEFORE_COLON", "SP before the colon of Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\n"
                + "Transfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\nabc"));
        rows.add(bad("§5.1", 400, "INVALID_FIELD_NAME", "empty field name", field(": b")));
        rows.add(bad("§5.1", 400, "INVALID_FIELD_NAME", "field line without colon", field("NoColon")));
        rows.add(bad("§5.1", 400, "INVALID_FIELD_NAME", "field line without colon, with a space", field("No Colon")));
        rows.add(bad("RFC 9110 §5.1", 400, "INVALID_FIELD_NAME", "SP inside a field name", field("X A: b")));
        rows.add(bad("RFC 9110 §5.1", 400, "INVALID_FIELD_NAME", "'(' in a field name", field("X(A): b")));
        rows.add(bad("RFC 9110 §5.1", 400, "INVALID_FIELD_NAME", "'@' in a field name", field("X@A: b")));
        rows.add(bad("RFC 9110 §5.1", 400, "INVALID_FIELD_NAME", "'/' in a field name", field("X/A: b")));
        rows.add(bad("RFC 9110 §5.1", 400, "INVALID_FIELD_NAME", "'\"' in a field name", field("X\"A: b")));
        rows.add(bad("RFC 9110 §5.1", 400, "INVALID_FIELD_NAME", "non-ASCII field name", field("X-\u00c4: b")));
        rows.add(bad("RFC 9110 §5.1", 400, "INVALID_FIELD_NAME", "DEL in a field name", field("X\u007fA: b")));
        rows.add(bad("RFC 9110 §5.1", 400, "INVALID_FIELD_NAME", "NUL in a field name", field("X\u0000A: b")));
        rows.add(bad("RFC 9110 §5.5", 400, "INVALID_FIELD_VALUE", "NUL in a value", field("X-A: b\u0000c")));
        rows.add(bad("RFC 9110 §5.5", 400, "INVALID_FIELD_VALUE", "SOH in a value", field("X-A: \u0001")));
        rows.add(bad("RFC 9110 §5.5", 400, "INVALID_FIELD_VALUE", "ESC in a value", field("X-A: \u001b[0m")));
        rows.add(bad("RFC 9110 §5.5", 400, "INVALID_FIELD_VALUE", "DEL in a value", field("X-A: b\u007f")));
        rows.add(bad("RFC 9110 §5.5", 400, "INVALID_FIELD_VALUE", "VT in a value", field("X-A: b\u000bc")));
        rows.add(bad("RFC 9110 §5.5", 400, "INVALID_FIELD_VALUE", "NUL in Host", "GET / HTTP/1.1\r\nHost: a\u0000b\r\n\r\n"));
        // RFC 9110 section 8.6 / RFC 9112 section 6.3: Content-Length
        rows.add(bad("§6.3", 400, "CONFLICTING_CONTENT_LENGTH", "two different Content-Length fields",
                post("Content-Length: 3\r\nContent-Length: 4", "abcd")));
        rows.add(bad("§6.3", 400, "CONFLICTING_CONTENT_LENGTH", "list of different values", post("Content-Length: 3, 4", "abcd")));
        rows.add(bad("§6.3", 400, "CONTENT_LENGTH_REPEATED", "two identical Content-Length fields",
                post("Content-Length: 3\r\nContent-Length: 3", "abc")));
        rows.add(bad("§6.3", 400, "CONTENT_LENGTH_REPEATED", "list of identical values", post("Content-Length: 3, 3", "abc")));
        for (String v : List.of("+3", "-3", "0x3", "3.0", "3abc", "1 0", "", ",3", "3,,3", "\u00b3", "\u0663", "3e0")) {
            rows.add(bad("RFC 9110 §8.6", 400, "INVALID_CONTENT_LENGTH", "Content-Length '" + v + "'", post("Content-Length: " + v, "abc")));
        }
        // valid numbers, larger than any body the server takes: 413, never a wrap-around
        rows.add(bad("RFC 9110 §15.5.14", 413, null, "Content-Length overflowing a long",
                post("Content-Length: 99999999999999999999", "abc")));
        rows.add(bad("RFC 9110 §15.5.14", 413, null, "Content-Length of Long.MAX_VALUE + 1",
                post("Content-Length: 9223372036854775808", "abc")));
        rows.add(bad("RFC 9110 §15.5.14", 413, null, "Content-Length of 19 digits", post("Content-Length: 1000000000000000000", "abc")));
        rows.add(bad("RFC 9110 §15.5.14", 413, null, "Content-Length 2^64 (would wrap to 0)",
                post("Content-Length: 18446744073709551616", "abc")));
        // section 6.1 / 6.3: Transfer-Encoding
        rows.add(bad("§6.1", 400, "TRANSFER_ENCODING_WITH_CONTENT_LENGTH", "TE then CL",
                post("Transfer-Encoding: chunked\r\nContent-Length: 5", "0\r\n\r\n")));
        rows.add(bad("§6.1", 400, "TRANSFER_ENCODING_WITH_CONTENT_LENGTH", "CL then TE",
                post("Content-Length: 5\r\nTransfer-Encoding: chunked", "0\r\n\r\n")));
        rows.add(bad("§6.1", 400, "TRANSFER_ENCODING_WITH_CONTENT_LENGTH", "CL 0 and TE",
                post("Content-Length: 0\r\nTransfer-Encoding: chunked", "0\r\n\r\n")));
        rows.add(bad("§6.1", 400, "HTTP_1_0_TRANSFER_ENCODING", "Transfer-Encoding in HTTP/1.0",
                "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
        for (String te : List.of("gzip", "identity", "", "chunked, gzip", "chunked, chunked", "chunked;q=1", "chu nked",
                "\"chunked\"", "chunkedx", "xchunked", "chunked;")) {
            rows.add(bad("§6.3", 400, "CHUNKED_NOT_FINAL", "Transfer-Encoding '" + te + "'", post("Transfer-Encoding: " + te, "0\r\n\r\n")));
        }
        rows.add(bad("RFC 9110 §5.5", 400, "INVALID_FIELD_VALUE", "VT after chunked", post("Transfer-Encoding: chunked\u000b", "0\r\n\r\n")));
        rows.add(bad("§6.3", 400, "CHUNKED_NOT_FINAL", "chunked in two fields", post("Transfer-Encoding: chunked\r\n"
                + "Transfer-Encoding: chunked", "0\r\n\r\n")));
        rows.add(bad("§6.1", 501, null, "gzip before chunked", post("Transfer-Encoding: gzip, chunked", "0\r\n\r\n")));
        rows.add(bad("§6.1", 501, null, "deflate before chunked", post("Transfer-Encoding: deflate,chunked", "0\r\n\r\n")));
        rows.add(bad("§6.1", 501, null, "unknown coding in its own field", post("Transfer-Encoding: foo\r\n"
                + "Transfer-Encoding: chunked", "0\r\n\r\n")));
        // section 7.1: chunked framing (the app reads the body; the error becomes the answer)
        for (String size : List.of("z", "0x5", "-5", "+5", " 5", "5 ", "5\t", "", "5.0", "\u0665")) {
            rows.add(bad("§7.1", 400, size.equals("5 ") || size.equals("5\t") ? "INVALID_CHUNK_EXTENSION" : "INVALID_CHUNK_SIZE",
                    "chunk size '" + size + "'", chunked("chunked", size + "\r\nhello\r\n0\r\n\r\n")));
        }
        rows.add(bad("§7.1", 400, "INVALID_CHUNK_SIZE", "chunk size overflowing a long",
                chunked("chunked", "10000000000000005\r\nhello\r\n0\r\n\r\n")));
        rows.add(bad("§7.1", 400, "INVALID_CHUNK_SIZE", "bare LF after the chunk size", chunked("chunked", "5\nhello\r\n0\r\n\r\n")));
        rows.add(bad("§7.1", 400, "BARE_CR", "bare CR after the chunk size", chunked("chunked", "5\rhello\r\n0\r\n\r\n")));
        rows.add(bad("§7.1", 400, "INVALID_CHUNK_FRAMING", "chunk data longer than its size", chunked("chunked", "3\r\nhello\r\n0\r\n\r\n")));
        rows.add(bad("§7.1", 400, "INVALID_CHUNK_FRAMING", "chunk data followed by bare LF", chunked("chunked", "5\r\nhello\n0\r\n\r\n")));
        rows.add(bad("§7.1", 400, "INVALID_CHUNK_FRAMING", "bare LF after the trailer", chunked("chunked", "5\r\nhello\r\n0\r\n\n")));
        rows.add(bad("§7.1.1", 400, "INVALID_CHUNK_EXTENSION", "extension without name", chunked("chunked", "5;=b\r\nhello\r\n0\r\n\r\n")));
        rows.add(bad("§7.1.1", 400, "INVALID_CHUNK_EXTENSION", "extension without ;", chunked("chunked", "5 a\r\nhello\r\n0\r\n\r\n")));
        rows.add(bad("§7.1.1", 400, "INVALID_CHUNK_EXTENSION", "extension with empty value", chunked("chunked", "5;a=\r\nhello\r\n0\r\n\r\n")));
        rows.add(bad("§7.1.1", 400, "INVALID_CHUNK_EXTENSION", "unterminated quoted value",
                chunked("chunked", "5;a=\"b\r\nhello\r\n0\r\n\r\n")));
        rows.add(bad("§7.1.1", 400, "INVALID_CHUNK_EXTENSION", "control character in a quoted value",
                chunked("chunked", "5;a=\"\u0001\"\r\nhello\r\n0\r\n\r\n")));
        rows.add(bad("§7.1.1", 400, "INVALID_CHUNK_EXTENSION", "whitespace at the end of an extension",
                chunked("chunked", "5;a=b \r\nhello\r\n0\r\n\r\n")));
        rows.add(bad("§7.1.1", 400, "Chunk extension is too long", "chunk extension over the limit",
                chunked("chunked", "5;a=" + "b".repeat(100) + "\r\nhello\r\n0\r\n\r\n")));
        rows.add(bad("§7.1.2", 400, "OBS_FOLD", "folded trailer", chunked("chunked", "5\r\nhello\r\n0\r\nX: a\r\n b\r\n\r\n")));
        rows.add(bad("§7.1.2", 400, "INVALID_FIELD_NAME", "trailer without colon", chunked("chunked", "5\r\nhello\r\n0\r\nX\r\n\r\n")));
        rows.add(bad("§7.1.2", 400, "WHITESPACE_BEFORE_COLON", "trailer with SP before colon",
                chunked("chunked", "5\r\nhello\r\n0\r\nX : a\r\n\r\n")));
        // limits
        rows.add(bad("§3", 414, null, "request-line over the limit", get("/" + "a".repeat(1100))));
        rows.add(bad("§3", 501, null, "method longer than the request-line limit", "M".repeat(1100) + " / HTTP/1.1\r\nHost: a\r\n\r\n"));
        rows.add(bad("RFC 6585 §5", 431, null, "more fields than the limit", field(fields(LIMITS.maxHeaderCount() + 1))));
        rows.add(bad("RFC 6585 §5", 431, null, "header section over the limit", field("X-Big: " + "b".repeat(5000))));
        rows.add(bad("RFC 9110 §15.5.14", 413, null, "Content-Length over the limit", post("Content-Length: 1001", "x".repeat(1001))));
        rows.add(bad("RFC 9110 §15.5.14", 413, null, "chunked body over the limit",
                chunked("chunked", "3e8\r\n" + "x".repeat(1000) + "\r\n1\r\nx\r\n0\r\n\r\n")));
        rows.add(bad("RFC 9110 §15.5.14", 413, null, "one huge chunk", chunked("chunked", "7fffffffffffffff\r\nxx")));
        // RFC 9110 section 10.1.1: Expect
        rows.add(bad("RFC 9110 §10.1.1", 417, null, "unknown expectation", field("Expect: gzip")));
        rows.add(bad("RFC 9110 §10.1.1", 417, null, "100-continue and another expectation",
                post("Expect: 100-continue, foo\r\nContent-Length: 1", "x")));
        rows.add(bad("RFC 9110 §10.1.1", 417, null, "expectation with parameters", field("Expect: 100-continue;x=1")));
        return rows.stream();
    }

    @ParameterizedTest(name = "[{0}] {1} -> {2}")
    @MethodSource("invalid")
    void invalidRequestIsRefusedAndTheConnectionClosed(String section, int status, String reason, String description,
                                                       String request) throws IOException {
        try (RawClient client = server.connect()) {
            client.timeout(5_000);
            client.send(request + FOLLOW_UP);
            RawClient.Response response = readFinal(client);
            assertEquals(status, response.status(), () -> "status; body: " + response.bodyText());
            assertEquals("close", response.header("Connection"));
            if (reason != null) {
                assertTrue(response.bodyText().contains(reason), () -> "expected " + reason + " in: " + response.bodyText());
            }
            assertTrue(client.isClosedByServer(), "the connection is closed, the follow-up never served");
        }
    }

    // ---- helpers ----

    /** Reads the final response, skipping a {@code 100 Continue}. */
    private static RawClient.Response readFinal(RawClient client) throws IOException {
        RawClient.Response r = client.read();
        return r.status() == 100 ? client.read() : r;
    }

    private static Arguments ok(String section, String description, String request, String... expected) {
        return arguments(section, description, request, List.of(expected));
    }

    private static Arguments bad(String section, int status, String reason, String description, String request) {
        return arguments(section, status, reason, description, request);
    }

    private static String get(String target) {
        return "GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n";
    }

    private static String field(String lines) {
        return "GET / HTTP/1.1\r\nHost: a\r\n" + lines + "\r\n\r\n";
    }

    private static String post(String lines, String body) {
        return "POST / HTTP/1.1\r\nHost: a\r\n" + lines + "\r\n\r\n" + body;
    }

    private static String chunked(String transferEncoding, String body) {
        return post("Transfer-Encoding: " + transferEncoding, body);
    }

    /** {@code count} field lines X-0: 0 ... without the last CRLF. */
    private static String fields(int count) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) sb.append(i == 0 ? "" : "\r\n").append("X-").append(i).append(": ").append(i);
        return sb.toString();
    }
}
