package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.minipylib.wsgiserver.http.ParsedHeads.get;
import static org.minipylib.wsgiserver.http.ParsedHeads.parse;
import static org.minipylib.wsgiserver.http.ParsedHeads.request;

/** {@link RequestParser}: the path of a target percent-decoded (RFC 3986 section 2.1), the query kept raw. */
class RequestPathDecodingTest {

    @Test
    void percentEncodedBytesAreDecodedToLatin1Characters() throws Exception {
        RequestHead h = get("/a%20b/caf%C3%A9");
        assertEquals("/a%20b/caf%C3%A9", h.rawPath());
        assertEquals("/a b/caf\u00c3\u00a9", h.path());
    }

    @Test
    void encodedSlashStaysEncoded() throws Exception {
        assertEquals("/a%2Fb/c%2Fd", get("/a%2Fb/c%2fd").path()); // %2f as %2F (RFC 3986 section 6.2.2.1)
    }

    @Test
    void encodedPercentIsDecodedUnlessItWouldReadAsAnEscape() throws Exception {
        assertEquals("/100%", get("/100%25").path());
        assertEquals("/100%2525", get("/100%2525").path()); // text "%25": kept, so it cannot read as "%"
        assertEquals("/%2541", get("/%2541").path());
    }

    @Test
    void queryIsNotDecoded() throws Exception {
        assertEquals("a=%2F%zz", get("/p?a=%2F%zz").query());
    }

    @Test
    void absoluteFormPathIsDecodedToo() throws Exception {
        assertEquals("/x y", parse(request("GET", "http://h/x%20y", "HTTP/1.1", "Host: h")).path());
    }
}
