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
 * A connection tells its transport that it is kept ({@link Transport#expectMoreRequests()}) once,
 * when its first request turns out to be keep-alive, before that request's body is read and its
 * response written; never for a first request after which it closes.
 */
class KeptConnectionTellsTransportTest {

    /** Reads the whole body, then answers with its length. */
    private static final WsgiApp BODY_LENGTH = (env, sr) -> {
        byte[] body = env.input().readAllBytes();
        sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
        return List.of(("got " + body.length).getBytes(StandardCharsets.US_ASCII));
    };

    @Test
    void aKeepAliveFirstRequestIsAnnouncedBeforeItsBodyAndResponse() {
        String body = "x".repeat(20_000); // larger than the input buffer: read from the transport after the head
        String requests = "POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: " + body.length() + "\r\n\r\n" + body
                + "GET /b HTTP/1.1\r\nHost: t\r\n\r\n";
        InMemoryTransport transport = serve(requests, 2);
        int told = transport.events().indexOf("expectMoreRequests");
        assertTrue(told > 0, "told, after the head was read: " + transport.events());
        assertEquals(told, transport.events().lastIndexOf("expectMoreRequests"),
                "once, not again for the second request: " + transport.events());
        assertTrue(transport.events().subList(told + 1, transport.events().size()).contains("read"),
                "the body's remaining bytes are read after it: " + transport.events());
        assertFalse(transport.events().subList(0, told).contains("write"), "before any response: " + transport.events());
        String out = transport.written();
        assertTrue(out.contains("got 20000") && out.contains("got 0"), out);
    }

    @Test
    void aFirstRequestAfterWhichTheConnectionClosesIsNotAnnounced() {
        for (String request : List.of("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                "GET / HTTP/1.0\r\n\r\n")) {
            InMemoryTransport transport = serve(request, 1);
            assertFalse(transport.events().contains("expectMoreRequests"), request + ": " + transport.events());
            assertTrue(transport.written().startsWith("HTTP/1.1 200 OK"));
        }
    }

    /** Serves {@code requests} (delivered 8 KiB per read) through {@code exchanges} exchanges. */
    private static InMemoryTransport serve(String requests, int exchanges) {
        InMemoryTransport transport = new InMemoryTransport(requests.getBytes(StandardCharsets.US_ASCII), 8192);
        HttpConnection connection = new HttpConnection(transport, new WsgiGateway(BODY_LENGTH, null, "test"),
                HttpSettings.defaults(), new NoOwner());
        for (int i = 0; i < exchanges; i++) {
            assertTrue(connection.awaitRequest(), "request " + i);
            connection.serve();
        }
        return transport;
    }

    private static final class NoOwner implements ConnectionOwner {
        @Override public boolean isDraining() { return false; }
        @Override public void connectionClosed(HttpConnection connection) { }
    }
}
