package org.minipylib.wsgiserver.server;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A warning about something that comes in floods (connections refused for the connection limit,
 * {@code accept()} failing for want of file descriptors), logged at most once per interval so that
 * the flood cannot flood the log: the first occurrence is logged at once, later ones at most once
 * per interval with how many occurred since the last warning. Lock-free: an occurrence costs an
 * increment and, at most once per interval, a compare-and-set.
 */
public final class ThrottledWarning {

    /** The warning's text, built only when one is logged. */
    @FunctionalInterface
    public interface Text {
        /**
         * @param count           occurrences since the last warning (1: this one alone)
         * @param intervalSeconds the least time between two warnings
         */
        String of(long count, long intervalSeconds);
    }

    /** The default interval between two warnings. */
    static final long DEFAULT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final System.Logger log;
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    /** When the last warning was logged (at first: an interval before construction). */
    private final AtomicLong lastWarned;
    /** Occurrences not yet reported in a warning. */
    private final AtomicLong unreported = new AtomicLong();

    /** Warnings to {@code log}, at most one every 10 s. */
    public ThrottledWarning(System.Logger log) {
        this(log, DEFAULT_INTERVAL_NANOS, System::nanoTime);
    }

    ThrottledWarning(System.Logger log, long intervalNanos, LongSupplier nanoClock) {
        this.log = log;
        this.intervalNanos = intervalNanos;
        this.nanoClock = nanoClock;
        this.lastWarned = new AtomicLong(nanoClock.getAsLong() - intervalNanos);
    }

    /** Counts one occurrence, and logs a warning if one is due. */
    public void occurred(Text text) {
        unreported.incrementAndGet();
        long now = nanoClock.getAsLong();
        long last = lastWarned.get();
        if (now - last < intervalNanos || !lastWarned.compareAndSet(last, now)) return;
        long count = unreported.getAndSet(0);
        if (count <= 0) return;
        log.log(System.Logger.Level.WARNING, text.of(count, TimeUnit.NANOSECONDS.toSeconds(intervalNanos)));
    }
}
