package org.minipylib.wsgiserver.tls;

import java.io.InterruptedIOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the TLS handshakes in progress on one adapter ({@link TlsConfig#maxHandshakes()}). Once
 * its ClientHello is in, until it is done, a handshake holds two or three 17 KiB buffers and its
 * engine's state, about 64 KiB: without a bound, clients that start handshakes and stall could
 * fill the heap. A ClientHello still arriving holds no slot (only its bytes), so clients that stall
 * before theirs is whole keep nobody out. A handshake that finds every slot taken evicts the
 * handshake that has waited longest for its client's next bytes, if for over a second (closes its
 * connection: a client that finishes its handshake answers within a round trip), and again every
 * 100 ms while it waits for a slot within its own deadline (the handshake timeout).
 * Each wait is counted, and logged as a warning at most every 10 s.
 */
final class HandshakeSlots {

    /** A handshake holding a slot, which may be evicted for a newer one. */
    interface Holder {
        /** Since when (System.nanoTime()) the handshake has waited for its client's next bytes; 0 if it is not waiting. */
        long waitingSince();

        /**
         * Ends the handshake (closes its connection) unless it has ended already: its thread then
         * gives the slot back. False if it had ended (done or failed): nothing was closed.
         */
        boolean evict();
    }

    private static final System.Logger LOG = System.getLogger(HandshakeSlots.class.getName());
    private static final long WARNING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** A handshake may be evicted once it has waited this long for its client's next bytes. */
    static final long EVICTABLE_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How often a waiting handshake evicts again. */
    private static final long EVICTION_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final int max;
    private final Semaphore slots;
    /** The holders of slots. */
    private final Set<Holder> holders = ConcurrentHashMap.newKeySet();
    private final AtomicLong waits = new AtomicLong();
    private final AtomicLong evictions = new AtomicLong();
    private final AtomicLong lastWarned = new AtomicLong(System.nanoTime() - WARNING_INTERVAL_NANOS);

    /** At most {@code max} (> 0) handshakes at once. */
    HandshakeSlots(int max) {
        if (max < 1) throw new IllegalArgumentException("maxHandshakes must be >= 1, got " + max);
        this.max = max;
        this.slots = new Semaphore(max);
    }

    /**
     * Takes a slot for {@code holder}; if none is free, evicts the oldest evictable holder and
     * waits until {@code deadlineNanos} (System.nanoTime()) for a slot.
     *
     * @return false if none came free in time
     * @throws InterruptedIOException if the waiting thread was interrupted
     */
    boolean take(Holder holder, long deadlineNanos) throws InterruptedIOException {
        if (!slots.tryAcquire() && !awaitSlot(deadlineNanos)) return false;
        holders.add(holder);
        return true;
    }

    /**
     * Waits for a slot until {@code deadlineNanos}, evicting the oldest evictable holder at once and
     * again every {@link #EVICTION_PERIOD_NANOS}: holders that were too young when the wait began
     * age meanwhile, and a handshake behind many waiting ones is not kept waiting for their slots
     * to come free by themselves.
     */
    private boolean awaitSlot(long deadlineNanos) throws InterruptedIOException {
        waits.incrementAndGet();
        warnAtMostEvery10Seconds();
        try {
            while (true) {
                evictOldest();
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) return false;
                if (slots.tryAcquire(Math.min(left, EVICTION_PERIOD_NANOS), TimeUnit.NANOSECONDS)) return true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for a TLS handshake slot");
        }
    }

    /** Gives back the slot {@code holder} took. */
    void give(Holder holder) {
        holders.remove(holder);
        slots.release();
    }

    /**
     * Evicts the holder that has waited longest for its client, if for longer than
     * EVICTABLE_AFTER_NANOS: one computing (a busy CPU) or whose client keeps sending is left alone.
     */
    private void evictOldest() {
        Holder oldest = null;
        long oldestSince = System.nanoTime() - EVICTABLE_AFTER_NANOS;
        for (Holder h : holders) {
            long since = h.waitingSince();
            if (since != 0 && since - oldestSince < 0) {
                oldest = h;
                oldestSince = since;
            }
        }
        if (oldest != null && holders.remove(oldest) && oldest.evict()) evictions.incrementAndGet(); // each evicted once
    }

    /** Handshakes that found every slot taken, since the start. */
    long waits() {
        return waits.get();
    }

    /** Handshakes evicted for newer ones, since the start. */
    long evictions() {
        return evictions.get();
    }

    /** Slots free now. */
    int available() {
        return slots.availablePermits();
    }

    private void warnAtMostEvery10Seconds() {
        long now = System.nanoTime();
        long last = lastWarned.get();
        if (now - last < WARNING_INTERVAL_NANOS || !lastWarned.compareAndSet(last, now)) return;
        LOG.log(System.Logger.Level.WARNING, "TLS handshakes in progress reached maxHandshakes (" + max + "): the oldest"
                + " stalled ones are closed for new ones, which wait for a slot within the handshake timeout (" + waits.get()
                + " waits, " + evictions.get() + " closed so far); many clients may be starting handshakes and stalling");
    }
}
