package org.minipylib.wsgiserver.server;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.locks.LockSupport;

/**
 * One socket's registration with a {@link ReadinessLoop}: a thread that would block reading (or
 * writing) parks here until the loop finds the socket readable (writable) and wakes it. A read
 * wait can also be left with no thread at all ({@link #awaitReadableThen}): the loop then runs a
 * callback instead of waking a thread, and an idle keep-alive connection holds no thread's stack.
 * Reads and writes have a side each, since one thread may wait to write (a held pipelined response
 * flushed by the watchdog's helper) while the connection's thread waits to read. Each side's state
 * says who acts next:
 * <ul>
 *   <li>{@code RUNNING}: no thread waits on this side;</li>
 *   <li>{@code WAITING}: a thread is parked (or a callback set) until the loop, or a close, wakes
 *       it (runs the callback);</li>
 *   <li>{@code WOKEN}: woken, not yet read or written: the loop ignores the socket still looking ready;</li>
 *   <li>{@code MUTED} (reads only): bytes arrived while no one waited (a pipelining client): the
 *       loop stopped watching for reads, else a level-triggered selector reports the socket on
 *       every poll, and the next read wait returns at once.</li>
 * </ul>
 * Only the loop's thread changes the interest set, always to what both states call for
 * ({@link #interest()}), so that two threads never undo each other's change. A thread whose new
 * state needs a bit the set may lack (a write wait, a read wait after a muted spell) asks the loop
 * ({@link ReadinessLoop#watchAgain}); bits no longer needed are dropped by the loop when the socket
 * is reported for them. On the common path the registration never changes, so a keep-alive request
 * costs no {@code epoll_ctl}.
 *
 * <p>On a {@linkplain ReadinessLoop#oneShot() one-shot} loop a side is watched only while it is
 * {@code WAITING}: every wait asks the loop to watch again, and the loop drops the bit when it wakes
 * the side (a socket woken but not yet read is not watched at all, so a loop that does not yield to
 * the woken thread cannot spin on it).
 */
final class ReadinessWait extends AbstractSocketWait {

    private static final int MUTED = 3;

    private final ReadinessLoop loop;
    private final boolean oneShot; // the loop's: each wait asks it to watch (a plain read on every path)
    private final SelectionKey key;
    private boolean readInterestStale; // the reading thread's own note: left MUTED without telling the loop

    /** Registers {@code channel} (non-blocking from now on) with {@code loop}, for reads. */
    ReadinessWait(ReadinessLoop loop, SocketChannel channel) throws IOException {
        this.loop = loop;
        this.oneShot = loop.oneShot();
        this.key = loop.register(channel, this);
    }

    /**
     * Parks until the socket is readable, the timeout passes, or the socket is closed. The caller
     * then reads, and calls {@link #readDone()} whatever the read gave; a read that finds nothing
     * waits again.
     *
     * @param timeoutMillis longest wait; 0 waits forever
     * @throws SocketTimeoutException if nothing arrived in time
     * @throws IOException if the loop stopped while the socket is open (the server stopping, or the loop failed)
     */
    @Override
    public void awaitReadable(int timeoutMillis) throws IOException {
        readerParks();
        int from;
        do {
            from = readState;
            if (from == MUTED && READ_STATE.compareAndSet(this, MUTED, RUNNING)) {
                readInterestStale = true; // the loop watches for reads again once the next wait tells it
                return; // bytes came while no one waited: read them now
            }
        } while (!READ_STATE.compareAndSet(this, from, WAITING)); // from RUNNING or WOKEN
        if (readInterestStale || oneShot) {
            readInterestStale = false;
            loop.watchAgain(this);
        }
        park(READ_STATE, timeoutMillis);
    }

    /**
     * Like {@link #awaitReadable(int) awaitReadable(0)} without a thread waiting: arranges for
     * {@code then} to run once the socket is readable, or closed, or the loop stopped (on the
     * loop's thread, or on the closing thread: it must only hand the work to a thread of its own).
     * The thread it hands to reads, and calls {@link #readDone()}, as after {@code awaitReadable}.
     * The caller must not touch the socket's state once this is called: {@code then} may have run already.
     *
     * <p>After a muted spell (bytes came while no one waited; they may have been read since) the
     * loop is asked to watch the socket again: level-triggered, it reports the socket at once if
     * bytes are still there. Returning to read them directly instead would park a thread with a
     * buffer for the whole keep-alive wait whenever the socket is empty by now.
     */
    @Override
    public boolean awaitReadableThen(Runnable then) {
        boolean stale = readInterestStale; // read now: once WAITING, the next reader may be running
        readInterestStale = false;
        onReadable = then;
        int from = (int) READ_STATE.getAndSet(this, WAITING); // RUNNING, WOKEN or MUTED: no one else waits
        if (from == MUTED || stale || oneShot) loop.watchAgain(this);
        // Closed meanwhile (its wake may have found no one waiting): run it now, unless a wake did.
        // Never back out of WAITING here: a new thread may own the wait by now.
        if (!key.isValid() && READ_STATE.compareAndSet(this, WAITING, WOKEN)) wakeReader();
        return true;
    }

    /** After a read that followed a wait (whatever it gave): the loop may mute the socket again. */
    @Override
    public void readDone() {
        if (readState == WOKEN) readState = RUNNING;
    }

    /**
     * Parks until the socket takes more bytes, or is closed (the watchdog enforces write timeouts
     * by closing). One writer at a time (the connection's output is locked); the caller calls
     * {@link #writeDone()} when its write is over, however it ended.
     */
    @Override
    public void awaitWritable() throws IOException {
        Thread.interrupted();
        writer = Thread.currentThread();
        int from = writeState; // RUNNING or WOKEN: only the writer leaves WAITING otherwise than the loop
        WRITE_STATE.setVolatile(this, WAITING);
        if (from == RUNNING || oneShot) loop.watchAgain(this); // the loop drops the write bit between writes (one-shot: at each wake)
        park(WRITE_STATE, 0);
    }

    @Override
    public boolean cancelled() {
        return !key.isValid(); // the channel closed, or the loop's selector
    }

    @Override
    boolean socketOpen() {
        return key.channel().isOpen();
    }

    /** True if bytes came while no one waited to read, and the loop stopped watching for more. */
    @Override
    public boolean isReadMuted() {
        return readState == MUTED;
    }

    /** What the loop should watch the socket for, given both states. */
    private int interest() {
        if (oneShot) return (readState == WAITING ? SelectionKey.OP_READ : 0) | (writeState == WAITING ? SelectionKey.OP_WRITE : 0);
        return (readState == MUTED ? 0 : SelectionKey.OP_READ) | (writeState == RUNNING ? 0 : SelectionKey.OP_WRITE);
    }

    /** Called by the loop, on its thread, when told to: watches the socket for what the states now call for. */
    void watch() {
        try {
            key.interestOps(interest());
        } catch (CancelledKeyException e) {
            // closed: the next read or write fails
        }
    }

    /** Called by the loop, on its thread, for a socket found ready (its key may be cancelled meanwhile). */
    void ready(SelectionKey selected) {
        int ops = selected.readyOps();
        boolean stale = false;
        if ((ops & SelectionKey.OP_READ) != 0) {
            int r = readState;
            if (r == WAITING) {
                if (READ_STATE.compareAndSet(this, WAITING, WOKEN)) wakeReader();
            } else if (r == RUNNING) {
                stale = READ_STATE.compareAndSet(this, RUNNING, MUTED);
            }
        }
        if ((ops & SelectionKey.OP_WRITE) != 0) {
            int w = writeState;
            if (w == WAITING) {
                if (WRITE_STATE.compareAndSet(this, WAITING, WOKEN)) LockSupport.unpark(writer);
            } else if (w == RUNNING) {
                stale = true; // no one writes: stop watching for it
            }
        }
        // A thread changing a state meanwhile asks for watch() if it needs a bit this drops
        if (stale || oneShot) selected.interestOps(interest()); // one-shot: a woken side is no longer watched
    }

    /**
     * After the channel was closed, or its loop stopped: wakes parked threads (their read or
     * write then fails) and lets the loop free the socket.
     */
    @Override
    public void closed() {
        wake();
        loop.wakeup(); // a closed channel's socket is released when the selector next deregisters it
    }
}
