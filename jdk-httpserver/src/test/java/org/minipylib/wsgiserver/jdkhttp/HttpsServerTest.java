package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TlsClients;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An {@code HttpsServer} with an {@link HttpsConfigurator}: real TLS handshakes on loopback with
 * the configurator's SSL context, {@code configure} called per connection with the client's
 * address and its parameters applied, and {@link HttpsExchange}s that carry the TLS session.
 */
class HttpsServerTest {

    @TempDir
    static Path dir;
    static SSLContext serverContext;
    static SSLContext clientContext;

    @BeforeAll
    static void contexts() throws Exception {
        TestCertificates.LocalhostContexts contexts = TestCertificates.localhostContexts(dir, "jdkhttp-ca");
        serverContext = contexts.server();
        clientContext = contexts.client();
    }

    @Test
    void servesHttpsExchangesWithTheConfiguratorsContext() throws Exception {
        List<InetSocketAddress> configuredFor = new CopyOnWriteArrayList<>();
        try (ServerFixture servers = new ServerFixture()) {
            WsgiHttpsServer server = servers.track(WsgiHttpsServer.create(ServerFixture.LOOPBACK_ANY_PORT, 0));
            server.setHttpsConfigurator(new HttpsConfigurator(serverContext) {
                @Override
                public void configure(HttpsParameters params) {
                    configuredFor.add(params.getClientAddress());
                    SSLParameters ssl = getSSLContext().getDefaultSSLParameters();
                    ssl.setProtocols(new String[] {"TLSv1.2"});
                    params.setSSLParameters(ssl);
                }
            });
            server.createContext("/", t -> {
                HttpsExchange https = (HttpsExchange) t;
                TestHandlers.send(t, 200, 0, https.getSSLSession().getProtocol() + " " + t.getRequestURI());
            });
            server.start();
            assertThrows(IllegalStateException.class, () -> server.setHttpsConfigurator(new HttpsConfigurator(serverContext)));

            HttpResponse<String> r = TlsClients.get(clientContext, ServerFixture.port(server), "/secure?x=1");
            assertEquals(200, r.statusCode());
            assertEquals("TLSv1.2 /secure?x=1", r.body(), "the configurator's protocol choice holds");
            assertEquals(1, configuredFor.size());
            assertEquals("127.0.0.1", configuredFor.get(0).getAddress().getHostAddress());
        }
    }

    @Test
    void theConfiguratorsClientAuthenticationIsEnforced() throws Exception {
        try (ServerFixture servers = new ServerFixture()) {
            WsgiHttpsServer server = servers.track(WsgiHttpsServer.create(ServerFixture.LOOPBACK_ANY_PORT, 0));
            server.setHttpsConfigurator(new HttpsConfigurator(serverContext) {
                @Override
                public void configure(HttpsParameters params) {
                    SSLParameters ssl = getSSLContext().getDefaultSSLParameters();
                    ssl.setNeedClientAuth(true);
                    params.setSSLParameters(ssl);
                }
            });
            server.createContext("/", t -> TestHandlers.send(t, 200, 0, "never"));
            server.start();
            IOException refused = assertThrows(IOException.class, () -> {
                try (SSLSocket socket = TlsClients.connect(clientContext, ServerFixture.port(server), "localhost");
                     RawClient c = new RawClient(socket)) {
                    c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read();
                }
            });
            assertTrue(refused.getMessage() != null, "a client without a certificate is refused");
        }
    }
}
