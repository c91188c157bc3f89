package org.minipylib.wsgiserver.server;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketTimeoutException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One socket's registration with a {@link ReadinessLoop}: the connection's thread parks here until
 * its socket is readable (or writable), and the loop wakes it. Its state says who acts next:
 * <ul>
 *   <li>{@code RUNNING}: the thread is busy (serving, or reading what it was woken for);</li>
 *   <li>{@code READ_WAIT}, {@code WRITE_WAIT}: the thread is parked until the loop (or a close) wakes it;</li>
 *   <li>{@code WOKEN}: woken, not yet read: the loop ignores the socket still looking readable;</li>
 *   <li>{@code MUTED}: bytes arrived while the thread was busy (a pipelining client): the loop
 *       stopped watching the socket (else a level-triggered selector reports it on every poll) and
 *       the thread's next wait returns at once.</li>
 * </ul>
 * Only the loop's thread changes the socket's interest set, from the state, so that the two
 * threads never undo each other's change: when it mutes a socket, and when a thread asks it to
 * ({@link ReadinessLoop#watchAgain}) after a wait for writing or a muted spell. On the common path
 * the registration never changes, so a keep-alive request costs no {@code epoll_ctl}.
 */
final class ReadinessWait {

    private static final int RUNNING = 0;
    private static final int READ_WAIT = 1;
    private static final int WRITE_WAIT = 2;
    private static final int WOKEN = 3;
    private static final int MUTED = 4;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(ReadinessWait.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ReadinessLoop loop;
    private final SelectionKey key;
    private volatile int state = RUNNING;
    private volatile Thread waiter;
    // The connection thread's own bookkeeping: which kind of wait the loop watches for
    private int lastWaitState = READ_WAIT;
    private boolean interestStale;

    /** Registers {@code channel} (non-blocking from now on) with {@code loop}. */
    ReadinessWait(ReadinessLoop loop, SocketChannel channel) throws IOException {
        this.loop = loop;
        this.key = loop.register(channel, this);
    }

    /**
     * Parks until the socket is readable, the timeout passes, or the socket is closed. The caller
     * then reads (and calls {@link #consumed()}); a read that still finds nothing waits again.
     *
     * @param timeoutMillis longest wait; 0 waits forever
     * @throws SocketTimeoutException if nothing arrived in time
     * @throws IOException if the loop stopped while the socket is open (the server stopping, or the loop failed)
     */
    void awaitReadable(int timeoutMillis) throws IOException {
        await(READ_WAIT, timeoutMillis);
    }

    /** Parks until the socket takes more bytes, or is closed (the watchdog enforces write timeouts by closing). */
    void awaitWritable() throws IOException {
        await(WRITE_WAIT, 0);
    }

    /**
     * After a read or write that followed a wait: the loop may watch the socket for the thread again
     * (until then it ignores the socket, which after a write wait stays writable: were the thread to
     * stay WOKEN, the loop would find it ready on every poll).
     */
    void consumed() {
        if (state == WOKEN) state = RUNNING;
    }

    private void await(int waitState, int timeoutMillis) throws IOException {
        Thread.interrupted(); // see below
        waiter = Thread.currentThread();
        int from;
        do {
            from = state;
            if (from == MUTED && waitState == READ_WAIT && STATE.compareAndSet(this, MUTED, RUNNING)) {
                interestStale = true; // the loop no longer watches the socket: have it watch again at the next wait
                return; // bytes came while we were busy: read them now
            }
        } while (!STATE.compareAndSet(this, from, waitState)); // from RUNNING, WOKEN or MUTED: only this thread waits
        // The loop watches the socket for what the state says only once told to (after a wait for
        // the other kind, or a muted spell); telling it costs a wake-up and an epoll_ctl.
        boolean wrongInterest = interestStale || from == MUTED || waitState != lastWaitState;
        lastWaitState = waitState;
        interestStale = false;
        if (wrongInterest) loop.watchAgain(this);
        long deadline = timeoutMillis == 0 ? 0 : System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (state == waitState) {
            if (!key.isValid()) { // closed meanwhile (the caller's read or write then fails), or the loop stopped
                if (key.channel().isOpen()) throw new IOException("readiness loop stopped");
                return;
            }
            if (deadline == 0) {
                LockSupport.park(this);
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    if (STATE.compareAndSet(this, waitState, RUNNING)) throw new SocketTimeoutException("Read timed out");
                    break; // woken just now
                }
                LockSupport.parkNanos(this, left);
            }
            Thread.interrupted(); // ignored, else every park returns at once; stopping closes sockets instead
        }
    }

    /** Called by the loop, on its thread, when told to: watches the socket for what the state now says. */
    void watch() {
        int s = state;
        try {
            key.interestOps(s == WRITE_WAIT ? SelectionKey.OP_WRITE : s == MUTED ? 0 : SelectionKey.OP_READ);
        } catch (java.nio.channels.CancelledKeyException e) {
            // closed: the next read or write fails
        }
    }

    /** Called by the loop, on its thread, for a socket found ready. */
    void ready(SelectionKey selected) {
        int s = state;
        int ops = selected.readyOps();
        if ((s == READ_WAIT && (ops & SelectionKey.OP_READ) != 0) || (s == WRITE_WAIT && (ops & SelectionKey.OP_WRITE) != 0)) {
            if (STATE.compareAndSet(this, s, WOKEN)) LockSupport.unpark(waiter);
        } else if (s == RUNNING && STATE.compareAndSet(this, RUNNING, MUTED)) {
            // If the thread leaves MUTED before this takes effect, it tells the loop, which then
            // (later in its round) sets the interest from the new state.
            try {
                selected.interestOps(0);
            } catch (java.nio.channels.CancelledKeyException e) {
                // closed meanwhile
            }
        }
    }

    /** After the channel was closed: wakes a parked thread (its read or write then fails) and lets the loop free the socket. */
    void closed() {
        int s = state;
        if ((s == READ_WAIT || s == WRITE_WAIT) && STATE.compareAndSet(this, s, WOKEN)) LockSupport.unpark(waiter);
        loop.wakeup(); // a closed channel's socket is released when the selector next deregisters it
    }
}
