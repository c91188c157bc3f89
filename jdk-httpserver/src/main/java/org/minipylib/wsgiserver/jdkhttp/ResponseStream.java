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
 * <p>Its methods are synchronized with {@link #handlerReturned()}: once the exchange's handler
 * returned, the connection serves its next request, and a thread the handler left the stream to
 * must not write into it (that request would get the bytes for its answer).
 */
final class ResponseStream extends OutputStream {

    static final int BUFFER_SIZE = 8192;

    private final HttpResponse response;
    private final Runnable onClose;
    private byte[] buffer;
    private int count;
    private boolean started;
    private boolean closed;
    /** The handler returned: the connection is no longer this exchange's. */
    private boolean handlerReturned;
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
    synchronized void headersSent(long fixedLength, boolean noBody) throws IOException {
        started = true;
        remaining = fixedLength;
        if (noBody) close();
    }

    synchronized boolean isClosed() {
        return closed;
    }

    /** From now on the stream refuses everything (see the class comment); waits for a write under way. */
    synchronized void handlerReturned() {
        handlerReturned = true;
    }

    /** @throws IOException once the handler returned (see the class comment) */
    synchronized void checkHandlerRunning() throws IOException {
        if (handlerReturned) throw new IOException("the exchange is over: its handler returned");
    }

    @Override
    public synchronized void write(int b) throws IOException {
        take(1);
        if (buffer == null) buffer = new byte[BUFFER_SIZE];
        if (count == BUFFER_SIZE) drain();
        buffer[count++] = (byte) b;
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
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
    }

    /** Checks that {@code len} more bytes may be written, and counts them against a fixed length. */
    private void take(int len) throws IOException {
        checkHandlerRunning();
        if (!started) throw new IOException("response headers not sent yet");
        if (closed) throw new IOException("stream closed");
        if (remaining >= 0) {
            if (len > remaining) throw new IOException("too many bytes to write to stream");
            remaining -= len;
        }
    }

    @Override
    public synchronized void flush() throws IOException {
        checkHandlerRunning();
        if (!started) throw new IOException("response headers not sent yet");
        if (closed) return;
        drain();
        response.flush();
    }

    /**
     * Ends the response and sends it.
     *
     * @throws IOException if a fixed-length body is short (the connection is then closed after it)
     */
    @Override
    public synchronized void close() throws IOException {
        if (closed) return;
        checkHandlerRunning();
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
    }

    private void drain() throws IOException {
        if (count == 0) return;
        int n = count;
        count = 0;
        response.write(buffer, 0, n);
    }
}
