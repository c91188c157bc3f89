package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.http.ParsedHeads.get;
import static org.minipylib.wsgiserver.http.ParsedHeads.parse;
import static org.minipylib.wsgiserver.http.ParsedHeads.request;

/** {@link RequestParser} on Expect (RFC 9110 section 10.1.1): 100-continue in HTTP/1.1, ignored in HTTP/1.0. */
class ExpectHeaderTest {

    @ParameterizedTest
    @ValueSource(strings = {"100-continue", "100-Continue", "  100-CONTINUE  ", "100-continue, 100-continue",
            ", 100-continue,", "100-continue ,\t100-continue"})
    void http11ExpectContinue(String value) throws Exception {
        assertTrue(parse(request("POST", "/", "HTTP/1.1", "Host: a", "Content-Length: 1", "Expect: " + value))
                .expectContinue());
    }

    @Test
    void noExpectationByDefault() throws Exception {
        assertFalse(get("/").expectContinue());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", ",", " , ,"})
    void emptyExpectIsIgnored(String value) throws Exception {
        assertFalse(get("/", "Expect:" + value).expectContinue());
    }

    @Test
    void http10ExpectIsIgnoredEvenWhenUnknown() throws Exception {
        // RFC 9110 section 10.1.1: a server that receives 100-continue in HTTP/1.0 MUST ignore it
        assertFalse(parse(request("POST", "/", "HTTP/1.0", "Content-Length: 1", "Expect: 100-continue")).expectContinue());
        assertFalse(parse(request("POST", "/", "HTTP/1.0", "Expect: something-else")).expectContinue());
    }
}
