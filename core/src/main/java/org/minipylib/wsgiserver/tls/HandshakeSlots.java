package org.minipylib.wsgiserver.tls;

import java.io.InterruptedIOException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the TLS handshakes in progress on one adapter ({@link TlsConfig#maxHandshakes()}). From
 * the client's first bytes until it is done, a handshake holds two or three 17 KiB buffers and its
 * engine's state, about 64 KiB: without a bound, clients that start handshakes and stall could
 * fill the heap (8000 ClientHellos of 1000 bytes, never finished, ended a server with a 256 MiB
 * heap). A handshake beyond the bound waits, holding only its first bytes, for one to finish,
 * within its own deadline (the handshake timeout). Each first wait is counted, and logged as a
 * warning at most every 10 s.
 */
final class HandshakeSlots {

    private static final System.Logger LOG = System.getLogger(HandshakeSlots.class.getName());
    private static final long WARNING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final int max;
    private final Semaphore slots;
    private final AtomicLong waits = new AtomicLong();
    private final AtomicLong lastWarned = new AtomicLong(System.nanoTime() - WARNING_INTERVAL_NANOS);

    /** At most {@code max} (> 0) handshakes at once. */
    HandshakeSlots(int max) {
        if (max < 1) throw new IllegalArgumentException("maxHandshakes must be >= 1, got " + max);
        this.max = max;
        this.slots = new Semaphore(max);
    }

    /** Takes a slot if one is free now; false if not (then {@link #take} waits for one). */
    boolean tryTake() {
        return slots.tryAcquire();
    }

    /**
     * Takes a slot, waiting until {@code deadlineNanos} (System.nanoTime()) if none is free.
     *
     * @return false if none came free in time
     * @throws InterruptedIOException if the waiting thread was interrupted
     */
    boolean take(long deadlineNanos) throws InterruptedIOException {
        if (slots.tryAcquire()) return true;
        waits.incrementAndGet();
        warnAtMostEvery10Seconds();
        try {
            return slots.tryAcquire(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for a TLS handshake slot");
        }
    }

    /** Gives back a slot taken. */
    void give() {
        slots.release();
    }

    /** Handshakes that found every slot taken and had to wait, since the start. */
    long waits() {
        return waits.get();
    }

    /** Slots free now. */
    int available() {
        return slots.availablePermits();
    }

    private void warnAtMostEvery10Seconds() {
        long now = System.nanoTime();
        long last = lastWarned.get();
        if (now - last < WARNING_INTERVAL_NANOS || !lastWarned.compareAndSet(last, now)) return;
        LOG.log(System.Logger.Level.WARNING, "TLS handshakes in progress reached maxHandshakes (" + max + "): new ones wait"
                + " for a slot, within the handshake timeout (" + waits.get() + " waits so far); many clients may be"
                + " starting handshakes and stalling");
    }
}
