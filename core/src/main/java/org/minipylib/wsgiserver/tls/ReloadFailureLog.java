package org.minipylib.wsgiserver.tls;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * What the interval's certificate reloads ({@link JsseSslAdapter}) log when they fail, and when one
 * works again. A reload that could not read a file is tried at every check while it fails, so it
 * must not warn at each: the first failure of a run is warned of at once, and so is one whose error
 * differs from the last one warned of; the same error again at most once a minute, with how many
 * attempts failed since the last warning. The reload that ends the run says (INFO) how many failed
 * before it. Not thread-safe: the adapter's reload lock guards it.
 */
final class ReloadFailureLog {

    /** The least time between two warnings of the same error. */
    static final long REPEAT_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final System.Logger log;
    private final LongSupplier nanoClock;
    private long failures; // since the last reload that worked
    private long unreported; // failures since the last warning
    private String lastWarned; // the error of the last warning in this run; null: none yet
    private long lastWarnedAt;

    ReloadFailureLog(System.Logger log, LongSupplier nanoClock) {
        this.log = log;
        this.nanoClock = nanoClock;
    }

    /**
     * A reload failed with {@code error}; {@code retry} says when it is tried again. Warned of if it
     * is the run's first, its error is new, or the last warning is a minute old.
     */
    void failed(Exception error, String retry) {
        failures++;
        unreported++;
        String reason = error.toString();
        long now = nanoClock.getAsLong();
        if (reason.equals(lastWarned) && now - lastWarnedAt < REPEAT_NANOS) return;
        log.log(System.Logger.Level.WARNING, "TLS certificate reload failed"
                + (unreported == 1 ? "" : " " + unreported + " times since the last such warning")
                + "; keeping the current ones: " + reason + " (" + retry
                + (failures == 1 ? ")" : "; the same error is logged at most once a minute)"));
        lastWarned = reason;
        lastWarnedAt = now;
        unreported = 0;
    }

    /** A reload worked: logged, with the failed attempts before it if any; the next failure starts a new run. */
    void reloaded() {
        if (failures == 0) {
            log.log(System.Logger.Level.INFO, "TLS certificates reloaded");
        } else {
            log.log(System.Logger.Level.INFO, "TLS certificates reloaded, after " + failures + " failed attempts");
        }
        failures = 0;
        unreported = 0;
        lastWarned = null;
    }
}
