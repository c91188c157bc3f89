package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.http.ParsedHeads.assertRejected;
import static org.minipylib.wsgiserver.http.ParsedHeads.get;
import static org.minipylib.wsgiserver.http.ParsedHeads.parse;
import static org.minipylib.wsgiserver.http.ParsedHeads.relaxed;
import static org.minipylib.wsgiserver.http.ParsedHeads.request;

/** {@link RequestParser} on the request line (RFC 9112 section 3): the method, the request target's forms and the version. */
class RequestLineParsingTest {

    @Test
    void originFormWithoutQuery() throws Exception {
        RequestHead h = get("/index.html");
        assertEquals("GET", h.method());
        assertEquals("/index.html", h.target());
        assertEquals("/index.html", h.rawPath());
        assertEquals("/index.html", h.path());
        assertNull(h.query());
        assertEquals(1, h.minorVersion());
        assertEquals("HTTP/1.1", h.protocol());
        assertEquals("example.com", h.host());
        assertEquals("GET /index.html HTTP/1.1", h.requestLine());
    }

    @Test
    void originFormWithQueryKeepsTheQueryRaw() throws Exception {
        RequestHead h = get("/search?q=a%20b&x=1?2");
        assertEquals("/search", h.path());
        assertEquals("q=a%20b&x=1?2", h.query());
    }

    @Test
    void emptyQueryIsEmptyNotAbsent() throws Exception {
        assertEquals("", get("/p?").query());
    }

    @Test
    void absoluteFormTakesHostFromTheAuthorityOverTheHostHeader() throws Exception {
        RequestHead h = parse(request("GET", "http://origin.example:8080/a/b?c=d", "HTTP/1.1", "Host: other.example"));
        assertEquals("origin.example:8080", h.host());
        assertEquals("/a/b", h.rawPath());
        assertEquals("c=d", h.query());
        assertEquals("http://origin.example:8080/a/b?c=d", h.target());
    }

    @Test
    void absoluteFormWithoutPathHasPathSlash() throws Exception {
        RequestHead h = parse(request("GET", "https://example.org", "HTTP/1.1", "Host: example.org"));
        assertEquals("/", h.path());
        assertNull(h.query());
        RequestHead q = parse(request("GET", "http://example.org?x=1", "HTTP/1.1", "Host: example.org"));
        assertEquals("/", q.path());
        assertEquals("x=1", q.query());
    }

    @Test
    void absoluteFormAcceptsAnIpv6Literal() throws Exception {
        assertEquals("[::1]:8080", parse(request("GET", "http://[::1]:8080/", "HTTP/1.1", "Host: x")).host());
    }

    @Test
    void asteriskFormForOptions() throws Exception {
        RequestHead h = parse(request("OPTIONS", "*", "HTTP/1.1", "Host: example.com"));
        assertEquals("OPTIONS", h.method());
        assertEquals("*", h.target());
        assertEquals("*", h.rawPath());
        assertEquals("*", h.path());
        assertNull(h.query());
    }

    @Test
    void commonMethodsAreSharedStrings() throws Exception {
        assertSame("GET", get("/").method());
        assertSame("DELETE", parse(request("DELETE", "/", "HTTP/1.1", "Host: a")).method());
    }

    @ParameterizedTest
    @ValueSource(strings = {"get", "Get", "PROPFIND", "M-SEARCH", "PURGE", "X!#$%&'*+.^_`|~1"})
    void methodsAreCaseSensitiveAndExtensionMethodsPassThrough(String method) throws Exception {
        RequestHead h = parse(request(method, "/", "HTTP/1.1", "Host: a"));
        assertEquals(method, h.method());
        assertFalse(h.isHead());
    }

    @Test
    void onlyUpperCaseHeadIsHead() throws Exception {
        assertTrue(parse(request("HEAD", "/", "HTTP/1.1", "Host: a")).isHead());
        assertFalse(parse(request("head", "/", "HTTP/1.1", "Host: a")).isHead());
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/1.2", "HTTP/1.9"})
    void higherMinorVersionsAreServedAsHttp11(String version) throws Exception {
        RequestHead h = parse(request("GET", "/", version, "Host: a"));
        assertEquals(1, h.minorVersion());
        assertEquals("HTTP/1.1", h.protocol());
    }

    @Test
    void rawNonAsciiBytesInTheTargetAreRefusedOrIfRelaxedKeptAsLatin1() throws Exception {
        String text = request("GET", "/caf\u00e9", "HTTP/1.1", "Host: a");
        assertRejected(400, text);
        RequestHead h = parse(relaxed(ComplianceViolation.OBS_TEXT_IN_TARGET), text);
        assertEquals("/caf\u00e9", h.path());
    }

    @Test
    void aSchemeIsAsciiEvenWhenNonAsciiBytesAreRelaxed() {
        // RFC 3986 section 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), ALPHA being ASCII
        HttpLimits relaxed = relaxed(ComplianceViolation.OBS_TEXT_IN_TARGET);
        assertRejected(400, relaxed, request("GET", "\u00e9://example.com/", "HTTP/1.1", "Host: a"));
        assertRejected(400, relaxed, request("GET", "h\u00e9://example.com/", "HTTP/1.1", "Host: a"));
    }
}
