package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.InMemoryTransport;
import org.minipylib.wsgiserver.wsgi.WsgiGateway;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Responses to requests that arrive together (HTTP pipelining) leave in one write, in order. (That
 * an earlier response is not held back by a slow later application is proved over real sockets in
 * SlowAndMisbehavingClientsTest.)
 */
class PipelinedResponseBatchingTest {

    private static final WsgiApp ECHO_PATH = (env, sr) -> {
        sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
        return List.of(("ok " + env.pathInfo()).getBytes(StandardCharsets.US_ASCII));
    };

    @Test
    void sixteenPipelinedRequestsAreAnsweredInOneWrite() {
        StringBuilder requests = new StringBuilder();
        for (int i = 0; i < 16; i++) requests.append("GET /r").append(i).append(" HTTP/1.1\r\nHost: t\r\n\r\n");
        InMemoryTransport transport = new InMemoryTransport(requests.toString());
        HttpConnection connection = new HttpConnection(transport, new WsgiGateway(ECHO_PATH, null, "test"),
                HttpSettings.defaults(), new NoOwner());

        assertTrue(connection.awaitRequest());
        assertTrue(connection.serve(), "the connection stays open for more requests");

        assertEquals(1, transport.writes(), "one write for all sixteen responses");
        String out = transport.written();
        int from = 0;
        for (int i = 0; i < 16; i++) {
            int at = out.indexOf("ok /r" + i, from);
            assertTrue(at > from, "response " + i + " in order");
            from = at;
        }
        assertFalse(connection.awaitRequest(), "the client's end of stream closes the connection");
    }

    private static final class NoOwner implements ConnectionOwner {
        @Override public boolean isDraining() { return false; }
        @Override public void connectionClosed(HttpConnection connection) { }
    }
}
