package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.minipylib.wsgiserver.http.ParsedHeads.assertRejected;
import static org.minipylib.wsgiserver.http.ParsedHeads.get;
import static org.minipylib.wsgiserver.http.ParsedHeads.parse;
import static org.minipylib.wsgiserver.http.ParsedHeads.relaxed;
import static org.minipylib.wsgiserver.http.ParsedHeads.request;

/** {@link RequestParser} on Content-Length and Transfer-Encoding (RFC 9112 section 6): the framing and length of the body. */
class BodyFramingHeadersTest {

    @Test
    void noBodyWithoutFramingHeaders() throws Exception {
        RequestHead h = get("/");
        assertEquals(RequestHead.BodyFraming.NONE, h.framing());
        assertEquals(-1, h.contentLength());
    }

    @Test
    void contentLength() throws Exception {
        RequestHead h = parse(request("POST", "/", "HTTP/1.1", "Host: a", "Content-Length: 42"));
        assertEquals(RequestHead.BodyFraming.CONTENT_LENGTH, h.framing());
        assertEquals(42, h.contentLength());
    }

    @Test
    void contentLengthZeroMeansNoBody() throws Exception {
        RequestHead h = parse(request("POST", "/", "HTTP/1.1", "Host: a", "Content-Length: 0"));
        assertEquals(RequestHead.BodyFraming.NONE, h.framing());
        assertEquals(0, h.contentLength());
    }

    @ParameterizedTest
    @ValueSource(strings = {"007", "0000000000000000000000007"})
    void contentLengthWithLeadingZerosIsAccepted(String value) throws Exception {
        RequestHead h = parse(request("POST", "/", "HTTP/1.1", "Host: a", "Content-Length: " + value));
        assertEquals(7, h.contentLength(), value);
    }

    @ParameterizedTest
    @ValueSource(strings = {"7, 7", "7,7,7", "7 ,\t7", "07, 7"})
    void contentLengthListsOfIdenticalValuesAreRefusedUnlessRelaxed(String value) throws Exception {
        String text = request("POST", "/", "HTTP/1.1", "Host: a", "Content-Length: " + value);
        assertRejected(400, text);
        RequestHead h = parse(relaxed(ComplianceViolation.CONTENT_LENGTH_REPEATED), text);
        assertEquals(7, h.contentLength(), value);
    }

    @Test
    void repeatedIdenticalContentLengthFieldsAreRefusedUnlessRelaxed() throws Exception {
        String text = request("POST", "/", "HTTP/1.1", "Host: a", "Content-Length: 5", "content-length: 5");
        assertRejected(400, text);
        assertEquals(5, parse(relaxed(ComplianceViolation.CONTENT_LENGTH_REPEATED), text).contentLength());
    }

    @Test
    void largestAcceptedContentLength() throws Exception {
        RequestHead h = parse(request("POST", "/", "HTTP/1.1", "Host: a", "Content-Length: 999999999999999999"));
        assertEquals(999_999_999_999_999_999L, h.contentLength());
    }

    @Test
    void http10WithContentLength() throws Exception {
        RequestHead h = parse(request("POST", "/", "HTTP/1.0", "Content-Length: 3"));
        assertEquals(RequestHead.BodyFraming.CONTENT_LENGTH, h.framing());
        assertEquals(3, h.contentLength());
    }

    @ParameterizedTest
    @ValueSource(strings = {"chunked", "Chunked", "CHUNKED", " chunked ", ", chunked", "chunked,", " , ,chunked, ,"})
    void transferEncodingChunked(String value) throws Exception {
        RequestHead h = parse(request("POST", "/", "HTTP/1.1", "Host: a", "Transfer-Encoding: " + value));
        assertEquals(RequestHead.BodyFraming.CHUNKED, h.framing(), value);
        assertEquals(-1, h.contentLength());
    }

    @Test
    void chunkedAfterAnEmptyTransferEncodingField() throws Exception {
        RequestHead h = parse(request("POST", "/", "HTTP/1.1", "Host: a", "Transfer-Encoding:", "Transfer-Encoding: chunked"));
        assertEquals(RequestHead.BodyFraming.CHUNKED, h.framing());
    }
}
