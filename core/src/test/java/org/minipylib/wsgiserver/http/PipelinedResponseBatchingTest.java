package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.wsgi.WsgiGateway;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
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
        RecordingTransport transport = new RecordingTransport(requests.toString().getBytes(StandardCharsets.US_ASCII));
        HttpConnection connection = new HttpConnection(transport, new WsgiGateway(ECHO_PATH, null, "test"),
                HttpSettings.defaults(), new NoOwner());

        assertTrue(connection.awaitRequest());
        assertTrue(connection.serve(), "the connection stays open for more requests");

        assertEquals(1, transport.writes, "one write for all sixteen responses");
        String out = transport.written.toString(StandardCharsets.US_ASCII);
        int from = 0;
        for (int i = 0; i < 16; i++) {
            int at = out.indexOf("ok /r" + i, from);
            assertTrue(at > from, "response " + i + " in order");
            from = at;
        }
        assertFalse(connection.awaitRequest(), "the client's end of stream closes the connection");
    }

    /** Delivers the given bytes in one read, then end of stream; records what is written. */
    private static final class RecordingTransport implements Transport {
        private final byte[] incoming;
        private boolean delivered;
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        int writes;

        RecordingTransport(byte[] incoming) {
            this.incoming = incoming;
        }

        @Override
        public int read(byte[] b, int off, int len, int timeoutMillis) {
            if (delivered) return -1;
            delivered = true;
            System.arraycopy(incoming, 0, b, off, incoming.length);
            return incoming.length;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            written.write(b, off, len);
            writes++;
        }

        @Override public boolean hasPendingInput() { return false; }
        @Override public void shutdownOutput() { }
        @Override public SocketAddress localAddress() { return new InetSocketAddress("127.0.0.1", 8080); }
        @Override public SocketAddress remoteAddress() { return new InetSocketAddress("127.0.0.1", 50000); }
        @Override public String scheme() { return "http"; }
        @Override public void close() { }
    }

    private static final class NoOwner implements HttpConnection.Owner {
        @Override public boolean isDraining() { return false; }
        @Override public void connectionClosed(HttpConnection connection) { }
    }
}
