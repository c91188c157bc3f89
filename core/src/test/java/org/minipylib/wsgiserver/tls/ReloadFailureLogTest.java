package org.minipylib.wsgiserver.tls;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.testing.LogCapture;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A reload that keeps failing warns at its first failure, then of the same error at most once a
 * minute with the count since, and at once of a new error; the reload that works again says how many
 * failed before it.
 */
class ReloadFailureLogTest {

    private static final IOException NO_DESCRIPTORS = new FileSystemException("cert.pem: Too many open files");
    private static final IOException DENIED = new AccessDeniedException("key.pem");

    private static List<String> logged(LogCapture log) {
        return log.records().stream().map(r -> r.getLevel() + " " + r.getMessage()).toList();
    }

    @Test
    void theFirstFailureThenOnceAMinuteOrANewErrorThenTheRecovery() {
        AtomicLong now = new AtomicLong(42);
        try (LogCapture log = LogCapture.from(Level.INFO)) {
            ReloadFailureLog failures = new ReloadFailureLog(System.getLogger("org.minipylib.wsgiserver.tls.Test"), now::get);
            failures.failed(NO_DESCRIPTORS, "tried again at the next check");
            assertEquals(List.of("WARNING TLS certificate reload failed; keeping the current ones: " + NO_DESCRIPTORS
                    + " (tried again at the next check)"), logged(log));

            for (int i = 0; i < 59; i++) { // every second for a minute less one: nothing more
                now.addAndGet(1_000_000_000L);
                failures.failed(NO_DESCRIPTORS, "tried again at the next check");
            }
            assertEquals(1, log.records().size(), logged(log).toString());
            now.addAndGet(1_000_000_000L);
            failures.failed(NO_DESCRIPTORS, "tried again at the next check"); // a minute since the warning
            assertEquals("WARNING TLS certificate reload failed 60 times since the last such warning; keeping the current ones: "
                    + NO_DESCRIPTORS + " (tried again at the next check; the same error is logged at most once a minute)",
                    logged(log).get(1));

            now.addAndGet(1_000_000_000L);
            failures.failed(DENIED, "tried again at the next check"); // another error: at once
            assertEquals("WARNING TLS certificate reload failed; keeping the current ones: " + DENIED
                    + " (tried again at the next check; the same error is logged at most once a minute)", logged(log).get(2));

            failures.reloaded();
            assertEquals("INFO TLS certificates reloaded, after 62 failed attempts", logged(log).get(3));
            failures.reloaded();
            failures.failed(DENIED, "tried again once a file changes"); // a new run: warned of at once, counted afresh
            assertEquals(List.of("INFO TLS certificates reloaded",
                    "WARNING TLS certificate reload failed; keeping the current ones: " + DENIED + " (tried again once a file changes)"),
                    logged(log).subList(4, 6));
        }
    }
}
