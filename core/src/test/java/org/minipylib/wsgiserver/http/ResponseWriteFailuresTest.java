package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.wsgi.WsgiGateway;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A response write that fails ends the connection either way; a client that went away (an
 * {@link IOException}) is logged at debug level only, anything else the transport throws is a
 * defect and is logged as an error with its cause, not passed off as a client that left.
 */
@Timeout(20)
class ResponseWriteFailuresTest {

    /** A transport that delivers one request and fails every write with {@code failure}. */
    private static final class FailingWrites implements Transport {
        private final RuntimeException unchecked;
        private final IOException checked;
        private final byte[] request = "GET /big HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        private boolean delivered;
        final AtomicBoolean closed = new AtomicBoolean();

        FailingWrites(RuntimeException unchecked, IOException checked) {
            this.unchecked = unchecked;
            this.checked = checked;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (unchecked != null) throw unchecked;
            throw checked;
        }

        @Override
        public int read(byte[] b, int off, int len, int timeoutMillis) {
            if (delivered) return -1;
            delivered = true;
            System.arraycopy(request, 0, b, off, request.length);
            return request.length;
        }

        @Override public boolean hasPendingInput() { return false; }
        @Override public void shutdownOutput() { }
        @Override public SocketAddress localAddress() { return new InetSocketAddress("127.0.0.1", 80); }
        @Override public SocketAddress remoteAddress() { return new InetSocketAddress("127.0.0.1", 40000); }
        @Override public String scheme() { return "http"; }
        @Override public void close() { closed.set(true); }
    }

    /** A body of 256 KiB: written through, past the output buffer. */
    private static final WsgiApp BIG = (environ, startResponse) -> {
        startResponse.start("200 OK", List.of());
        return List.of(new byte[128 * 1024], new byte[128 * 1024]);
    };

    private static void serveOneRequest(Transport transport) {
        HttpSettings settings = new HttpSettings(HttpLimits.defaults(), HttpTimeouts.defaults(), null, null);
        HttpConnection connection = new HttpConnection(transport, new WsgiGateway(BIG, null, "test"), settings,
                new ConnectionOwner() {
                    @Override public boolean isDraining() { return false; }
                    @Override public void connectionClosed(HttpConnection c) { }
                });
        assertTrue(connection.awaitRequest());
        assertFalse(connection.serve(), "the connection ends");
    }

    @Test
    void aTransportDefectIsLoggedAsAnErrorWithItsCause() {
        IllegalStateException defect = new IllegalStateException("transport defect (test)");
        FailingWrites transport = new FailingWrites(defect, null);
        try (LogCapture log = LogCapture.from(Level.FINE)) {
            serveOneRequest(transport);
            assertTrue(transport.closed.get(), "closed");
            List<LogRecord> errors = log.records().stream().filter(r -> r.getLevel() == Level.SEVERE).toList();
            assertEquals(1, errors.size(), () -> "one error: " + log.records().stream().map(LogRecord::getMessage).toList());
            assertEquals(defect, errors.get(0).getThrown());
            assertTrue(errors.get(0).getMessage().contains("GET /big HTTP/1.1"), errors.get(0).getMessage());
        }
    }

    @Test
    void aClientThatWentAwayIsNoError() {
        FailingWrites transport = new FailingWrites(null, new IOException("Broken pipe (test)"));
        try (LogCapture log = LogCapture.from(Level.FINE)) {
            serveOneRequest(transport);
            assertTrue(transport.closed.get(), "closed");
            assertTrue(log.records().stream().noneMatch(r -> r.getLevel().intValue() >= Level.WARNING.intValue()),
                    () -> log.records().stream().map(LogRecord::getMessage).toList().toString());
            assertTrue(log.records().stream().anyMatch(r -> r.getMessage().contains("went away")),
                    () -> log.records().stream().map(LogRecord::getMessage).toList().toString());
        }
    }
}
