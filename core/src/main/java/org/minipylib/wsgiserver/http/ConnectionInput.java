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

    /**
     * How often an idle virtual thread yields before its read (see {@link #fillWhenIdle()}). Measured
     * with wrk, 64 keep-alive connections, server on one core: system calls per request 4 / 2.7 / 2.03
     * / 2.02 for 0 / 1 / 2 / 4 yields.
     */
    private static final int IDLE_YIELDS = 2;
    /**
     * Whether idle waits yield at all: only when virtual threads run on one carrier thread (one CPU,
     * or {@code jdk.virtualThreadScheduler.parallelism=1}). With more carriers, a yield at light load
     * wakes an idle carrier and moves the thread over (futex calls per request: 0.3-0.5 without the
     * yields, 1.3-2.8 with them; about twice the server CPU per request, one sequential client).
     */
    private static final boolean YIELD_WHEN_IDLE = Integer.getInteger("jdk.virtualThreadScheduler.parallelism",
            Runtime.getRuntime().availableProcessors()) == 1;

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

    /**
     * As {@link #fill(int) fill(0)} (no timeout), for a connection waiting idle for its next request.
     * On a virtual thread with a single carrier ({@link #YIELD_WHEN_IDLE}), the thread first lets the
     * other runnable threads go (twice): under load the client's next request has usually arrived by
     * the time it runs again, and the read then succeeds at once instead of finding nothing, parking
     * the thread and re-arming the socket in the JDK's poller (a failed read, an {@code epoll_ctl}
     * and a park per request saved). At light load nothing else is runnable and a yield returns at once.
     *
     * @return bytes added, or -1 at end of stream
     */
    int fillWhenIdle() throws IOException {
        if (YIELD_WHEN_IDLE && pos == limit && Thread.currentThread().isVirtual()) {
            flushPending(); // the response goes out before the yields
            for (int i = 0; i < IDLE_YIELDS; i++) Thread.yield();
        }
        return fill(0);
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
