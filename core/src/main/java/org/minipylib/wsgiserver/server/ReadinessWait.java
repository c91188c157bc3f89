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
 * writing) parks here until the loop finds the socket readable (writable) and wakes it. Reads and
 * writes have a side each, since one thread may wait to write (a held pipelined response flushed
 * by the watchdog's helper) while the connection's thread waits to read. Each side's state says
 * who acts next:
 * <ul>
 *   <li>{@code RUNNING}: no thread waits on this side;</li>
 *   <li>{@code WAITING}: a thread is parked until the loop (or a close) wakes it;</li>
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
                if (READ_STATE.compareAndSet(this, WAITING, WOKEN)) LockSupport.unpark(reader);
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

    /** Wakes whoever is parked, on either side. */
    void wake() {
        if (READ_STATE.compareAndSet(this, WAITING, WOKEN)) LockSupport.unpark(reader);
        if (WRITE_STATE.compareAndSet(this, WAITING, WOKEN)) LockSupport.unpark(writer);
    }
}
