package org.minipylib.wsgiserver.http;

import java.time.Duration;
import java.util.Objects;

/**
 * The slowest a client may send a request body once the application (or the server, draining it)
 * reads it: on average at least {@code bytesPerSecond}, counted over the time spent waiting for the
 * client, after a {@code grace} period that lets a connection get going. A body that falls behind is
 * answered {@code 408} (if the response has not started) and the connection closed, so a client that
 * trickles its body cannot hold a worker for long. The same idea as Kestrel's
 * {@code MinRequestBodyDataRate}.
 *
 * @param bytesPerSecond the minimum average rate; 0 for none ({@link #NONE})
 * @param grace          how long the rate may be lower at first
 */
public record MinDataRate(long bytesPerSecond, Duration grace) {

    /** No minimum rate: only the body-read timeout bounds each wait. */
    public static final MinDataRate NONE = new MinDataRate(0, Duration.ZERO);

    public MinDataRate {
        Objects.requireNonNull(grace, "grace");
        if (bytesPerSecond < 0) throw new IllegalArgumentException("bytesPerSecond must be >= 0");
        if (grace.isNegative()) throw new IllegalArgumentException("grace must be >= 0");
        HttpTimeouts.atMostLongest(grace, "grace");
    }

    /** 240 bytes/s after a 5 s grace period (Kestrel's defaults). */
    public static MinDataRate defaults() {
        return new MinDataRate(240, Duration.ofSeconds(5));
    }

    /** True if there is a minimum. */
    public boolean isEnabled() {
        return bytesPerSecond > 0;
    }

    /**
     * How much longer a reader that has waited {@code waitedNanos} for {@code bytes} may wait for
     * the next byte before the average drops below the minimum (negative: it already has).
     */
    long nanosLeft(long bytes, long waitedNanos) {
        long earned = (long) Math.min(Long.MAX_VALUE / 2.0, bytes * 1e9 / bytesPerSecond);
        return Math.max(grace.toNanos(), earned) - waitedNanos;
    }
}
