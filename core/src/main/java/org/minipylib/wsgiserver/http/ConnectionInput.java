package org.minipylib.wsgiserver.http;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The per-connection input buffer. Request heads are parsed in place from it; bodies are read
 * through it (large reads go straight to the caller's array once the buffer is empty). Before any
 * read that may block, pending output is flushed, so that batched responses never wait on the
 * client. Given a pool, the buffer goes back to it while the connection waits for its next request
 * (see {@link #fillWhenIdle}).
 */
final class ConnectionInput {

    private static final byte[] NO_BUFFER = new byte[0];
    /** Size of {@link #scratch}: a socket read rarely brings more. */
    private static final int SCRATCH_SIZE = 16 * 1024;

    private final Transport transport;
    private final ConnectionOutput output;
    private final BufferPool pool; // null: the buffer is this input's own for good
    private final int initialCapacity;
    private final int maxCapacity;
    private final HeadMemoryBudget budget; // null: none
    /**
     * The bytes of {@link #budget} the buffer holds beyond its initial capacity (changed through
     * CHARGED: the connection's close gives them back, perhaps on another thread).
     */
    private volatile int charged;
    /** Set by {@link #returnBudget()}: from then on anything charged goes straight back. */
    private volatile boolean budgetReturned;
    byte[] buf;
    int pos;
    int limit;
    /** See {@link #readThroughScratch} and {@link #readToDrop}; null until needed, and while idle. */
    private byte[] scratch;

    ConnectionInput(Transport transport, ConnectionOutput output, int initialCapacity, int maxCapacity) {
        this(transport, output, null, initialCapacity, maxCapacity, null);
    }

    /**
     * An input whose buffer comes from {@code pool} (if not null; its buffers are the initial
     * capacity), and grows beyond it only as far as {@code budget} (if not null) has room.
     */
    ConnectionInput(Transport transport, ConnectionOutput output, BufferPool pool, int initialCapacity, int maxCapacity,
                    HeadMemoryBudget budget) {
        this.transport = transport;
        this.output = output;
        this.pool = pool;
        this.budget = budget;
        this.buf = pool != null ? pool.take() : new byte[initialCapacity];
        this.initialCapacity = buf.length;
        this.maxCapacity = Math.max(buf.length, maxCapacity);
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
        } else if (!makeRoom()) {
            if (buf.length < maxCapacity) { // the budget has no room for a larger buffer
                throw new BadRequestException(503, "The server holds too many long request heads now; try again later.");
            }
            throw new IllegalStateException("input buffer full");
        }
        flushPending();
        int n = transport.read(buf, limit, buf.length - limit, timeoutMillis);
        if (n > 0) limit += n;
        return n;
    }

    /**
     * Makes room after the unconsumed bytes if there is none: moves them to the buffer's start, or
     * grows it (up to its maximum, and as far as the budget has room). False if the buffer is full
     * of unconsumed bytes at its maximum, or the budget has no room for a larger one.
     */
    private boolean makeRoom() {
        if (limit < buf.length) return true;
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, limit - pos);
            limit -= pos;
            pos = 0;
            return true;
        }
        if (buf.length >= maxCapacity) return false;
        int size = Math.min(maxCapacity, buf.length * 2);
        if (!charge(size - buf.length)) return false;
        buf = Arrays.copyOf(buf, size);
        return true;
    }

    /** Takes {@code n} bytes of the budget for a larger buffer; false if it has no room. */
    private boolean charge(int n) {
        if (budget == null) return true;
        if (!budget.tryTake(n)) return false;
        CHARGED.getAndAdd(this, n);
        if (budgetReturned) refund(); // the connection closed meanwhile: give them back
        return true;
    }

    /** Gives back what the buffer holds of the budget: it was dropped for one of the initial capacity, or the connection closed. */
    private void refund() {
        int n = (int) CHARGED.getAndSet(this, 0);
        if (n != 0) budget.give(n);
    }

    /** The connection closed: gives back what its buffer holds of the budget (on any thread, once or more). */
    void returnBudget() {
        if (budget == null) return;
        budgetReturned = true;
        refund();
    }

    /**
     * A buffer grown for a long head goes back to the initial capacity, and its budget with it, if
     * what it still holds (pipelined bytes, the start of a body) fits: called once a head has been
     * parsed (heads hold no reference into the buffer), so that a long-running request (a long
     * poll, a stream) does not keep the budget from other clients' long heads.
     */
    void shrinkIfGrown() {
        if (buf.length == initialCapacity || buf == NO_BUFFER || limit - pos > initialCapacity) return;
        byte[] small = pool != null ? pool.take() : new byte[initialCapacity];
        System.arraycopy(buf, pos, small, 0, limit - pos);
        limit -= pos;
        pos = 0;
        buf = small;
        if (budget != null) refund();
    }

    /** {@link #fillWhenIdle}'s answer when the wait was handed off. */
    static final int HANDED_OFF = -2;

    /**
     * {@link #fill(int) fill(0)} for a connection waiting for its next request. If nothing is
     * buffered and the transport can wait without a buffer, the buffer goes back to the pool for
     * the wait (a grown one is dropped), so thousands of idle keep-alive connections hold none.
     * Given {@code then}, and a transport that can also wait without a thread, this returns
     * {@link #HANDED_OFF} at once instead of waiting: {@code then} runs once input arrives (it
     * hands the connection to a thread that calls {@link #reclaimBuffer()} and reads), and the
     * caller must leave this input alone from then on.
     *
     * @param then null to wait on this thread
     * @return {@link #HANDED_OFF}, or what {@link #fill(int)} returned: 0 if the transport woke
     *         for bytes that are not input yet (see {@link Transport#awaitReadable} and
     *         {@link Transport#readWhenIdle}), and the caller should wait idle again
     */
    int fillWhenIdle(Runnable then) throws IOException {
        scratch = null;
        if (pos != limit) return fill(0);
        if (pool == null || !transport.waitsWithoutBuffer()) return fillIdle();
        flushPending();
        pos = 0;
        limit = 0;
        if (buf.length == pool.bufferSize()) pool.give(buf);
        else if (budget != null) refund(); // a grown one is dropped
        buf = NO_BUFFER; // before a hand-off: the next thread takes a buffer of its own
        boolean handedOff = false;
        try {
            if (then == null) transport.awaitReadable(0);
            else handedOff = transport.awaitReadableThen(then); // false: it cannot, read at once
        } finally {
            if (!handedOff) buf = pool.take();
        }
        return handedOff ? HANDED_OFF : fill(0);
    }

    /** {@link #fill(int) fill(0)} into an empty buffer, through {@link Transport#readWhenIdle}. */
    private int fillIdle() throws IOException {
        pos = 0;
        limit = 0;
        shrinkIfGrown(); // a connection that waits with its buffer keeps no more than the first one
        flushPending();
        int n = transport.readWhenIdle(buf, 0, buf.length);
        if (n > 0) limit = n;
        return n;
    }

    /** On the thread a hand-off started: takes a buffer again, to read what arrived. */
    void reclaimBuffer() {
        if (buf == NO_BUFFER) buf = pool.take();
    }

    /** Writes out pending (held or buffered) response bytes, before a read that may wait. */
    void flushPending() throws IOException {
        if (output.hasPending()) output.flush();
    }

    /** Reads body bytes: buffered ones first, then from the transport. Returns -1 at end of stream. */
    int read(byte[] b, int off, int len, int timeoutMillis) throws IOException {
        return read(b, off, len, null, timeoutMillis);
    }

    /**
     * As {@link #read(byte[], int, int, int)}, into {@code dst} (up to its remaining bytes): a large
     * read goes straight from the transport into it if the transport {@linkplain
     * Transport#readsBuffersDirectly() can}, so a direct buffer gets the bytes with no copy through
     * the heap; else through this input's buffer.
     */
    int read(ByteBuffer dst, int timeoutMillis) throws IOException {
        return read(null, 0, dst.remaining(), dst, timeoutMillis);
    }

    /** Into {@code b[off, off+len)}, or (if not null) into {@code dst}, {@code len} being its remaining bytes. */
    private int read(byte[] b, int off, int len, ByteBuffer dst, int timeoutMillis) throws IOException {
        if (len == 0) return 0;
        if (limit - pos == 0) {
            if (len >= buf.length) { // large: past the buffer
                flushPending();
                if (dst == null) return transport.read(b, off, len, timeoutMillis);
                if (dst.hasArray() || transport.readsBuffersDirectly()) return transport.read(dst, timeoutMillis);
                return readThroughScratch(dst, timeoutMillis);
            }
            if (fill(timeoutMillis) < 0) return -1;
        }
        int n = Math.min(limit - pos, len);
        if (dst == null) System.arraycopy(buf, pos, b, off, n);
        else dst.put(buf, pos, n);
        pos += n;
        return n;
    }

    /**
     * A large read into a direct buffer that the transport cannot fill itself: through one array
     * kept while the connection reads (not a new one per read, nor the small input buffer's worth
     * at a time); dropped when the connection waits for its next request.
     */
    private int readThroughScratch(ByteBuffer dst, int timeoutMillis) throws IOException {
        if (scratch == null) scratch = new byte[SCRATCH_SIZE];
        int n = transport.read(scratch, 0, Math.min(dst.remaining(), SCRATCH_SIZE), timeoutMillis);
        if (n > 0) dst.put(scratch, 0, n);
        return n;
    }

    /**
     * Reads bytes from the transport (the buffer being empty) only to drop them, through the array
     * large reads use ({@link #SCRATCH_SIZE}, dropped at the next idle wait) rather than the small
     * buffer: for a client that keeps sending what is dropped (a refused body). Takes only what has
     * arrived ({@link Transport#readArrived}): returns the bytes read, 0 if none could be taken
     * without waiting (over TLS, part of a record), or -1 at end of stream.
     */
    int readToDrop() throws IOException {
        if (scratch == null) scratch = new byte[SCRATCH_SIZE];
        return transport.readArrived(scratch, 0, SCRATCH_SIZE);
    }

    /** Reads one byte, or -1 at end of stream. */
    int read(int timeoutMillis) throws IOException {
        if (pos == limit && fill(timeoutMillis) < 0) return -1;
        return buf[pos++] & 0xff;
    }

    /**
     * Reads into the buffer what has arrived already (as far as the transport can tell, see {@link
     * Transport#hasPendingInput()}), growing it up to its maximum, without waiting and without
     * consuming anything: a look at the bytes ahead.
     */
    void readArrived() throws IOException {
        while (transport.hasPendingInput() && makeRoom()) {
            int n = transport.read(buf, limit, buf.length - limit, 1);
            if (n <= 0) return;
            limit += n;
        }
    }

    /**
     * Reads and drops what has arrived already (as far as the transport can tell, see {@link
     * Transport#hasPendingInput()}), up to {@code max} bytes, without waiting for more.
     */
    void discardArrived(int max) throws IOException {
        pos = 0;
        limit = 0;
        for (int total = 0; total < max && transport.hasPendingInput(); ) {
            int n = transport.read(buf, 0, Math.min(buf.length, max - total), 1);
            if (n <= 0) return;
            total += n;
        }
    }

    /** Skips buffered bytes. */
    void skip(int n) {
        pos += n;
    }

    private static final VarHandle CHARGED;

    static {
        try {
            CHARGED = MethodHandles.lookup().findVarHandle(ConnectionInput.class, "charged", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
