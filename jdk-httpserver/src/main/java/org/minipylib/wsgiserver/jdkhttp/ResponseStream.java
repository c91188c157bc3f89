package org.minipylib.wsgiserver.jdkhttp;

import org.minipylib.wsgiserver.http.HttpResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;

/**
 * The response body as an exchange hands it out, with the JDK's rules: no writes before the
 * headers were sent; a fixed length refuses bytes beyond it ({@code IOException}, the stream stays
 * usable) and, closed short of it, throws and gets the connection closed; closing ends the
 * response and sends it (unless the client pipelines: it then goes with the next responses, in one
 * write). Small writes of a chunked body are gathered into chunks of up to {@value #BUFFER_SIZE}
 * bytes before they reach the connection.
 *
 * <p>Its methods are serialized with {@link #handlerReturned()} by a {@link HandlerLock}, not a
 * monitor (a write waits for the client): once the exchange's handler returned, the connection
 * serves its next request, and a thread the handler left the stream to must not write into it
 * (that request would get the bytes for its answer).
 */
final class ResponseStream extends OutputStream {

    static final int BUFFER_SIZE = 8192;

    private final HttpResponse response;
    private final Runnable onClose;
    private final HandlerLock lock = new HandlerLock();
    private byte[] buffer;
    private int count;
    private boolean started;
    private boolean closed;
    /** Bytes a fixed-length body still takes; -1 if the length is not fixed. */
    private long remaining = -1;

    /** @param onClose runs once the stream is closed (the exchange is then over) */
    ResponseStream(HttpResponse response, Runnable onClose) {
        this.response = response;
        this.onClose = onClose;
    }

    /**
     * Called once the headers were sent.
     *
     * @param fixedLength the body's length if fixed, else -1
     * @param noBody      true if the response has no body: the stream is closed at once
     */
    void headersSent(long fixedLength, boolean noBody) throws IOException {
        lock.lock();
        try {
            started = true;
            remaining = fixedLength;
            if (noBody) close();
        } finally {
            lock.unlock();
        }
    }

    boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** From now on the stream refuses everything (see the class comment); waits for a write under way. */
    void handlerReturned() {
        lock.handlerReturned();
    }

    /** @throws IOException once the handler returned (see the class comment) */
    void checkHandlerRunning() throws IOException {
        lock.lock();
        try {
            lock.ensureHandlerRunning();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes the stream's lock, which its methods take (it is reentrant): the exchange holds it
     * where a response must not begin or end on another thread meanwhile; {@link #unlock()} must follow.
     */
    void lock() {
        lock.lock();
    }

    void unlock() {
        lock.unlock();
    }

    @Override
    public void write(int b) throws IOException {
        lock.lock();
        try {
            take(1);
            if (buffer == null) buffer = new byte[BUFFER_SIZE];
            if (count == BUFFER_SIZE) drain();
            buffer[count++] = (byte) b;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        lock.lock();
        try {
            Objects.checkFromIndexSize(off, len, b.length);
            take(len);
            if (len == 0) return;
            if (remaining >= 0 || len >= BUFFER_SIZE) { // a fixed length has no chunks to gather: the connection's buffer takes it
                drain();
                response.write(b, off, len);
                return;
            }
            if (buffer == null) buffer = new byte[BUFFER_SIZE];
            if (count + len > BUFFER_SIZE) drain();
            System.arraycopy(b, off, buffer, count, len);
            count += len;
        } finally {
            lock.unlock();
        }
    }

    /** Checks that {@code len} more bytes may be written, and counts them against a fixed length. */
    private void take(int len) throws IOException {
        lock.ensureHandlerRunning();
        if (!started) throw new IOException("response headers not sent yet");
        if (closed) throw new IOException("stream closed");
        if (remaining >= 0) {
            if (len > remaining) throw new IOException("too many bytes to write to stream");
            remaining -= len;
        }
    }

    @Override
    public void flush() throws IOException {
        lock.lock();
        try {
            lock.ensureHandlerRunning();
            if (!started) throw new IOException("response headers not sent yet");
            if (closed) return;
            drain();
            response.flush();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends the response and sends it.
     *
     * @throws IOException if a fixed-length body is short (the connection is then closed after it)
     */
    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            if (closed) return;
            lock.ensureHandlerRunning();
            if (!started) throw new IOException("response headers not sent yet");
            closed = true;
            try {
                drain();
                response.finish();
                response.flushUnlessPipelined(); // the handler may go on after close(): the client has its answer now
            } finally {
                onClose.run();
            }
            if (remaining > 0) throw new IOException("insufficient bytes written to stream");
        } finally {
            lock.unlock();
        }
    }

    private void drain() throws IOException {
        if (count == 0) return;
        int n = count;
        count = 0;
        response.write(buffer, 0, n);
    }
}
