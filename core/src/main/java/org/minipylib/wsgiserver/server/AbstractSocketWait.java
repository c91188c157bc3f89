package org.minipylib.wsgiserver.server;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketTimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * What both kinds of {@link SocketWait} share: a side each for reads and writes, whose state says
 * who acts next ({@code RUNNING}: no one waits; {@code WAITING}: a thread is parked, or a callback
 * set, until the loop or a close wakes it; {@code WOKEN}: woken, not yet read or written; a fourth
 * state is each kind's own), and the parking and waking of the threads.
 */
abstract class AbstractSocketWait implements SocketWait {

    private static final System.Logger LOG = System.getLogger(AbstractSocketWait.class.getName());

    static final int RUNNING = 0;
    static final int WAITING = 1;
    static final int WOKEN = 2;

    static final VarHandle READ_STATE;
    static final VarHandle WRITE_STATE;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            READ_STATE = lookup.findVarHandle(AbstractSocketWait.class, "readState", int.class);
            WRITE_STATE = lookup.findVarHandle(AbstractSocketWait.class, "writeState", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    volatile int readState = RUNNING;
    volatile int writeState = RUNNING;
    volatile Thread reader;
    volatile Runnable onReadable; // instead of a parked reader: run by whoever ends the wait
    volatile Thread writer;

    /** True if the socket is still open (a cancelled wait then fails: the loop stopped). */
    abstract boolean socketOpen();

    /** Before a read wait: the current thread will park (rather than a callback run). */
    final void readerParks() {
        Thread.interrupted(); // see park()
        onReadable = null;
        reader = Thread.currentThread();
    }

    /** Parks while {@code side} is WAITING, at most {@code timeoutMillis} (0: no limit). */
    final void park(VarHandle side, int timeoutMillis) throws IOException {
        long deadline = timeoutMillis == 0 ? 0 : System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while ((int) side.getVolatile(this) == WAITING) {
            if (cancelled()) { // closed meanwhile (the caller's read or write then fails), or the loop stopped
                side.compareAndSet(this, WAITING, RUNNING);
                if (socketOpen()) throw new IOException("readiness loop stopped");
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

    @Override
    public void writeDone() {
        if (writeState != RUNNING) writeState = RUNNING;
    }

    /** By the thread that moved the read side from WAITING to WOKEN: ends the wait, whichever kind it is. */
    final void wakeReader() {
        Runnable then = onReadable;
        if (then == null) {
            LockSupport.unpark(reader);
            return;
        }
        onReadable = null;
        try {
            then.run();
        } catch (RuntimeException | Error e) { // on the loop's thread, or a closing one: neither may fail for it
            LOG.log(System.Logger.Level.ERROR, "A callback for a readable socket failed", e);
        }
    }

    /** Wakes whoever is parked, on either side. */
    final void wake() {
        if (READ_STATE.compareAndSet(this, WAITING, WOKEN)) wakeReader();
        if (WRITE_STATE.compareAndSet(this, WAITING, WOKEN)) LockSupport.unpark(writer);
    }
}
