package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.http.MinDataRate;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.post;

/**
 * A timeout or delay longer than the server's nanosecond clock can time ({@link HttpTimeouts#LONGEST},
 * about 292 years; {@code ChronoUnit.FOREVER} for "never") is refused when the configuration is made,
 * naming the setting: before, it was accepted and then failed every connection (a {@code long}
 * overflow). The longest one that can be timed serves as usual.
 */
class LongestDurationsTest {

    private static final Duration FOREVER = ChronoUnit.FOREVER.getDuration();

    @Test
    void aTimeoutLongerThanTheClockCanTimeIsRefusedByName() {
        HttpTimeouts t = HttpTimeouts.defaults();
        List<Supplier<Object>> settings = List.of(
                () -> t.withRequestHead(FOREVER), () -> t.withBodyRead(FOREVER), () -> t.withWrite(FOREVER),
                () -> t.withKeepAlive(FOREVER), () -> t.withHandshake(FOREVER), () -> t.withDrain(FOREVER),
                () -> new MinDataRate(100, FOREVER),
                () -> ServerConfig.builder().threadIdleTimeout(FOREVER).build(),
                () -> ServerConfig.builder().shutdownTimeout(FOREVER).build(),
                () -> ServerConfig.builder().drainDelay(FOREVER).build());
        List<String> names = List.of("requestHead", "bodyRead", "write", "keepAlive", "handshake", "drain", "grace",
                "threadIdleTimeout", "shutdownTimeout", "drainDelay");
        for (int i = 0; i < settings.size(); i++) {
            Supplier<Object> setting = settings.get(i);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, setting::get, names.get(i));
            assertTrue(e.getMessage().startsWith(names.get(i) + " must be at most 106751 days"), e.getMessage());
        }
    }

    @Test
    void theLongestTimeoutsServeAsUsual() throws Exception {
        Duration longest = HttpTimeouts.LONGEST;
        HttpTimeouts timeouts = new HttpTimeouts(longest, longest, longest, longest, longest, longest,
                new MinDataRate(1, longest));
        try (TestServer server = TestServer.start(WsgiTestApps.echo(), b -> b.timeouts(timeouts)
                .threadIdleTimeout(longest).shutdownTimeout(longest).maxConnectionAge(longest));
             RawClient client = server.connect()) {
            assertEquals("POST /a:hello", client.send(post("/a", "hello")).read().bodyText());
            assertEquals("POST /b:again", client.send(post("/b", "again")).read().bodyText());
        }
    }
}
