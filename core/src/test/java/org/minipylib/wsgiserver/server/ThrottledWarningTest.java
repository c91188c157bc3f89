package org.minipylib.wsgiserver.server;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * Warnings about floods (connections refused for the limit, failing accepts) are logged at most
 * once per interval, with the count since the last one.
 */
class ThrottledWarningTest {

    private static final long INTERVAL = TimeUnit.SECONDS.toNanos(10);
    private static final ThrottledWarning.Text TEXT = (count, every) -> count + " since the last, every " + every + " s";

    private static List<String> warnings(LogCapture log, String prefix) {
        return log.records().stream().filter(r -> r.getLevel() == Level.WARNING).map(LogRecord::getMessage)
                .filter(m -> m.startsWith(prefix)).toList();
    }

    @Test
    void theFirstIsLoggedThenAtMostOncePerIntervalWithTheCount() {
        AtomicLong now = new AtomicLong(123_456_789L);
        try (LogCapture log = LogCapture.from(Level.WARNING)) {
            ThrottledWarning warning = new ThrottledWarning(System.getLogger("org.minipylib.wsgiserver"), INTERVAL, now::get);
            warning.occurred(TEXT);
            assertEquals(List.of("1 since the last, every 10 s"), warnings(log, ""));

            for (int i = 0; i < 1000; i++) {
                now.addAndGet(INTERVAL / 1000 - 1); // all within the interval
                warning.occurred(TEXT);
            }
            assertEquals(1, warnings(log, "").size(), "a flood within the interval logs nothing more");

            now.addAndGet(1000);
            warning.occurred(TEXT); // the interval has passed
            assertEquals(List.of("1 since the last, every 10 s", "1001 since the last, every 10 s"), warnings(log, ""));

            now.addAndGet(INTERVAL * 100); // quiet for a long time
            warning.occurred(TEXT);
            assertEquals("1 since the last, every 10 s", warnings(log, "").get(2));
        }
    }

    @Test
    void manyConnectionsRefusedForTheLimitLogOneWarning() throws Exception {
        try (LogCapture log = LogCapture.from(Level.WARNING);
             TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "hi"), b -> b.maxConnections(1));
             RawClient kept = server.connect()) {
            kept.send(get("/"));
            assertEquals(200, kept.read().status());
            for (int i = 0; i < 5; i++) {
                try (RawClient refused = server.connect()) {
                    assertEquals(503, refused.read().status());
                }
            }
            Poll.until(server.server()::statistics, st -> st.accepts() == 6, "six accepts");
            assertEquals(List.of("Connection limit (1) reached; refusing a connection (this warning is logged at most every 10 s)"),
                    warnings(log, "Connection limit"));
        }
    }
}
