package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A request the server refused (400) just before stop() is in the access log, written before the
 * log closes: stop() must not take the refusing connection for an idle one and close it (and then
 * the log) under the refusal.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AccessLogRefusalAtStopTest {

    @Test
    void aRefusalAnsweredRightBeforeStopIsLoggedBeforeTheLogCloses() throws Exception {
        for (int i = 0; i < 100; i++) {
            List<String> events = new CopyOnWriteArrayList<>();
            AccessLog log = new AccessLog() {
                @Override
                public void log(AccessLogEntry entry) {
                    events.add("entry " + entry.status());
                }

                @Override
                public void close() {
                    events.add("closed");
                }
            };
            try (TestServer server = TestServer.start(WsgiTestApps.echo(), b -> b.accessLog(log));
                 RawClient client = server.connect()) {
                client.timeout(5_000);
                client.send("GET /\u0001 HTTP/1.1\r\nHost: a\r\n\r\n");
                assertEquals(400, client.read().status());
            } // stop() right after the client read the 400
            assertEquals(List.of("entry 400", "closed"), events, "round " + i);
        }
    }
}
