package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.minipylib.wsgiserver.http.ParsedHeads.get;

/** {@link RequestParser} on field lines (RFC 9112 section 5): the values as received, trimmed, in order, with their names. */
class HeaderFieldParsingTest {

    @Test
    void optionalWhitespaceAroundValuesIsTrimmed() throws Exception {
        RequestHead h = get("/", "X-A:   spaced  \t", "X-B:\tv", "X-C:v");
        assertEquals("spaced", h.headers().get("X-A"));
        assertEquals("v", h.headers().get("X-B"));
        assertEquals("v", h.headers().get("X-C"));
    }

    @Test
    void innerWhitespaceAndHtabAreKept() throws Exception {
        assertEquals("a  b\tc", get("/", "X-A: a  b\tc").headers().get("x-a"));
    }

    @Test
    void emptyValuesAreKeptAsEmptyStrings() throws Exception {
        RequestHead h = get("/", "X-Empty:", "X-Blank:   ");
        assertEquals("", h.headers().get("X-Empty"));
        assertEquals("", h.headers().get("X-Blank"));
    }

    @Test
    void repeatedFieldsAreKeptInOrder() throws Exception {
        RequestHead h = get("/", "Accept: a", "X-Other: o", "accept: b", "ACCEPT: c");
        assertEquals(List.of("a", "b", "c"), h.headers().getAll("Accept"));
        assertEquals(3, h.headers().count("accept"));
        assertEquals(5, h.headers().size());
        assertEquals("Host", h.headers().name(0));
        assertEquals("X-Other", h.headers().name(2));
    }

    @Test
    void uncommonNamesKeepTheCaseTheClientSent() throws Exception {
        assertEquals("x-CuStOm", get("/", "x-CuStOm: 1").headers().name(1));
    }

    @Test
    void obsTextInValuesIsAllowed() throws Exception {
        assertEquals("caf\u00e9 \u00ff", get("/", "X-A: caf\u00e9 \u00ff").headers().get("X-A"));
    }

    @Test
    void valuesMayContainColonsAndQuotes() throws Exception {
        assertEquals("a:b \"c\" (d)", get("/", "X-A: a:b \"c\" (d)").headers().get("X-A"));
    }
}
