package org.minipylib.wsgiserver.tls;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.TlsClients;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SslEngineAdapter} serves HTTPS with engines of an SSL context the caller built: a real
 * handshake on loopback, the engine factory told the client's address and the SNI name, and the
 * request answered over the TLS connection.
 */
class SslEngineAdapterTest {

    @TempDir
    static Path dir;
    static SSLContext server;
    static SSLContext client;

    @BeforeAll
    static void contexts() throws Exception {
        TestCertificates.LocalhostContexts contexts = TestCertificates.localhostContexts(dir, "engine-ca");
        server = contexts.server();
        client = contexts.client();
    }

    record Made(SocketAddress client, String serverName) {
    }

    @Test
    void servesHttpsWithTheCallersEnginesAndTellsTheFactoryTheClientAndTheServerName() throws Exception {
        List<Made> made = new CopyOnWriteArrayList<>();
        SslEngineAdapter adapter = new SslEngineAdapter((address, serverName) -> {
            made.add(new Made(address, serverName));
            SSLEngine engine = server.createSSLEngine();
            engine.setUseClientMode(false);
            return engine;
        });
        try (TestServer s = TestServer.start(WsgiTestApps.text("200 OK", "over TLS"), b -> b.sslAdapter(adapter));
             SSLSocket socket = TlsClients.connect(client, s.port(), "localhost")) {
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String response = readAll(socket.getInputStream());
            assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response);
            assertTrue(response.endsWith("\r\n\r\nover TLS"), response);
            assertEquals(1, made.size());
            assertEquals("localhost", made.get(0).serverName());
            assertEquals(socket.getLocalPort(), ((InetSocketAddress) made.get(0).client()).getPort());
        }
    }

    @Test
    void aFailedHandshakeIsCountedAsATlsFailure() throws Exception {
        SslEngineAdapter adapter = new SslEngineAdapter((address, serverName) -> {
            SSLEngine engine = server.createSSLEngine();
            engine.setUseClientMode(false);
            engine.setEnabledProtocols(new String[] {"TLSv1.2"});
            engine.setEnabledCipherSuites(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"});
            return engine;
        });
        try (TestServer s = TestServer.start(WsgiTestApps.text("200 OK", "x"), b -> b.sslAdapter(adapter))) {
            SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", s.port());
            socket.setSoTimeout(10_000);
            socket.setEnabledProtocols(new String[] {"TLSv1.3"});
            try (socket) {
                socket.startHandshake();
                throw new AssertionError("a handshake without a common protocol succeeded");
            } catch (IOException expected) {
                // the server has no protocol in common with this client
            }
            for (int i = 0; i < 200 && s.server().statistics().tlsHandshakeFailures() == 0; i++) Thread.sleep(10);
            assertEquals(1, s.server().statistics().tlsHandshakeFailures());
        }
    }

    private static String readAll(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
}
