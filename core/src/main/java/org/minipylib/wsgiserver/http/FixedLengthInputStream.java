package org.minipylib.wsgiserver.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/** A request body framed by Content-Length: exactly that many bytes, then end of stream. */
final class FixedLengthInputStream extends InputStream {

    private final BodyInput in;
    private long remaining;

    FixedLengthInputStream(BodyInput in, long length) {
        this.in = in;
        this.remaining = length;
    }

    /** Each read bounded by {@code timeoutMillis}, nothing else (for tests). */
    FixedLengthInputStream(ConnectionInput in, long length, int timeoutMillis) {
        this(new BodyInput(in, timeoutMillis), length);
    }

    @Override
    public int read() throws IOException {
        if (remaining <= 0) return -1;
        int c = in.read();
        if (c < 0) throw truncated();
        remaining--;
        return c;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (remaining <= 0) return -1;
        if (len == 0) return 0;
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) throw truncated();
        remaining -= n;
        return n;
    }

    /**
     * Reads up to {@code dst.remaining()} body bytes into {@code dst}; a large read of a direct
     * buffer takes them from the socket with no copy through the heap. Returns -1 at the end.
     */
    int read(ByteBuffer dst) throws IOException {
        if (remaining <= 0) return -1;
        if (!dst.hasRemaining()) return 0;
        int limit = dst.limit();
        dst.limit(dst.position() + (int) Math.min(dst.remaining(), remaining));
        int n;
        try {
            n = in.read(dst);
        } finally {
            dst.limit(limit);
        }
        if (n < 0) throw truncated();
        remaining -= n;
        return n;
    }

    /** Bytes not read yet. */
    long remaining() {
        return remaining;
    }

    @Override
    public int available() {
        return (int) Math.min(in.available(), remaining);
    }

    private static BadRequestException truncated() {
        return BadRequestException.badRequest("Request body ended before its Content-Length");
    }
}
