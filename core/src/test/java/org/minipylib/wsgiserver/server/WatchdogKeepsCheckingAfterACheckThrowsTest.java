package org.minipylib.wsgiserver.server;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.Poll;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The watchdog outlives a check that throws (a heap that ran out for a moment, a class that could
 * not load, any other failure): the error is logged and the checks run again at the next period.
 * Had its thread ended, no keep-alive, linger, write or setup timeout would be enforced any more.
 */
class WatchdogKeepsCheckingAfterACheckThrowsTest {

    static List<Throwable> failures() {
        return List.of(new IllegalStateException("a defect in a check"), new OutOfMemoryError("no heap for a moment"),
                new NoClassDefFoundError("no descriptor to load a class with"));
    }

    @ParameterizedTest
    @MethodSource("failures")
    void aCheckThatThrewIsLoggedAndTheChecksRunOn(Throwable failure) throws Exception {
        AtomicInteger runs = new AtomicInteger();
        Watchdog watchdog = new Watchdog(() -> {
            if (runs.incrementAndGet() == 1) throwUnchecked(failure);
        });
        try (LogCapture log = LogCapture.from(Level.SEVERE)) {
            watchdog.start();
            Poll.until(runs::get, n -> n >= 3, "the checks run again after the one that threw");
            List<LogRecord> errors = log.startingWith("Watchdog error");
            assertEquals(1, errors.size(), "logged once: " + log.messages());
            assertSame(failure, errors.get(0).getThrown());
        } finally {
            watchdog.stop();
        }
    }

    private static void throwUnchecked(Throwable failure) {
        if (failure instanceof RuntimeException e) throw e;
        throw (Error) failure;
    }
}
