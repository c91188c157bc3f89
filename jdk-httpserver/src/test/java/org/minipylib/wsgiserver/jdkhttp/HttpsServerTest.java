package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.HttpHandler;
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
import java.util.function.Consumer;
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
            WsgiHttpsServer server = started(servers, params -> {
                configuredFor.add(params.getClientAddress());
                SSLParameters ssl = serverContext.getDefaultSSLParameters();
                ssl.setProtocols(new String[] {"TLSv1.2"});
                params.setSSLParameters(ssl);
            }, t -> {
                HttpsExchange https = (HttpsExchange) t;
                TestHandlers.send(t, 200, 0, https.getSSLSession().getProtocol() + " " + t.getRequestURI());
            });
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
            WsgiHttpsServer server = started(servers, params -> {
                SSLParameters ssl = serverContext.getDefaultSSLParameters();
                ssl.setNeedClientAuth(true);
                params.setSSLParameters(ssl);
            }, t -> TestHandlers.send(t, 200, 0, "never"));
            IOException refused = assertThrows(IOException.class, () -> {
                try (SSLSocket socket = TlsClients.connect(clientContext, ServerFixture.port(server), "localhost");
                     RawClient c = new RawClient(socket)) {
                    c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read();
                }
            });
            assertTrue(refused.getMessage() != null, "a client without a certificate is refused");
        }
    }

    /** As the JDK's server: names the engine does not know leave its own choice (they do not fail the handshake). */
    @Test
    @SuppressWarnings("deprecation") // the setters the JDK's server still honours when no SSLParameters are set
    void unknownProtocolsAndCipherSuitesFromTheOldSettersAreIgnored() throws Exception {
        try (ServerFixture servers = new ServerFixture()) {
            WsgiHttpsServer server = started(servers, params -> {
                params.setProtocols(new String[] {"TLSv1.3", "TLSv9.9"});
                params.setCipherSuites(new String[] {"TLS_NO_SUCH_SUITE"});
            }, t -> TestHandlers.send(t, 200, 0, "served"));
            HttpResponse<String> r = TlsClients.get(clientContext, ServerFixture.port(server), "/");
            assertEquals(200, r.statusCode());
            assertEquals("served", r.body());
        }
    }

    /** A started HTTPS server on loopback whose configurator runs {@code configure}, serving {@code handler} at {@code /}. */
    private static WsgiHttpsServer started(ServerFixture servers, Consumer<HttpsParameters> configure, HttpHandler handler)
            throws IOException {
        WsgiHttpsServer server = servers.track(WsgiHttpsServer.create(ServerFixture.LOOPBACK_ANY_PORT, 0));
        server.setHttpsConfigurator(new HttpsConfigurator(serverContext) {
            @Override
            public void configure(HttpsParameters params) {
                configure.accept(params);
            }
        });
        server.createContext("/", handler);
        server.start();
        return server;
    }
}
