package org.minipylib.wsgiserver.testing;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Waits for a state by bounded polling (never by sleeping and hoping). */
public final class Poll {

    private Poll() {
    }

    /** Reads {@code value} until {@code done} holds for it (at most {@link WsgiTestApps#WAIT_SECONDS}); returns that value. */
    public static <T> T until(Supplier<T> value, Predicate<T> done, String what) throws InterruptedException {
        return until(value, done, Duration.ofSeconds(WsgiTestApps.WAIT_SECONDS), what);
    }

    /**
     * Reads {@code value} until {@code done} holds for it, for at most {@code within} (for a wait
     * known to take longer than {@link WsgiTestApps#WAIT_SECONDS} on a loaded machine); returns that value.
     */
    public static <T> T until(Supplier<T> value, Predicate<T> done, Duration within, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        T last = value.get();
        while (!done.test(last)) {
            if (System.nanoTime() - deadline > 0) throw new AssertionError("timed out after " + within.toMillis() + " ms waiting for " + what + "; last: " + last);
            Thread.sleep(10);
            last = value.get();
        }
        return last;
    }
}
