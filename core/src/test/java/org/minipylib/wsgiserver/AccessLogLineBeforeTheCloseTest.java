package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A response that closes its connection has its access-log line written before the close, as nginx
 * writes it: a client that has read to the end finds the line there, and requests made one after
 * the other are logged in that order.
 */
class AccessLogLineBeforeTheCloseTest {

    @Test
    void theLineIsWrittenBeforeTheClientSeesTheClose() throws Exception {
        List<AccessLogEntry> entries = new CopyOnWriteArrayList<>();
        try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "hello"), b -> b.accessLog(entries::add))) {
            for (int i = 0; i < 20; i++) {
                try (RawClient client = server.connect()) {
                    client.send("GET /" + i + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
                    client.readToEnd(); // the response, then the server's close
                }
                assertEquals(i + 1, entries.size(), "lines once the client saw the close");
                assertEquals("GET /" + i + " HTTP/1.1", entries.get(i).requestLine());
            }
        }
    }
}
