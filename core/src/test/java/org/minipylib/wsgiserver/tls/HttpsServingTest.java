package org.minipylib.wsgiserver.tls;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.testing.EngineTlsClient;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestCertificates.Identity;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.TlsClients;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * HTTPS end to end with real handshakes on loopback: every credential form serves, keep-alive and
 * pipelining work over TLS, ALPN picks http/1.1, the protocol and cipher knobs hold, and the environ
 * has {@code https}, {@code HTTPS=on} and the mod_ssl variables.
 */
class HttpsServingTest {

    private static final char[] PASSWORD = "pw".toCharArray();

    @TempDir
    static Path dir;
    static TestCertificates certs;
    static Identity rsa;
    static Identity ec;
    static SSLContext client;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.newCa(dir, "serving-ca");
        rsa = certs.issue("localhost", "RSA", "localhost");
        ec = certs.issue("localhost", "EC", "localhost");
        client = certs.clientContext(null);
    }

    private static TlsCredentials credentials(String form) throws Exception {
        return switch (form) {
            case "pkcs8-rsa" -> TlsCredentials.pem(certs.certificatePem(rsa, "rsa.pem"), certs.pkcs8(rsa, "rsa.key"));
            case "pkcs1-rsa" -> TlsCredentials.pem(certs.certificatePem(rsa, "rsa.pem"), certs.pkcs1(rsa, "rsa1.key"));
            case "sec1-ec" -> TlsCredentials.pem(certs.certificatePem(ec, "ec.pem"), certs.sec1(ec, "ec1.key"));
            case "encrypted-pkcs8-ec" -> TlsCredentials.pem(certs.certificatePem(ec, "ec.pem"), null,
                    certs.encryptedPkcs8(ec, "ec-enc.key", PASSWORD), PASSWORD);
            case "pkcs12" -> TlsCredentials.keyStore(certs.keyStore(rsa, "PKCS12", "rsa.p12", PASSWORD), "PKCS12", PASSWORD);
            case "jks" -> TlsCredentials.keyStore(certs.keyStore(ec, "JKS", "ec.jks", PASSWORD), "JKS", PASSWORD);
            default -> throw new IllegalArgumentException(form);
        };
    }

    static TestServer start(org.minipylib.wsgiserver.WsgiApp app, TlsConfig config) throws Exception {
        JsseSslAdapter adapter = new JsseSslAdapter(config);
        return TestServer.start(app, b -> b.sslAdapter(adapter));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pkcs8-rsa", "pkcs1-rsa", "sec1-ec", "encrypted-pkcs8-ec", "pkcs12", "jks"})
    void everyCredentialFormServesHttps(String form) throws Exception {
        TlsCredentials credentials = credentials(form);
        try (TestServer server = start(WsgiTestApps.text("200 OK", "hello over TLS"), TlsConfig.builder(credentials).build())) {
            HttpResponse<String> response = TlsClients.get(client, server.port(), "/");
            assertEquals(200, response.statusCode());
            assertEquals("hello over TLS", response.body());
            assertEquals(credentials.load().chain()[0], response.sslSession().orElseThrow().getPeerCertificates()[0]);
        }
    }

    @Test
    void environHasHttpsAndModSslVariables() throws Exception {
        var capture = new WsgiTestApps.Capture();
        try (TestServer server = start(capture.app(), TlsConfig.builder(credentials("sec1-ec")).build());
             SSLSocket socket = TlsClients.connect(client, server.port(), "localhost");
             RawClient raw = new RawClient(socket)) {
            raw.send(get("/env"));
            assertEquals(200, raw.read().status());
            Environ env = capture.nextEnviron();
            assertEquals("https", env.get(Environ.WSGI_URL_SCHEME));
            assertEquals("on", env.get("HTTPS"));
            assertEquals(socket.getSession().getProtocol(), env.get("SSL_PROTOCOL"));
            assertEquals(socket.getSession().getCipherSuite(), env.get("SSL_CIPHER"));
            String bits = (String) env.get("SSL_CIPHER_USEKEYSIZE");
            assertTrue(bits.equals("128") || bits.equals("256"), bits);
            assertEquals(bits, env.get("SSL_CIPHER_ALGKEYSIZE"));
            assertTrue(((String) env.get("SSL_SESSION_ID")).matches("[0-9a-f]{2,}"), (String) env.get("SSL_SESSION_ID"));
            assertEquals("localhost", env.get("SSL_TLS_SNI"));
            assertEquals("NONE", env.get("SSL_CLIENT_VERIFY"));
            assertFalse(env.containsKey("SSL_CLIENT_CERT"));
            assertEquals(ec.certificate().getSubjectX500Principal().getName(), env.get("SSL_SERVER_S_DN")); // RFC 2253
            assertEquals("localhost", env.get("SSL_SERVER_S_DN_CN"));
            assertEquals("DE", env.get("SSL_SERVER_S_DN_C"));
            assertEquals("serving-ca", env.get("SSL_SERVER_I_DN_CN"));
            assertEquals(ec.certificate().getSerialNumber().toString(16).toUpperCase(java.util.Locale.ROOT),
                    env.get("SSL_SERVER_M_SERIAL"));
            assertTrue(((String) env.get("SSL_SERVER_V_END")).endsWith(" GMT"));
        }
    }

    @Test
    void plainHttpEnvironHasNoTlsVariables() throws Exception {
        var capture = new WsgiTestApps.Capture();
        try (TestServer server = TestServer.start(capture.app()); RawClient raw = server.connect()) {
            raw.send(get("/"));
            assertEquals(200, raw.read().status());
            Environ env = capture.nextEnviron();
            assertEquals("http", env.get(Environ.WSGI_URL_SCHEME));
            assertFalse(env.containsKey("HTTPS"));
            assertFalse(env.keySet().stream().anyMatch(k -> k.startsWith("SSL_")));
        }
    }

    @Test
    void keepAliveAndPipeliningOverTls() throws Exception {
        try (TestServer server = start(WsgiTestApps.echo(), TlsConfig.builder(credentials("pkcs8-rsa")).build());
             SSLSocket socket = TlsClients.connect(client, server.port(), null);
             RawClient raw = new RawClient(socket)) {
            raw.send(WsgiTestApps.post("/a", "one") + WsgiTestApps.post("/b", "two") + WsgiTestApps.post("/c", "three"));
            assertEquals("POST /a:one", raw.read().bodyText());
            assertEquals("POST /b:two", raw.read().bodyText());
            assertEquals("POST /c:three", raw.read().bodyText());
            byte[] big = new byte[200_000]; // many TLS records each way
            java.util.Arrays.fill(big, (byte) 'x');
            raw.send(WsgiTestApps.post("/big", new String(big, java.nio.charset.StandardCharsets.ISO_8859_1)));
            RawClient.Response response = raw.read();
            assertEquals(200, response.status());
            assertEquals("POST /big:".length() + big.length, response.body().length);
            raw.send(get("/again"));
            assertEquals(200, raw.read().status());
            assertEquals(1, server.server().openConnections());
        }
    }

    /** A client that ends with close_notify gets the server's close_notify back (RFC 8446 section 6.1), not just a closed socket. */
    @Test
    void theClientsCloseNotifyIsAnsweredWithTheServers() throws Exception {
        JsseSslAdapter adapter = new JsseSslAdapter(TlsConfig.builder(credentials("pkcs8-rsa")).build());
        for (WorkerMode mode : WorkerMode.values()) {
            try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "served"), b -> b.sslAdapter(adapter).workerMode(mode));
                 EngineTlsClient tls = EngineTlsClient.connect(client, server.port())) {
                tls.send(tls.record(get("/")));
                assertTrue(tls.readUntil("served").startsWith("HTTP/1.1 200 OK"));
                assertTrue(tls.closeNotifyAnswered(), "the server's close_notify (" + mode + ")");
            }
        }
    }

    /**
     * An idle connection the server closes (at the keep-alive timeout, or on a graceful stop) gets
     * close_notify first too, in both worker modes, and the server is left with no connection.
     */
    @Test
    void anIdleConnectionClosedByTheServerGetsCloseNotify() throws Exception {
        JsseSslAdapter adapter = new JsseSslAdapter(TlsConfig.builder(credentials("pkcs8-rsa")).build());
        for (WorkerMode mode : WorkerMode.values()) {
            try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "served"), b -> b.sslAdapter(adapter).workerMode(mode)
                    .timeouts(org.minipylib.wsgiserver.http.HttpTimeouts.defaults().withKeepAlive(java.time.Duration.ofMillis(500))))) {
                try (EngineTlsClient tls = EngineTlsClient.connect(client, server.port())) {
                    tls.send(tls.record(get("/")));
                    assertTrue(tls.readUntil("served").startsWith("HTTP/1.1 200 OK"));
                    assertTrue(tls.serverSentCloseNotify(), "close_notify at the keep-alive timeout (" + mode + ")");
                }
                org.minipylib.wsgiserver.testing.Poll.until(server.server()::openConnections, n -> n == 0, "no open connections (" + mode + ")");
            }
            try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "served"), b -> b.sslAdapter(adapter).workerMode(mode));
                 EngineTlsClient tls = EngineTlsClient.connect(client, server.port())) {
                tls.send(tls.record(get("/")));
                assertTrue(tls.readUntil("served").startsWith("HTTP/1.1 200 OK"));
                Thread stopping = Thread.ofVirtual().start(server::close);
                assertTrue(tls.serverSentCloseNotify(), "close_notify on a graceful stop (" + mode + ")");
                stopping.join(java.time.Duration.ofSeconds(10));
                assertEquals(0, server.server().openConnections());
            }
        }
    }

    @Test
    void alpnChoosesHttp11() throws Exception {
        try (TestServer server = start(WsgiTestApps.text("200 OK", "x"), TlsConfig.builder(credentials("pkcs8-rsa")).build());
             SSLSocket offersBoth = TlsClients.connect(client, server.port(), null, "h2", "http/1.1");
             SSLSocket offersOnlyH2 = TlsClients.connect(client, server.port(), null, "h2")) {
            assertEquals("http/1.1", offersBoth.getApplicationProtocol());
            assertEquals("", offersOnlyH2.getApplicationProtocol()); // served without ALPN, not refused
        }
    }

    @Test
    void protocolAndCipherKnobs() throws Exception {
        String suite = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384";
        TlsConfig config = TlsConfig.builder(credentials("sec1-ec")).protocols(List.of("TLSv1.2")).cipherSuites(List.of(suite)).build();
        var capture = new WsgiTestApps.Capture();
        try (TestServer server = start(capture.app(), config)) {
            HttpResponse<String> response = TlsClients.get(client, server.port(), "/");
            assertEquals(200, response.statusCode());
            Environ env = capture.nextEnviron();
            assertEquals("TLSv1.2", env.get("SSL_PROTOCOL"));
            assertEquals(suite, env.get("SSL_CIPHER"));
            assertEquals("256", env.get("SSL_CIPHER_USEKEYSIZE"));

            SSLSocket tls13Only = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", server.port());
            try (tls13Only) {
                tls13Only.setSoTimeout(10_000);
                SSLParameters params = tls13Only.getSSLParameters();
                params.setProtocols(new String[] {"TLSv1.3"});
                tls13Only.setSSLParameters(params);
                assertThrows(SSLHandshakeException.class, tls13Only::startHandshake);
            }
        }
    }

    @Test
    void explicitProviderServes() throws Exception {
        java.security.Provider jsse = java.security.Security.getProvider("SunJSSE");
        TlsConfig config = TlsConfig.builder(credentials("sec1-ec")).provider(jsse).build();
        try (TestServer server = start(WsgiTestApps.text("200 OK", "via provider"), config)) {
            assertEquals("via provider", TlsClients.get(client, server.port(), "/").body());
        }
    }

    @Test
    void unknownProtocolOrCipherIsRefusedAtConfiguration() throws Exception {
        TlsCredentials credentials = credentials("sec1-ec");
        var e = assertThrows(GeneralSecurityException.class,
                () -> new JsseSslAdapter(TlsConfig.builder(credentials).protocols(List.of("TLSv9")).build()));
        assertTrue(e.getMessage().contains("TLSv9"), e.getMessage());
        assertThrows(GeneralSecurityException.class,
                () -> new JsseSslAdapter(TlsConfig.builder(credentials).cipherSuites(List.of("TLS_NOPE")).build()));
    }

    /** Known names that can never make a handshake (a protocol the JDK disables, suites of another protocol) fail at configuration too. */
    @Test
    void aConfigurationNoHandshakeCanSucceedWithIsRefusedAtConfiguration() throws Exception {
        TlsCredentials credentials = credentials("sec1-ec");
        var disabled = assertThrows(GeneralSecurityException.class,
                () -> new JsseSslAdapter(TlsConfig.builder(credentials).protocols(List.of("TLSv1")).build()));
        assertTrue(disabled.getMessage().contains("No TLS handshake is possible"), disabled.getMessage());
        assertThrows(GeneralSecurityException.class, () -> new JsseSslAdapter(TlsConfig.builder(credentials)
                .protocols(List.of("TLSv1.3")).cipherSuites(List.of("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")).build()));
    }
}
