package org.minipylib.wsgiserver;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/** The connection-limit warning is logged at most once per interval, with the count refused since. */
class RefusalWarningTest {

    private static final long INTERVAL = TimeUnit.SECONDS.toNanos(10);

    private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    private final Logger logger = Logger.getLogger("org.minipylib.wsgiserver");
    private final Handler capture = new Handler() {
        @Override public void publish(LogRecord record) { logged.add(record); }
        @Override public void flush() { }
        @Override public void close() { }
    };

    @BeforeEach
    void captureLog() {
        logger.addHandler(capture);
    }

    @AfterEach
    void restoreLog() {
        logger.removeHandler(capture);
    }

    /** The connection-limit warnings captured, formatted. */
    private List<String> warnings() {
        SimpleFormatter formatter = new SimpleFormatter();
        return logged.stream().filter(r -> r.getLevel() == Level.WARNING).map(formatter::formatMessage)
                .filter(m -> m.startsWith("Connection limit")).toList();
    }

    @Test
    void theFirstRefusalIsLoggedThenAtMostOncePerIntervalWithTheCount() {
        AtomicLong now = new AtomicLong(123_456_789L);
        RefusalWarning warning = new RefusalWarning(System.getLogger("org.minipylib.wsgiserver"), INTERVAL, now::get);

        warning.refused(7);
        assertEquals(List.of("Connection limit (7) reached; refusing a connection"
                + " (this warning is logged at most every 10 s)"), warnings());

        for (int i = 0; i < 1000; i++) {
            now.addAndGet(INTERVAL / 1000 - 1); // all within the interval
            warning.refused(7);
        }
        assertEquals(1, warnings().size(), "a flood within the interval logs nothing more");

        now.addAndGet(1000);
        warning.refused(7); // the interval has passed
        assertEquals(2, warnings().size());
        assertEquals("Connection limit (7) reached; refused 1001 connections since the last such warning"
                + " (logged at most every 10 s)", warnings().get(1));

        now.addAndGet(INTERVAL * 100); // quiet for a long time
        warning.refused(7);
        assertEquals(3, warnings().size());
        assertEquals("Connection limit (7) reached; refusing a connection (this warning is logged at most every 10 s)",
                warnings().get(2));
    }

    @Test
    void manyRefusedConnectionsLogOneWarning() throws Exception {
        try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "hi"), b -> b.maxConnections(1));
             RawClient kept = server.connect()) {
            kept.send(get("/"));
            assertEquals(200, kept.read().status());
            for (int i = 0; i < 5; i++) {
                try (RawClient refused = server.connect()) {
                    assertEquals(503, refused.read().status());
                }
            }
            Poll.until(server.server()::statistics, st -> st.accepts() == 6, "six accepts");
            assertEquals(1, warnings().size(), warnings()::toString);
        }
    }
}
