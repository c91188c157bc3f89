package org.minipylib.wsgiserver.testing;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Asserts that a timeout fired when it should, not merely eventually: no earlier than the timeout
 * (less 20 % for clock and timer granularity) and no later than the timeout plus
 * max(1 s, twice the timeout), which is generous enough for a loaded machine and still catches a
 * deadline several times too long.
 *
 * <p>Take the start with {@link System#nanoTime()} just <em>before</em> the action that starts the
 * server's clock (connecting, sending the first or last bytes): the server can only start its clock
 * later, so a descheduled client can only make the measured time longer, never shorter.
 */
public final class TimeoutWindow {

    private TimeoutWindow() {
    }

    /** A value and the {@link System#nanoTime()} at which it was obtained. */
    public record Timed<T>(T value, long atNanos) {
    }

    /** The earliest the timeout may fire: 80 % of it. */
    public static Duration earliest(Duration timeout) {
        return timeout.multipliedBy(4).dividedBy(5);
    }

    /** The latest the timeout may fire: the timeout plus max(1 s, twice the timeout). */
    public static Duration latest(Duration timeout) {
        Duration slack = timeout.multipliedBy(2);
        if (slack.compareTo(Duration.ofSeconds(1)) < 0) slack = Duration.ofSeconds(1);
        return timeout.plus(slack);
    }

    /** Asserts that what ended now (the close, the 408) came within the window of {@code timeout} after {@code startNanos}. */
    public static Duration assertFiredInWindow(Duration timeout, long startNanos, String what) {
        return assertFiredInWindow(timeout, startNanos, System.nanoTime(), what);
    }

    /** Asserts that {@code endNanos - startNanos} is within the window of {@code timeout}; returns it. */
    public static Duration assertFiredInWindow(Duration timeout, long startNanos, long endNanos, String what) {
        Duration took = Duration.ofNanos(endNanos - startNanos);
        if (took.compareTo(earliest(timeout)) < 0 || took.compareTo(latest(timeout)) > 0) {
            throw new AssertionError(what + " after " + took.toMillis() + " ms; expected at the " + timeout.toMillis()
                    + " ms timeout, between " + earliest(timeout).toMillis() + " and " + latest(timeout).toMillis() + " ms");
        }
        return took;
    }

    /**
     * Runs a blocking wait (a read until the server closes, say) on a thread of its own and
     * completes with its result and the time it returned, so the test can go on meanwhile (serving
     * other clients) without delaying the measurement.
     */
    public static <T> CompletableFuture<Timed<T>> inBackground(Callable<T> blockingWait) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                T value = blockingWait.call();
                return new Timed<>(value, System.nanoTime());
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, task -> Thread.ofPlatform().daemon().name("timeout-window-wait").start(task));
    }
}
