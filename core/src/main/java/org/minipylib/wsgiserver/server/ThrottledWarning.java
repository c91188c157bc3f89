package org.minipylib.wsgiserver;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The warning that the connection limit refused a connection, logged at most once per interval so
 * that a flood of connections (an attack, a stampede) cannot flood the log: the first refusal is
 * logged at once, later ones at most once per interval with how many were refused since the last
 * warning. Lock-free: a refusal costs an increment and, at most once per interval, a compare-and-set.
 */
final class RefusalWarning {

    /** The default interval between two warnings. */
    static final long DEFAULT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final System.Logger log;
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    /** When the last warning was logged (at first: an interval before construction). */
    private final AtomicLong lastWarned;
    /** Refusals not yet reported in a warning. */
    private final AtomicLong unreported = new AtomicLong();

    RefusalWarning(System.Logger log) {
        this(log, DEFAULT_INTERVAL_NANOS, System::nanoTime);
    }

    RefusalWarning(System.Logger log, long intervalNanos, LongSupplier nanoClock) {
        this.log = log;
        this.intervalNanos = intervalNanos;
        this.nanoClock = nanoClock;
        this.lastWarned = new AtomicLong(nanoClock.getAsLong() - intervalNanos);
    }

    /** Counts a connection refused over {@code maxConnections}, and logs a warning if one is due. */
    void refused(int maxConnections) {
        unreported.incrementAndGet();
        long now = nanoClock.getAsLong();
        long last = lastWarned.get();
        if (now - last < intervalNanos || !lastWarned.compareAndSet(last, now)) return;
        long count = unreported.getAndSet(0);
        if (count <= 0) return;
        // as text: MessageFormat would group digits by locale (10,000)
        String limit = Integer.toString(maxConnections);
        String every = Long.toString(TimeUnit.NANOSECONDS.toSeconds(intervalNanos));
        if (count == 1) {
            log.log(System.Logger.Level.WARNING,
                    "Connection limit ({0}) reached; refusing a connection (this warning is logged at most every {1} s)",
                    limit, every);
        } else {
            log.log(System.Logger.Level.WARNING,
                    "Connection limit ({0}) reached; refused {1} connections since the last such warning"
                            + " (logged at most every {2} s)", limit, Long.toString(count), every);
        }
    }
}
