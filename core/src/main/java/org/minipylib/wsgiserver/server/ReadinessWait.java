package org.minipylib.wsgiserver.server;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketTimeoutException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
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
 */
final class ReadinessWait {

    private static final int RUNNING = 0;
    private static final int WAITING = 1;
    private static final int WOKEN = 2;
    private static final int MUTED = 3;

    private static final VarHandle READ_STATE;
    private static final VarHandle WRITE_STATE;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            READ_STATE = lookup.findVarHandle(ReadinessWait.class, "readState", int.class);
            WRITE_STATE = lookup.findVarHandle(ReadinessWait.class, "writeState", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ReadinessLoop loop;
    private final SelectionKey key;
    private volatile int readState = RUNNING;
    private volatile int writeState = RUNNING;
    private volatile Thread reader;
    private volatile Runnable onReadable; // instead of a parked reader: run by whoever ends the wait
    private volatile Thread writer;
    private boolean readInterestStale; // the reading thread's own note: left MUTED without telling the loop

    /** Registers {@code channel} (non-blocking from now on) with {@code loop}, for reads. */
    ReadinessWait(ReadinessLoop loop, SocketChannel channel) throws IOException {
        this.loop = loop;
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
    void awaitReadable(int timeoutMillis) throws IOException {
        Thread.interrupted(); // see park()
        onReadable = null; // a thread waits this time
        reader = Thread.currentThread();
        int from;
        do {
            from = readState;
            if (from == MUTED && READ_STATE.compareAndSet(this, MUTED, RUNNING)) {
                readInterestStale = true; // the loop watches for reads again once the next wait tells it
                return; // bytes came while no one waited: read them now
            }
        } while (!READ_STATE.compareAndSet(this, from, WAITING)); // from RUNNING or WOKEN
        if (readInterestStale) {
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
    void awaitReadableThen(Runnable then) {
        boolean stale = readInterestStale; // read now: once WAITING, the next reader may be running
        readInterestStale = false;
        onReadable = then;
        int from = (int) READ_STATE.getAndSet(this, WAITING); // RUNNING, WOKEN or MUTED: no one else waits
        if (from == MUTED || stale) loop.watchAgain(this);
        // Closed meanwhile (its wake may have found no one waiting): run it now, unless a wake did.
        // Never back out of WAITING here: a new thread may own the wait by now.
        if (!key.isValid() && READ_STATE.compareAndSet(this, WAITING, WOKEN)) wakeReader();
    }

    /** After a read that followed a wait (whatever it gave): the loop may mute the socket again. */
    void readDone() {
        if (readState == WOKEN) readState = RUNNING;
    }

    /**
     * Parks until the socket takes more bytes, or is closed (the watchdog enforces write timeouts
     * by closing). One writer at a time (the connection's output is locked); the caller calls
     * {@link #writeDone()} when its write is over, however it ended.
     */
    void awaitWritable() throws IOException {
        Thread.interrupted();
        writer = Thread.currentThread();
        int from = writeState; // RUNNING or WOKEN: only the writer leaves WAITING otherwise than the loop
        WRITE_STATE.setVolatile(this, WAITING);
        if (from == RUNNING) loop.watchAgain(this); // the loop drops the write bit between writes
        park(WRITE_STATE, 0);
    }

    /** After a write that waited: no one waits to write; the loop stops watching for it when next reported. */
    void writeDone() {
        if (writeState != RUNNING) writeState = RUNNING;
    }

    private void park(VarHandle side, int timeoutMillis) throws IOException {
        long deadline = timeoutMillis == 0 ? 0 : System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while ((int) side.getVolatile(this) == WAITING) {
            if (!key.isValid()) { // closed meanwhile (the caller's read or write then fails), or the loop stopped
                side.compareAndSet(this, WAITING, RUNNING);
                if (key.channel().isOpen()) throw new IOException("readiness loop stopped");
                return;
            }
            if (deadline == 0) {
                LockSupport.park(this);
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    if (side.compareAndSet(this, WAITING, RUNNING)) throw new SocketTimeoutException("Read timed out");
                    break; // woken just now
                }
                LockSupport.parkNanos(this, left);
            }
            Thread.interrupted(); // ignored, else every park returns at once; stopping closes sockets instead
        }
    }

    /** True if bytes came while no one waited to read, and the loop stopped watching for more. */
    boolean isReadMuted() {
        return readState == MUTED;
    }

    /** What the loop should watch the socket for, given both states. */
    private int interest() {
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
        if (stale) selected.interestOps(interest());
    }

    /**
     * After the channel was closed, or its loop stopped: wakes parked threads (their read or
     * write then fails) and lets the loop free the socket.
     */
    void closed() {
        wake();
        loop.wakeup(); // a closed channel's socket is released when the selector next deregisters it
    }

    /** By the thread that moved the read side from WAITING to WOKEN: ends the wait, whichever kind it is. */
    private void wakeReader() {
        Runnable then = onReadable;
        if (then == null) {
            LockSupport.unpark(reader);
            return;
        }
        onReadable = null;
        try {
            then.run();
        } catch (RuntimeException | Error e) { // on the loop's thread, or a closing one: neither may fail for it
            System.getLogger(ReadinessWait.class.getName()).log(System.Logger.Level.ERROR,
                    "A callback for a readable socket failed", e);
        }
    }

    /** Wakes whoever is parked, on either side. */
    void wake() {
        if (READ_STATE.compareAndSet(this, WAITING, WOKEN)) wakeReader();
        if (WRITE_STATE.compareAndSet(this, WAITING, WOKEN)) LockSupport.unpark(writer);
    }
}
