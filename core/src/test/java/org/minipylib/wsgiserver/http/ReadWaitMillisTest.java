package org.minipylib.wsgiserver.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A wait left in nanoseconds becomes a socket timeout in milliseconds rounded up: never 0 (a socket
 * would wait forever), never ending before the deadline, and at most {@link Integer#MAX_VALUE}.
 */
class ReadWaitMillisTest {

    @Test
    void aWaitIsRoundedUpToWholeMillisecondsAndNeverZero() {
        assertEquals(1, HttpTimeouts.waitMillis(1));
        assertEquals(1, HttpTimeouts.waitMillis(1_000_000));
        assertEquals(2, HttpTimeouts.waitMillis(1_000_001));
        assertEquals(30_000, HttpTimeouts.waitMillis(Duration.ofSeconds(30).toNanos()));
    }

    @Test
    void aVeryLongWaitIsCappedAtTheLongestSocketTimeout() {
        assertEquals(Integer.MAX_VALUE, HttpTimeouts.waitMillis(Long.MAX_VALUE));
        assertEquals(Integer.MAX_VALUE, HttpTimeouts.millis(HttpTimeouts.LONGEST));
        assertEquals(1, HttpTimeouts.millis(Duration.ofNanos(1)));
    }
}
