package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.minipylib.wsgiserver.http.ParsedHeads.bytes;

/** One parser per connection remembers the previous head's field values; nothing else may change. */
class RememberedFieldValuesTest {

    private final RequestParser parser = new RequestParser(HttpLimits.defaults());

    private RequestHead next(String text) throws BadRequestException {
        byte[] b = bytes(text);
        return parser.parse(b, 0, RequestParser.findHeadEnd(b, 0, 0, b.length));
    }

    @Test
    void aRepeatedFieldIsTheSameStringAndAChangedOneIsNew() throws BadRequestException {
        RequestHead first = next("GET / HTTP/1.1\r\nHost: a.example\r\nUser-Agent: test/1\r\n\r\n");
        RequestHead second = next("GET /x HTTP/1.1\r\nHost: a.example\r\nUser-Agent: test/2\r\n\r\n");
        assertSame(first.headers().value(0), second.headers().value(0));
        assertEquals("a.example", second.host());
        assertEquals("test/2", second.headers().value(1));
        RequestHead third = next("GET / HTTP/1.1\r\nHost: a.example\r\nAccept: test/2\r\n\r\n");
        assertEquals("Accept", third.headers().name(1));
        assertEquals("test/2", third.headers().value(1));
    }

    @Test
    void eachHeadGetsFieldsOfItsOwnThatLaterHeadsAndFailuresLeaveAlone() throws BadRequestException {
        RequestHead first = next("GET / HTTP/1.1\r\nHost: a.example\r\nX-One: 1\r\nX-Two: 2\r\n\r\n");
        assertThrows(BadRequestException.class, () -> next("GET / HTTP/1.1\r\nHost: b.example\r\nX-Bad: \u0001\r\n\r\n"));
        RequestHead second = next("GET / HTTP/1.0\r\n\r\n");
        assertEquals(3, first.headers().size());
        assertEquals("X-Two", first.headers().name(2));
        assertEquals("2", first.headers().value(2));
        assertEquals(0, second.headers().size());
        second.headers().add("X-Added", "later"); // a compact (here empty) set still grows
        assertEquals("later", second.headers().get("x-added"));
        assertEquals(3, first.headers().size());
    }

    @Test
    void aBadValueAfterAGoodOneAtTheSamePlaceIsStillRefused() throws BadRequestException {
        next("GET / HTTP/1.1\r\nHost: a.example\r\nX-A: b\r\n\r\n");
        BadRequestException e = assertThrows(BadRequestException.class,
                () -> next("GET / HTTP/1.1\r\nHost: a.example\r\nX-A: b\u0001\r\n\r\n"));
        assertEquals(ComplianceViolation.INVALID_FIELD_VALUE, e.violation());
        e = assertThrows(BadRequestException.class, () -> next("GET / HTTP/1.1\r\nHost: a.exa mple\r\n\r\n"));
        assertEquals(ComplianceViolation.INVALID_HOST, e.violation());
        e = assertThrows(BadRequestException.class, () -> next("GET / HTTP/1.1\r\nHost : a.example\r\n\r\n"));
        assertEquals(ComplianceViolation.WHITESPACE_BEFORE_COLON, e.violation());
        assertEquals("a.example", next("GET / HTTP/1.1\r\nHost: a.example\r\n\r\n").host());
    }

    @Test
    void aLongValueIsNotRemembered() throws BadRequestException {
        String agent = "agent/" + "x".repeat(2000);
        String text = "GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: " + agent + "\r\n\r\n";
        RequestHead first = next(text);
        RequestHead second = next(text);
        assertEquals(agent, second.headers().value(1));
        assertFalse(first.headers().value(1) == second.headers().value(1), "parsed again, not kept");
        assertSame(first.headers().value(0), second.headers().value(0));
    }

    @Test
    void onlyFieldsThatDescribeTheClientAreRemembered() throws BadRequestException {
        String text = "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic YTpi\r\ncookie: s=1\r\n"
                + "X-Api-Key: k\r\nAccept: */*\r\n\r\n";
        RequestHead first = next(text);
        RequestHead second = next(text);
        for (int i = 1; i <= 3; i++) {
            assertEquals(first.headers().value(i), second.headers().value(i));
            assertNotSame(first.headers().value(i), second.headers().value(i), first.headers().name(i) + " parsed again");
        }
        assertSame(first.headers().value(4), second.headers().value(4), "other fields are remembered");
    }

    @Test
    void moreFieldsThanRememberedAreParsedAsUsual() throws BadRequestException {
        StringBuilder head = new StringBuilder("GET / HTTP/1.1\r\nHost: a\r\n");
        for (int i = 0; i < 30; i++) head.append("X-").append(i).append(": v").append(i).append("\r\n");
        String text = head.append("\r\n").toString();
        for (int round = 0; round < 2; round++) {
            RequestHead h = next(text);
            assertEquals(31, h.headers().size());
            assertEquals("v29", h.headers().get("X-29"));
        }
    }
}
