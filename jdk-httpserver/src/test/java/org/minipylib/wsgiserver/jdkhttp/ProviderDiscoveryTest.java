package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsServer;
import com.sun.net.httpserver.spi.HttpServerProvider;
import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.testing.RawClient;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * With this module on the path, the JDK's own factories make our servers: the service loader finds
 * the provider, {@code HttpServer.create} and {@code HttpsServer.create} return ours, and an
 * application that knows only the JDK's API is served.
 */
class ProviderDiscoveryTest {

    @Test
    void theServiceLoaderPicksOurProvider() {
        assertInstanceOf(WsgiHttpServerProvider.class, HttpServerProvider.provider());
    }

    @Test
    void httpServerCreateMakesOursAndServes() throws IOException {
        try (ServerFixture servers = new ServerFixture()) {
            HttpServer server = servers.track(HttpServer.create(ServerFixture.LOOPBACK_ANY_PORT, 0));
            assertInstanceOf(WsgiHttpServer.class, server);
            server.createContext("/hello", t -> TestHandlers.send(t, 200, 5, "hello"));
            server.start();
            try (RawClient c = new RawClient("127.0.0.1", ServerFixture.port(server))) {
                RawClient.Response r = c.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n").read();
                assertEquals("hello", r.bodyText());
                assertEquals("5", r.header("Content-Length"));
            }
        }
    }

    @Test
    void httpsServerCreateMakesOurs() throws IOException {
        HttpsServer server = HttpsServer.create();
        try {
            assertInstanceOf(WsgiHttpsServer.class, server);
            assertNull(server.getAddress(), "created unbound");
        } finally {
            server.stop(0);
        }
    }
}
