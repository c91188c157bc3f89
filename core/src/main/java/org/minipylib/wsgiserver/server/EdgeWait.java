package org.minipylib.wsgiserver.server;

import java.io.IOException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * One socket's registration with an {@link EdgeTriggeredLoop}: as {@link ReadinessWait}, but the
 * socket is reported once per arrival rather than on every poll while it has bytes, so the
 * registration never changes and nothing is muted. In return, <b>a read wait may only start once
 * the socket was found empty</b> (a read that got less than it asked for, or nothing), or with an
 * arrival recorded since: bytes left unread while nothing new arrives are never reported again.
 * {@link SocketTransport} keeps to that (it notes a read that filled its buffer). The end of the
 * peer's stream (or an error) is the exception: it may come in the same report as the last bytes,
 * which a read then takes without finding the end; so once reported, every read wait returns at
 * once, and the read finds the end.
 * <p>Each side's state says who acts next:
 * <ul>
 *   <li>{@code RUNNING}: no thread waits, no arrival recorded;</li>
 *   <li>{@code WAITING}: a thread is parked (or a callback set) until the loop, or a close, wakes it;</li>
 *   <li>{@code WOKEN}: woken, not yet read or written;</li>
 *   <li>{@code READY} (reads only): the socket was reported while no one waited (or between a
 *       wake and its read): the next wait returns at once. At worst the read then finds nothing
 *       (the bytes went to the read before), and waits.</li>
 * </ul>
 * Writes record no arrivals (every report of bytes to read also says the socket is writable): a
 * writer, once it says it waits, asks the socket itself whether it became writable meanwhile.
 */
final class EdgeWait extends AbstractSocketWait {

    private static final int READY = 3;

    private final EdgeTriggeredLoop loop;
    final int slot; // where the loop keeps it
    final int generation; // tells this registration from an earlier one in the same slot
    private final BooleanSupplier readableNow;
    private final BooleanSupplier writableNow;
    private volatile boolean closed;
    /** The peer closed its side or the socket failed: reported once, readable for good. */
    private volatile boolean peerClosed;

    EdgeWait(EdgeTriggeredLoop loop, int slot, int generation, BooleanSupplier readableNow, BooleanSupplier writableNow) {
        this.loop = loop;
        this.slot = slot;
        this.generation = generation;
        this.readableNow = readableNow;
        this.writableNow = writableNow;
    }

    @Override
    public void awaitReadable(int timeoutMillis) throws IOException {
        if (peerClosed) return; // the read finds the end (or the error)
        readerParks();
        int from;
        do {
            from = readState;
            if (from == READY && READ_STATE.compareAndSet(this, READY, RUNNING)) return; // arrived meanwhile: read now
        } while (from == READY || !READ_STATE.compareAndSet(this, from, WAITING)); // from RUNNING or WOKEN
        park(READ_STATE, timeoutMillis); // checks for a close or stop whose wake found no one waiting
    }

    /**
     * {@inheritDoc} After an arrival recorded while no one waited, asks the socket whether the bytes
     * are still there: often the running thread read them already (a request body, a head in two
     * pieces), and the connection should then wait without a thread, not read to find nothing.
     */
    @Override
    public boolean awaitReadableThen(Runnable then) {
        if (peerClosed) return false; // the caller reads now, and finds the end (or the error)
        onReadable = then;
        while (true) {
            int from = readState;
            if (from == READY) {
                // Cleared before asking: an arrival from now on makes it READY again, and the CAS below fails.
                if (READ_STATE.compareAndSet(this, READY, RUNNING) && readableNow.getAsBoolean()) {
                    onReadable = null;
                    return false; // the caller reads now
                }
            } else if (READ_STATE.compareAndSet(this, from, WAITING)) { // from RUNNING or WOKEN
                break;
            }
        }
        // Closed meanwhile (its wake may have found no one waiting): run it now, unless a wake did.
        if ((closed || loop.isStopped()) && READ_STATE.compareAndSet(this, WAITING, WOKEN)) wakeReader();
        return true;
    }

    @Override
    public void readDone() {
        if (readState == WOKEN) READ_STATE.compareAndSet(this, WOKEN, RUNNING); // unless an arrival made it READY
    }

    @Override
    public void awaitWritable() throws IOException {
        Thread.interrupted();
        writer = Thread.currentThread();
        WRITE_STATE.setVolatile(this, WAITING);
        // A report that came before WAITING was set found no one: ask the socket (rare: a full send buffer).
        if ((writableNow.getAsBoolean() || closed) && WRITE_STATE.compareAndSet(this, WAITING, RUNNING)) return;
        park(WRITE_STATE, 0);
    }

    @Override
    public boolean cancelled() {
        return closed || loop.isStopped();
    }

    @Override
    boolean socketOpen() {
        return !closed;
    }

    @Override
    public boolean isReadMuted() {
        return readState == READY;
    }

    /** True once the loop reported the end of the peer's stream (or an error) (for tests). */
    boolean peerClosedReported() {
        return peerClosed;
    }

    /** Called by the loop, on its thread, for the socket reported ready ({@link EdgeTriggeredEpoll} bits). */
    void ready(int ops) {
        if ((ops & EdgeTriggeredEpoll.PEER_CLOSED) != 0) peerClosed = true; // first: a reader it wakes must see it
        if ((ops & EdgeTriggeredEpoll.READABLE) != 0) {
            while (true) {
                int r = readState;
                if (r == WAITING) {
                    if (READ_STATE.compareAndSet(this, WAITING, WOKEN)) {
                        wakeReader();
                        break;
                    }
                } else if (r == READY || READ_STATE.compareAndSet(this, r, READY)) {
                    break; // RUNNING or WOKEN: the next wait returns at once
                }
            }
        }
        if ((ops & EdgeTriggeredEpoll.WRITABLE) != 0 && writeState == WAITING
                && WRITE_STATE.compareAndSet(this, WAITING, WOKEN)) {
            LockSupport.unpark(writer);
        }
    }

    @Override
    public void closed() {
        closed = true;
        wake();
    }

    /** The transport's descriptor is about to be closed: the loop forgets this registration. */
    void deregister() {
        loop.deregister(this);
    }
}
