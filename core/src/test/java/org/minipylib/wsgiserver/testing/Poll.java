package org.minipylib.wsgiserver.testing;

import java.util.function.Predicate;
import java.util.function.Supplier;

/** Waits for a state by bounded polling (never by sleeping and hoping). */
public final class Poll {

    private Poll() {
    }

    /** Reads {@code value} until {@code done} holds for it (at most {@link WsgiTestApps#WAIT_SECONDS}); returns that value. */
    public static <T> T until(Supplier<T> value, Predicate<T> done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WsgiTestApps.WAIT_SECONDS * 1_000_000_000L;
        T last = value.get();
        while (!done.test(last)) {
            if (System.nanoTime() - deadline > 0) throw new AssertionError("timed out waiting for " + what + "; last: " + last);
            Thread.sleep(10);
            last = value.get();
        }
        return last;
    }
}
