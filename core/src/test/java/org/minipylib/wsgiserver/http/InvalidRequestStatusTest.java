package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.params.provider.Arguments.arguments;
import static org.minipylib.wsgiserver.http.ParsedHeads.assertRejected;

/** {@link RequestParser}: the exact status every kind of invalid head is refused with (RFC 9112, RFC 9110). */
class InvalidRequestStatusTest {

    static Stream<Arguments> invalid() {
        return Stream.of(
                // line ends
                arguments(400, "bare LF after request line", "GET / HTTP/1.1\nHost: a\r\n\r\n"),
                arguments(400, "bare LF after a field line", "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n"),
                arguments(400, "bare LF line ends throughout", "GET / HTTP/1.1\nHost: a\n\n"),
                arguments(400, "bare LF as the final empty line", "GET / HTTP/1.1\r\nHost: a\r\n\n"),
                arguments(400, "bare CR inside request line", "GET / HTTP/1.1\rHost: a\r\n\r\n"),
                arguments(400, "bare CR inside a field value", "GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n"),
                arguments(400, "bare CR inside the target", "GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "CR CR LF line end", "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n"),
                // field line syntax
                arguments(400, "obs-fold with SP", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n"),
                arguments(400, "obs-fold with HTAB", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n"),
                arguments(400, "whitespace before the first field line", "GET / HTTP/1.1\r\n Host: a\r\n\r\n"),
                arguments(400, "space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
                arguments(400, "tab before colon", "GET / HTTP/1.1\r\nHost: a\r\nX-A\t: b\r\n\r\n"),
                arguments(400, "empty field name", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n"),
                arguments(400, "field line without colon", "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n"),
                arguments(400, "'(' in field name", "GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n"),
                arguments(400, "'@' in field name", "GET / HTTP/1.1\r\nHost: a\r\nX@A: b\r\n\r\n"),
                arguments(400, "'/' in field name", "GET / HTTP/1.1\r\nHost: a\r\nX/A: b\r\n\r\n"),
                arguments(400, "non-ASCII field name", "GET / HTTP/1.1\r\nHost: a\r\nX-\u00c4: b\r\n\r\n"),
                arguments(400, "DEL in field name", "GET / HTTP/1.1\r\nHost: a\r\nX\u007fA: b\r\n\r\n"),
                arguments(400, "NUL in field value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u0000c\r\n\r\n"),
                arguments(400, "SOH in field value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: \u0001\r\n\r\n"),
                arguments(400, "ESC in field value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: \u001b[0m\r\n\r\n"),
                arguments(400, "DEL in field value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u007f\r\n\r\n"),
                // Host
                arguments(400, "HTTP/1.1 without Host", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n"),
                arguments(400, "HTTP/1.1 absolute form without Host", "GET http://a/ HTTP/1.1\r\n\r\n"),
                arguments(400, "two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
                arguments(400, "two identical Host fields", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"),
                arguments(400, "two Host fields in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"),
                arguments(400, "space inside Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
                arguments(400, "slash in Host", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"),
                arguments(400, "userinfo in Host", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"),
                arguments(400, "non-ASCII Host", "GET / HTTP/1.1\r\nHost: caf\u00e9\r\n\r\n"),
                arguments(400, "invalid Host with absolute form", "GET http://a/ HTTP/1.1\r\nHost: a b\r\n\r\n"),
                // Content-Length and Transfer-Encoding
                arguments(400, "Transfer-Encoding and Content-Length", "POST / HTTP/1.1\r\nHost: a\r\n"
                        + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"),
                arguments(400, "Content-Length and Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\n"
                        + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"),
                arguments(400, "conflicting Content-Length fields", "POST / HTTP/1.1\r\nHost: a\r\n"
                        + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"),
                arguments(400, "Content-Length list of different values", cl("5, 6")),
                arguments(400, "Content-Length list with an empty element", cl("5,,5")),
                arguments(400, "Content-Length with plus sign", cl("+5")),
                arguments(400, "negative Content-Length", cl("-5")),
                arguments(400, "hex Content-Length", cl("0x5")),
                arguments(400, "Content-Length with space inside", cl("1 0")),
                arguments(400, "Content-Length with decimal point", cl("5.0")),
                arguments(400, "Content-Length with trailing letters", cl("5abc")),
                arguments(400, "empty Content-Length", cl("")),
                arguments(413, "Content-Length overflowing a long", cl("99999999999999999999")),
                arguments(413, "Content-Length of Long.MAX_VALUE + 1", cl("9223372036854775808")),
                arguments(400, "Content-Length too large and conflicting", cl("5, 99999999999999999999")),
                arguments(400, "Transfer-Encoding gzip only", te("gzip")),
                arguments(400, "Transfer-Encoding identity", te("identity")),
                arguments(400, "empty Transfer-Encoding", te("")),
                arguments(400, "chunked not the final coding", te("chunked, gzip")),
                arguments(400, "chunked twice in one field", te("chunked, chunked")),
                arguments(400, "chunked in two fields", "POST / HTTP/1.1\r\nHost: a\r\n"
                        + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
                arguments(400, "chunked with parameters", te("chunked;q=1")),
                arguments(400, "invalid transfer coding token", te("chu nked")),
                arguments(501, "unknown coding before chunked", te("gzip, chunked")),
                arguments(501, "unknown coding deflate before chunked", te("deflate,chunked")),
                arguments(400, "Transfer-Encoding in HTTP/1.0",
                        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
                // HTTP version
                arguments(505, "HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n"),
                arguments(505, "HTTP/3.0", "GET / HTTP/3.0\r\nHost: a\r\n\r\n"),
                arguments(505, "HTTP/0.9 spelled out", "GET / HTTP/0.9\r\nHost: a\r\n\r\n"),
                arguments(400, "HTTP/0.9-style request without version", "GET /\r\n\r\n"),
                arguments(400, "lower-case protocol name", "GET / http/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "two-digit minor version", "GET / HTTP/1.10\r\nHost: a\r\n\r\n"),
                arguments(400, "two-digit major version", "GET / HTTP/11.1\r\nHost: a\r\n\r\n"),
                arguments(400, "version without minor", "GET / HTTP/1\r\nHost: a\r\n\r\n"),
                arguments(400, "version with letters", "GET / HTTP/a.b\r\nHost: a\r\n\r\n"),
                arguments(400, "space inside version", "GET / HTTP /1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "trailing space after version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n"),
                // request line shape
                arguments(400, "missing target", "GET HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "two spaces after method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "leading space", " GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "tab as separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "missing method", "/ HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "invalid character in method", "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "control character in target", "GET /a\u0001b HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "DEL in target", "GET /a\u007fb HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "space inside target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "tab inside target", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "fragment in path", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "fragment after query", "GET /a?b#c HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "fragment in absolute form", "GET http://a/b#c HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "asterisk form for GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "relative target", "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "query-only target", "GET ?a=b HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(501, "CONNECT in authority form", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
                arguments(400, "userinfo in absolute form", "GET http://user:pw@a/ HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "empty authority in absolute form", "GET http:///a HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "invalid scheme in absolute form", "GET 1http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "invalid character in authority", "GET http://a<b/ HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "percent sign at the end of the path", "GET /a% HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "one hex digit after percent", "GET /a%4 HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "non-hex after percent", "GET /a%zz/b HTTP/1.1\r\nHost: a\r\n\r\n"),
                arguments(400, "half-hex after percent", "GET /a%4g HTTP/1.1\r\nHost: a\r\n\r\n"),
                // Expect
                arguments(417, "unknown expectation", "GET / HTTP/1.1\r\nHost: a\r\nExpect: gzip\r\n\r\n"),
                arguments(417, "100-continue with another expectation",
                        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nExpect: 100-continue, foo\r\n\r\n"),
                arguments(417, "expectation with parameters", "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue;x=1\r\n\r\n"));
    }

    private static String cl(String value) {
        return "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + value + "\r\n\r\n";
    }

    private static String te(String value) {
        return "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " + value + "\r\n\r\n";
    }

    @ParameterizedTest(name = "{0} for {1}")
    @MethodSource("invalid")
    void isRefusedWithTheRightStatus(int status, String description, String request) {
        assertRejected(status, request);
    }

    @Test
    void connectInOriginFormIsNotImplemented() {
        assertRejected(501, "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n");
    }

    @Test
    void unknownCodingSplitOverTwoFieldLinesIsNotImplemented() {
        // RFC 9110 section 5.3: several field lines are one list, here "gzip, chunked"
        assertRejected(501, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n");
    }
}
