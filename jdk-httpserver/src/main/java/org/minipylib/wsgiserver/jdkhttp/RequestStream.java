package org.minipylib.wsgiserver.jdkhttp;

import java.io.IOException;
import java.io.InputStream;

/**
 * The request body as an exchange hands it out: the server's framed body (Content-Length or
 * chunked, with {@code 100 Continue} sent at the first read if the client asked for it), which
 * refuses reads once closed. Closing does not read the rest: the server reads or discards it after
 * the exchange, within its limits. Once the exchange's handler returned it refuses reads too (the
 * connection reads its next request then); its reads are serialized with {@link #handlerReturned()}
 * by a {@link HandlerLock}, not a monitor (a read waits for the client).
 * Closing does not wait for a read under way (another thread may close the exchange while the
 * handler's read waits for the client): it tells whether one is, see {@link #isReading()}.
 */
final class RequestStream extends InputStream {

    private final InputStream body;
    private final HandlerLock lock = new HandlerLock();
    private volatile boolean closed;
    private volatile boolean reading;

    RequestStream(InputStream body) {
        this.body = body;
    }

    @Override
    public int read() throws IOException {
        lock.lock();
        reading = true; // before the check: a close() on another thread is either seen by it or sees this
        try {
            ensureOpen();
            return body.read();
        } finally {
            reading = false;
            lock.unlock();
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        lock.lock();
        reading = true; // before the check: a close() on another thread is either seen by it or sees this
        try {
            ensureOpen();
            return body.read(b, off, len);
        } finally {
            reading = false;
            lock.unlock();
        }
    }

    @Override
    public int available() throws IOException {
        lock.lock();
        try {
            ensureOpen();
            return body.available();
        } finally {
            lock.unlock();
        }
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
    void handlerReturned() {
        lock.handlerReturned();
    }

    private void ensureOpen() throws IOException {
        lock.ensureHandlerRunning();
        if (closed) throw new IOException("Stream is closed");
    }
}
