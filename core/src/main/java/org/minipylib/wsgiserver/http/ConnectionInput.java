package org.minipylib.wsgiserver.http;

import java.io.IOException;
import java.util.Arrays;

/**
 * The per-connection input buffer. Request heads are parsed in place from it; bodies are read
 * through it (large reads go straight to the caller's array once the buffer is empty). Before any
 * read that may block, pending output is flushed, so that batched responses never wait on the
 * client.
 */
final class ConnectionInput {

    private final Transport transport;
    private final ConnectionOutput output;
    private final int maxCapacity;
    byte[] buf;
    int pos;
    int limit;

    ConnectionInput(Transport transport, ConnectionOutput output, int initialCapacity, int maxCapacity) {
        this.transport = transport;
        this.output = output;
        this.buf = new byte[initialCapacity];
        this.maxCapacity = Math.max(initialCapacity, maxCapacity);
    }

    /** Bytes buffered and not consumed yet. */
    int available() {
        return limit - pos;
    }

    /**
     * Reads more bytes from the transport into the buffer, keeping the unconsumed ones. The
     * buffer grows (up to its maximum) only when the unconsumed bytes fill it.
     *
     * @return bytes added, or -1 at end of stream
     */
    int fill(int timeoutMillis) throws IOException {
        if (pos == limit) {
            pos = 0;
            limit = 0;
        } else if (limit == buf.length) {
            if (pos > 0) {
                System.arraycopy(buf, pos, buf, 0, limit - pos);
                limit -= pos;
                pos = 0;
            } else if (buf.length < maxCapacity) {
                buf = Arrays.copyOf(buf, Math.min(maxCapacity, buf.length * 2));
            } else {
                throw new IllegalStateException("input buffer full");
            }
        }
        flushPending();
        int n = transport.read(buf, limit, buf.length - limit, timeoutMillis);
        if (n > 0) limit += n;
        return n;
    }

    /** Writes out pending (held or buffered) response bytes, before a read that may wait. */
    void flushPending() throws IOException {
        if (output.hasPending()) output.flush();
    }

    /** Reads body bytes: buffered ones first, then from the transport. Returns -1 at end of stream. */
    int read(byte[] b, int off, int len, int timeoutMillis) throws IOException {
        if (len == 0) return 0;
        int avail = limit - pos;
        if (avail > 0) {
            int n = Math.min(avail, len);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }
        if (len >= buf.length) {
            flushPending();
            return transport.read(b, off, len, timeoutMillis);
        }
        int n = fill(timeoutMillis);
        if (n < 0) return -1;
        n = Math.min(n, len);
        System.arraycopy(buf, pos, b, off, n);
        pos += n;
        return n;
    }

    /** Reads one byte, or -1 at end of stream. */
    int read(int timeoutMillis) throws IOException {
        if (pos == limit && fill(timeoutMillis) < 0) return -1;
        return buf[pos++] & 0xff;
    }

    /** Skips buffered bytes. */
    void skip(int n) {
        pos += n;
    }
}
