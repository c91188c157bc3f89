package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.minipylib.wsgiserver.http.ParsedHeads.assertRejected;
import static org.minipylib.wsgiserver.http.ParsedHeads.parse;
import static org.minipylib.wsgiserver.http.ParsedHeads.request;

/** {@link RequestParser} on Host (RFC 9112 section 3.2, RFC 9110 section 7.2): when it is required and which values are valid. */
class HostHeaderTest {

    @Test
    void http10WithoutHostIsAccepted() throws Exception {
        RequestHead h = parse(request("GET", "/", "HTTP/1.0"));
        assertEquals(0, h.minorVersion());
        assertEquals("HTTP/1.0", h.protocol());
        assertNull(h.host());
    }

    @Test
    void http10WithHostReportsIt() throws Exception {
        assertEquals("example.com:81", parse(request("GET", "/", "HTTP/1.0", "Host: example.com:81")).host());
    }

    @Test
    void emptyHostIsAllowed() throws Exception {
        // RFC 9112 section 3.2: a client sends an empty Host when the target URI has no authority
        assertEquals("", parse(request("GET", "/", "HTTP/1.1", "Host:")).host());
    }

    @ParameterizedTest
    @ValueSource(strings = {"example.com", "example.com:8080", "127.0.0.1", "[::1]:80", "xn--bcher-kva.example",
            "a_b.local", "[2001:db8::1]:8080", "[::ffff:192.0.2.1]", "[1:2:3:4:5:6:7:8]"})
    void validHostValues(String host) throws Exception {
        assertEquals(host, parse(request("GET", "/", "HTTP/1.1", "Host: " + host)).host());
    }

    @ParameterizedTest
    @ValueSource(strings = {"[ab]", "[1.2.3.4]", "[:::]", "[1:2:3:4:5:6:7:8:9]", "[1::2::3]", "[::1.2.3.04]", "[::]x"})
    void bracketsHoldOnlyAnIpv6Address(String host) {
        // RFC 3986 section 3.2.2: IP-literal = "[" ( IPv6address / IPvFuture ) "]"; IPvFuture is refused too
        assertRejected(400, request("GET", "/", "HTTP/1.1", "Host: " + host));
        assertRejected(400, request("GET", "http://" + host + "/", "HTTP/1.1", "Host: a"));
    }

    @Test
    void hostHeaderNameIsCaseInsensitive() throws Exception {
        assertEquals("a", parse(request("GET", "/", "HTTP/1.1", "hOsT: a")).host());
    }
}
