package org.minipylib.wsgiserver.jdkhttp;

import java.io.IOException;
import java.io.InputStream;

/**
 * The request body as an exchange hands it out: the server's framed body (Content-Length or
 * chunked, with {@code 100 Continue} sent at the first read if the client asked for it), which
 * refuses reads once closed. Closing does not read the rest: the server reads or discards it after
 * the exchange, within its limits. Once the exchange's handler returned it refuses reads too (the
 * connection reads its next request then); its reads are synchronized with {@link #handlerReturned()}.
 * Closing does not wait for a read under way (another thread may close the exchange while the
 * handler's read waits for the client): it tells whether one is, see {@link #isReading()}.
 */
final class RequestStream extends InputStream {

    private final InputStream body;
    private volatile boolean closed;
    private boolean handlerReturned;
    private volatile boolean reading;

    RequestStream(InputStream body) {
        this.body = body;
    }

    @Override
    public synchronized int read() throws IOException {
        reading = true; // before the check: a close() on another thread is either seen by it or sees this
        try {
            ensureOpen();
            return body.read();
        } finally {
            reading = false;
        }
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) throws IOException {
        reading = true; // before the check: a close() on another thread is either seen by it or sees this
        try {
            ensureOpen();
            return body.read(b, off, len);
        } finally {
            reading = false;
        }
    }

    @Override
    public synchronized int available() throws IOException {
        ensureOpen();
        return body.available();
    }

    @Override
    public void close() {
        closed = true;
    }

    /** True while a read waits in the server's body (for the client's bytes, say). */
    boolean isReading() {
        return reading;
    }

    /** From now on reads are refused; waits for a read under way. */
    synchronized void handlerReturned() {
        handlerReturned = true;
    }

    private void ensureOpen() throws IOException {
        if (handlerReturned) throw new IOException("the exchange is over: its handler returned");
        if (closed) throw new IOException("Stream is closed");
    }
}
