package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.ListenOptions;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SO_REUSEPORT: two servers that both set it listen on one port and the kernel spreads connections
 * over both; without it, the second server cannot bind and says which address is taken.
 */
class ReusePortTest {

    /** Connections to try before giving up on seeing both servers (the kernel hashes each one). */
    private static final int MAX_CONNECTIONS = 500;

    private static final ListenOptions REUSE_PORT = ListenOptions.defaults().withReusePort(true);

    @Test
    void twoServersShareAPortAndBothServe() throws Exception {
        try (WsgiServer first = WsgiServer.builder(WsgiTestApps.text("200 OK", "first")).bind("127.0.0.1", 0)
                .listenOptions(REUSE_PORT).build().start();
             WsgiServer second = WsgiServer.builder(WsgiTestApps.text("200 OK", "second"))
                     .bind("127.0.0.1", first.port()).listenOptions(REUSE_PORT).build().start()) {
            assertEquals(first.port(), second.port());
            Set<String> servedBy = new HashSet<>();
            int connections = 0;
            while (servedBy.size() < 2 && connections < MAX_CONNECTIONS) {
                connections++;
                try (RawClient client = new RawClient("127.0.0.1", first.port())) {
                    client.send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
                    RawClient.Response r = client.read();
                    assertEquals(200, r.status());
                    servedBy.add(r.bodyText());
                }
            }
            assertEquals(Set.of("first", "second"), servedBy, "after " + connections + " connections");
        }
    }

    @Test
    void withoutTheOptionTheSecondBindFailsAndSaysWhere() throws Exception {
        try (WsgiServer first = WsgiServer.builder(WsgiTestApps.text("200 OK", "first")).bind("127.0.0.1", 0)
                .build().start()) {
            WsgiServer second = WsgiServer.builder(WsgiTestApps.text("200 OK", "second"))
                    .bind("127.0.0.1", first.port()).build();
            IOException e = assertThrows(java.net.BindException.class, second::start, "the type callers catch, as the JDK's");
            assertTrue(e.getMessage().startsWith("Cannot listen on 127.0.0.1:" + first.port() + ": "), e.getMessage());
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
            assertTrue(e.getMessage().contains("--reuse-port"), e.getMessage());
            assertEquals(java.util.List.of(), second.listeningAddresses(), "nothing is left listening");
        }
    }

    @Test
    void theOptionOnOneSideIsNotEnough() throws Exception {
        try (WsgiServer first = WsgiServer.builder(WsgiTestApps.text("200 OK", "first")).bind("127.0.0.1", 0)
                .build().start()) {
            WsgiServer second = WsgiServer.builder(WsgiTestApps.text("200 OK", "second"))
                    .bind("127.0.0.1", first.port()).listenOptions(REUSE_PORT).build();
            IOException e = assertThrows(IOException.class, second::start);
            assertTrue(e.getMessage().contains("without SO_REUSEPORT"), e.getMessage());
        }
    }
}
