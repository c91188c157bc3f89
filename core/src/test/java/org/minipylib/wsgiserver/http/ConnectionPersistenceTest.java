package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.http.ParsedHeads.get;
import static org.minipylib.wsgiserver.http.ParsedHeads.parse;
import static org.minipylib.wsgiserver.http.ParsedHeads.request;

/** {@link RequestParser} on persistence (RFC 9112 section 9.3): whether the connection stays open, by version and Connection options. */
class ConnectionPersistenceTest {

    @Test
    void http11IsPersistentByDefault() throws Exception {
        assertTrue(get("/").keepAlive());
    }

    @ParameterizedTest
    @ValueSource(strings = {"close", "Close", "CLOSE", "keep-alive, close", "close, keep-alive", "foo,  close ",
            "Upgrade,close", ",close,", "\tclose\t", "keep-alive,,close"})
    void http11CloseTokenEndsTheConnection(String value) throws Exception {
        assertFalse(get("/", "Connection: " + value).keepAlive(), value);
    }

    @Test
    void closeInASecondConnectionFieldCounts() throws Exception {
        assertFalse(get("/", "Connection: keep-alive", "Connection: close").keepAlive());
    }

    @ParameterizedTest
    @ValueSource(strings = {"keep-alive", "Upgrade", "closed", "close-ish", "", "clos", "c lose", "close;x", ","})
    void http11OtherTokensKeepTheConnection(String value) throws Exception {
        assertTrue(get("/", "Connection: " + value).keepAlive(), value);
    }

    @Test
    void http10ClosesByDefault() throws Exception {
        assertFalse(parse(request("GET", "/", "HTTP/1.0")).keepAlive());
    }

    @ParameterizedTest
    @ValueSource(strings = {"keep-alive", "Keep-Alive", "KEEP-ALIVE", "foo, keep-alive", " keep-alive\t,"})
    void http10KeepAliveTokenKeepsTheConnection(String value) throws Exception {
        assertTrue(parse(request("GET", "/", "HTTP/1.0", "Connection: " + value)).keepAlive(), value);
    }

    @Test
    void http10CloseWinsOverKeepAlive() throws Exception {
        assertFalse(parse(request("GET", "/", "HTTP/1.0", "Connection: keep-alive, close")).keepAlive());
    }
}
