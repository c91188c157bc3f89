package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link HttpTimeouts#builder()} starts from the defaults, each setter reaches its own component,
 * {@link HttpTimeouts#toBuilder()} copies every timeout, and {@code build()} checks them as the record does.
 */
class TimeoutsBuilderSetsEachTimeoutTest {

    private static final MinDataRate RATE = new MinDataRate(100, Duration.ofSeconds(7));

    @Test
    void startsFromTheDefaults() {
        HttpTimeouts timeouts = HttpTimeouts.builder().build();
        assertEquals(Duration.ofSeconds(10), timeouts.requestHead());
        assertEquals(Duration.ofSeconds(30), timeouts.bodyRead());
        assertEquals(Duration.ofSeconds(30), timeouts.write());
        assertEquals(Duration.ofSeconds(20), timeouts.keepAlive());
        assertEquals(Duration.ofSeconds(10), timeouts.handshake());
        assertEquals(Duration.ofSeconds(5), timeouts.drain());
        assertEquals(MinDataRate.defaults(), timeouts.minBodyRate());
        assertEquals(HttpTimeouts.defaults(), timeouts);
    }

    @Test
    void eachSetterSetsItsOwnTimeout() {
        assertEquals(new HttpTimeouts(seconds(1), seconds(2), seconds(3), seconds(4), seconds(5), seconds(6), RATE), allSet());
    }

    @Test
    void toBuilderCopiesEveryTimeout() {
        HttpTimeouts timeouts = allSet();
        assertEquals(timeouts, timeouts.toBuilder().build());
        assertEquals(timeouts.withKeepAlive(seconds(99)), timeouts.toBuilder().keepAlive(seconds(99)).build());
        assertEquals(new HttpTimeouts(seconds(9), seconds(9), seconds(9), seconds(9), seconds(9), seconds(9),
                MinDataRate.defaults()), HttpTimeouts.all(seconds(9)));
    }

    @Test
    void buildChecksTheTimeouts() {
        assertThrows(IllegalArgumentException.class, () -> HttpTimeouts.builder().write(Duration.ZERO).build());
        assertThrows(IllegalArgumentException.class, () -> HttpTimeouts.builder().drain(seconds(-1)).build());
        assertThrows(NullPointerException.class, () -> HttpTimeouts.builder().keepAlive(null).build());
        assertThrows(NullPointerException.class, () -> HttpTimeouts.builder().minBodyRate(null).build());
    }

    private static HttpTimeouts allSet() {
        return HttpTimeouts.builder().requestHead(seconds(1)).bodyRead(seconds(2)).write(seconds(3))
                .keepAlive(seconds(4)).handshake(seconds(5)).drain(seconds(6)).minBodyRate(RATE).build();
    }

    private static Duration seconds(long n) {
        return Duration.ofSeconds(n);
    }
}
