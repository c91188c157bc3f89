package org.minipylib.wsgiserver.wsgi;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.http.ConnectionOwner;
import org.minipylib.wsgiserver.http.HttpConnection;
import org.minipylib.wsgiserver.http.HttpSettings;
import org.minipylib.wsgiserver.testing.InMemoryTransport;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway caches the environ key of each header name it meets ({@code X-Seen} ->
 * {@code HTTP_X_SEEN}) for every later request, so a client's long invented names are not kept:
 * 1024 names at the header size limit would hold tens of megabytes for the server's life.
 */
class HeaderKeyCacheTest {

    private static final WsgiApp ECHO_KEYS = (env, sr) -> {
        sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
        StringBuilder keys = new StringBuilder();
        for (String key : env.keySet()) if (key.startsWith("HTTP_X")) keys.append(key).append('\n');
        return List.of(keys.toString().getBytes(StandardCharsets.US_ASCII));
    };

    @Test
    void shortNamesAreCachedLongOnesAreNot() {
        WsgiGateway gateway = new WsgiGateway(ECHO_KEYS, null, "test");
        String longName = "X-" + "a".repeat(200);
        StringBuilder requests = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            requests.append("GET / HTTP/1.1\r\nHost: t\r\nX-Seen: 1\r\n").append(longName).append(i).append(": 2\r\n\r\n");
        }
        InMemoryTransport transport = new InMemoryTransport(requests.toString());
        HttpConnection connection = new HttpConnection(transport, gateway, HttpSettings.defaults(), new ConnectionOwner() {
            @Override public boolean isDraining() { return false; }
            @Override public void connectionClosed(HttpConnection c) { }
        });
        assertTrue(connection.awaitRequest());
        assertTrue(connection.serve());
        String out = transport.written();
        for (int i = 0; i < 3; i++) {
            assertTrue(out.contains("HTTP_X_" + "A".repeat(200) + i), "the long name is in its environ all the same: " + out);
        }
        assertEquals(2, gateway.cachedHeaderKeys(), "Host and X-Seen, not the three long names");
    }
}
