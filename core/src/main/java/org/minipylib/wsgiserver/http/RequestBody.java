package org.minipylib.wsgiserver.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;

/**
 * The request body as the gateway sees it: the framed stream (Content-Length, chunked, or empty),
 * plus what the connection needs to know afterwards: whether it was read to the end, whether reading
 * failed, and whether the client was told to go ahead ({@code 100 Continue}).
 */
public final class RequestBody extends InputStream {

    /** Called before the first read: sends {@code 100 Continue} when the client asked for it. */
    interface FirstReadHook {
        void beforeFirstRead() throws IOException;
    }

    private final InputStream framed;
    /** {@code framed} if it is a Content-Length body, else null: its end is known without reading past it. */
    private final FixedLengthInputStream fixed;
    /** What {@code framed} reads from; null if there is no body. */
    private final BodyInput source;
    private final FirstReadHook hook;
    private boolean started;
    private boolean eof;
    private IOException failure;
    /** What a chunked body is read through on its way into a direct buffer; made at the first such read. */
    private byte[] scratch;

    RequestBody(InputStream framed, BodyInput source, FirstReadHook hook) {
        this.framed = framed;
        this.fixed = framed instanceof FixedLengthInputStream f ? f : null;
        this.source = source;
        this.hook = hook;
        this.eof = framed == null || atFixedEnd();
    }

    @Override
    public int read() throws IOException {
        if (eof) return -1;
        begin();
        try {
            int c = framed.read();
            if (c < 0 || atFixedEnd()) eof = true;
            return c;
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        return read(b, off, len, null);
    }

    /** Into {@code b[off, off+len)}, or into {@code dst} (up to its remaining bytes) if it is not null. */
    private int read(byte[] b, int off, int len, ByteBuffer dst) throws IOException {
        if (eof) return -1;
        if (len == 0) return 0;
        begin();
        try {
            int n = dst == null ? framed.read(b, off, len) : readFramed(dst);
            if (n < 0 || atFixedEnd()) eof = true;
            return n;
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    /** A Content-Length body straight into {@code dst}; a chunked one through an array. */
    private int readFramed(ByteBuffer dst) throws IOException {
        if (fixed != null) return fixed.read(dst);
        if (dst.hasArray()) {
            int n = framed.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
            if (n > 0) dst.position(dst.position() + n);
            return n;
        }
        if (scratch == null) scratch = new byte[8192];
        int n = framed.read(scratch, 0, Math.min(dst.remaining(), scratch.length));
        if (n > 0) dst.put(scratch, 0, n);
        return n;
    }

    /**
     * The body as a channel, to read it into {@link ByteBuffer}s. It shares this stream's position;
     * closing it only closes the channel. A large read of a Content-Length body goes from the socket
     * straight into a direct buffer, with no copy through the heap, when the transport {@linkplain
     * Transport#readsBuffersDirectly() can} (a plain socket on the readiness loop, or a blocking one
     * whose bytes have arrived already; a Unix socket); bytes that came with the request head,
     * chunked bodies and TLS go through an array.
     */
    public ReadableByteChannel channel() {
        return new ReadableByteChannel() {
            private boolean open = true;

            @Override
            public int read(ByteBuffer dst) throws IOException {
                if (!open) throw new ClosedChannelException();
                if (dst.isReadOnly()) throw new IllegalArgumentException("Read-only buffer"); // before a byte is taken
                return RequestBody.this.read(null, 0, dst.remaining(), dst);
            }

            @Override
            public boolean isOpen() {
                return open;
            }

            @Override
            public void close() {
                open = false;
            }
        };
    }

    @Override
    public int available() throws IOException {
        return eof || !started ? 0 : framed.available();
    }

    /**
     * True once a Content-Length body's last byte was read: an application that reads exactly the
     * body has then read all of it, and the connection need not read again to find the end.
     */
    private boolean atFixedEnd() {
        return fixed != null && fixed.remaining() == 0;
    }

    private void begin() throws IOException {
        if (failure != null) throw failure;
        if (!started) {
            started = true;
            if (hook != null) hook.beforeFirstRead();
        }
    }

    /** True if the body was read to its end (or there is none). */
    public boolean isFullyRead() {
        return eof;
    }

    /**
     * A chunked body's data bytes not read yet if all the rest of it has arrived (is in {@code
     * input}'s buffer once it took what waits in the socket), else -1; 0 when it was read to its end.
     * (A Content-Length body's rest is {@link #remainingLength()}.)
     */
    long dataLeftIfArrived(ConnectionInput input) throws IOException {
        if (eof) return 0;
        if (!(framed instanceof ChunkedInputStream chunked)) return -1;
        input.readArrived(); // what waits in the socket too, without waiting for more
        return chunked.dataLeftIfArrived(input.buf, input.pos, input.limit);
    }

    /** Bytes of a Content-Length body not read yet; -1 if unknown (chunked); 0 when read to the end. */
    public long remainingLength() {
        if (eof) return 0;
        return fixed != null ? fixed.remaining() : -1;
    }

    /** True if anyone tried to read the body. */
    public boolean isStarted() {
        return started;
    }

    /** The error reading the body ran into, or {@code null}. */
    public IOException failure() {
        return failure;
    }

    /**
     * Reads and discards what is left of the body, up to {@code max} bytes, by {@code deadline} (a
     * {@link System#nanoTime()} value).
     *
     * @return true if the body is now fully read; false if more than {@code max} remained, it did not
     *         arrive by the deadline, or reading failed
     */
    boolean drain(long max, long deadline) {
        if (eof) return true;
        if (failure != null) return false;
        source.deadline(deadline);
        long known = remainingLength(); // -1 if chunked: once read, often just its last chunk is left (5 bytes)
        long guess = known >= 0 ? known : started ? 512 : 8192;
        byte[] scratch = new byte[(int) Math.max(1, Math.min(Math.min(8192, max), guess))];
        long left = max;
        try {
            while (!eof) {
                // one byte past max: a chunked body of exactly max bytes still has its last chunk to read
                int n = read(scratch, 0, left >= scratch.length ? scratch.length : (int) left + 1); // never 0: left + 1 may overflow
                if (n > 0) left -= n;
                if (left < 0) return false;
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
