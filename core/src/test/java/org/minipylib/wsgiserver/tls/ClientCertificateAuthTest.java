package org.minipylib.wsgiserver.tls;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestCertificates.Identity;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.TlsClients;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * Client certificates: {@code required} serves a client whose certificate the CA bundle vouches for
 * (with the SSL_CLIENT_* variables) and refuses one without or with a stranger's; {@code optional}
 * serves both kinds; {@code none} never asks.
 */
class ClientCertificateAuthTest {

    @TempDir
    static Path dir;
    static TestCertificates certs;
    static TlsCredentials server;
    static Path clientCa;
    static Identity alice;
    static SSLContext withCertificate;
    static SSLContext withoutCertificate;
    static SSLContext withStrangersCertificate;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.newCa(dir, "auth-ca");
        Identity serverId = certs.issue("localhost", "EC", "localhost");
        server = TlsCredentials.pem(certs.certificatePem(serverId, "server.pem"), certs.pkcs8(serverId, "server.key"));
        clientCa = certs.caPem();
        alice = certs.issue("alice", "EC");
        withCertificate = certs.clientContext(alice);
        withoutCertificate = certs.clientContext(null);
        TestCertificates stranger = TestCertificates.newCa(dir, "stranger-ca");
        Identity mallory = stranger.issue("mallory", "EC");
        withStrangersCertificate = certs.clientContext(new Identity(mallory.keys(), mallory.certificate(), mallory.ca()));
    }

    private static TestServer start(org.minipylib.wsgiserver.WsgiApp app, ClientAuth mode) throws Exception {
        return HttpsServingTest.start(app, TlsConfig.builder(server).clientAuth(mode).clientCa(clientCa).build());
    }

    /** A TLS 1.3 server checks the client certificate after the client's handshake ends: the refusal shows on first use. */
    private static void assertRefused(SSLContext context, int port) {
        assertThrows(IOException.class, () -> {
            try (SSLSocket socket = TlsClients.connect(context, port, null); RawClient raw = new RawClient(socket)) {
                raw.send(get("/"));
                raw.read();
            }
        });
    }

    @Test
    void requiredServesAVouchedForClientWithItsVariables() throws Exception {
        var capture = new WsgiTestApps.Capture();
        try (TestServer s = start(capture.app(), ClientAuth.REQUIRED)) {
            HttpResponse<String> response = TlsClients.get(withCertificate, s.port(), "/");
            assertEquals(200, response.statusCode());
            Environ env = capture.nextEnviron();
            assertEquals("SUCCESS", env.get("SSL_CLIENT_VERIFY"));
            assertEquals("alice", env.get("SSL_CLIENT_S_DN_CN"));
            assertEquals("testing", env.get("SSL_CLIENT_S_DN_OU"));
            assertEquals("auth-ca", env.get("SSL_CLIENT_I_DN_CN"));
            assertEquals(alice.certificate().getSerialNumber().toString(16).toUpperCase(java.util.Locale.ROOT),
                    env.get("SSL_CLIENT_M_SERIAL"));
            assertEquals(alice.certificate().getSubjectX500Principal().getName(), env.get("SSL_CLIENT_S_DN"));
            String pem = (String) env.get("SSL_CLIENT_CERT");
            X509Certificate parsed = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
            assertEquals(alice.certificate(), parsed);
            String start = (String) env.get("SSL_CLIENT_V_START");
            assertEquals(java.time.format.DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss yyyy 'GMT'", java.util.Locale.ROOT)
                    .withZone(java.time.ZoneOffset.UTC).format(alice.certificate().getNotBefore().toInstant()), start);
        }
    }

    /**
     * A name in a certificate the CA vouched for is still the client's text: its control characters
     * reach the environ escaped as mod_ssl escapes them, never as a line break an application could
     * log or put in a header.
     */
    @Test
    void controlCharactersInTheClientsNamesAreEscaped() throws Exception {
        // (the DN escapes the backslash: the name holds the text \0A, not a line feed)
        Identity odd = certs.issue("eve\r\nX-Injected: 1\u001b[31m \\\\0A", "EC");
        var capture = new WsgiTestApps.Capture();
        try (TestServer s = start(capture.app(), ClientAuth.REQUIRED)) {
            assertEquals(200, TlsClients.get(certs.clientContext(odd), s.port(), "/").statusCode());
            Environ env = capture.nextEnviron();
            assertEquals("SUCCESS", env.get("SSL_CLIENT_VERIFY"));
            // the backslash doubled, as OpenSSL does: the text \0A is not a line feed escaped
            assertEquals("eve\\0D\\0AX-Injected: 1\\1B[31m \\\\0A", env.get("SSL_CLIENT_S_DN_CN"));
            String dn = (String) env.get("SSL_CLIENT_S_DN");
            assertFalse(dn.contains("\n") || dn.contains("\r") || dn.contains("\u001b"), dn);
        }
    }

    @Test
    void requiredRefusesClientsWithoutOrWithAStrangersCertificate() throws Exception {
        try (TestServer s = start(WsgiTestApps.text("200 OK", "secret"), ClientAuth.REQUIRED)) {
            assertRefused(withoutCertificate, s.port());
            assertRefused(withStrangersCertificate, s.port());
            assertEquals(200, TlsClients.get(withCertificate, s.port(), "/").statusCode()); // still serving
        }
    }

    @Test
    void optionalServesClientsWithAndWithoutCertificates() throws Exception {
        var capture = new WsgiTestApps.Capture();
        try (TestServer s = start(capture.app(), ClientAuth.OPTIONAL)) {
            assertEquals(200, TlsClients.get(withoutCertificate, s.port(), "/").statusCode());
            assertEquals("NONE", capture.nextEnviron().get("SSL_CLIENT_VERIFY"));
            assertEquals(200, TlsClients.get(withCertificate, s.port(), "/").statusCode());
            Environ env = capture.nextEnviron();
            assertEquals("SUCCESS", env.get("SSL_CLIENT_VERIFY"));
            assertEquals("alice", env.get("SSL_CLIENT_S_DN_CN"));
            assertRefused(withStrangersCertificate, s.port()); // a certificate that is offered must still check out
        }
    }

    @Test
    void noneNeverAsks() throws Exception {
        var capture = new WsgiTestApps.Capture();
        try (TestServer s = start(capture.app(), ClientAuth.NONE)) {
            assertEquals(200, TlsClients.get(withCertificate, s.port(), "/").statusCode());
            Environ env = capture.nextEnviron();
            assertEquals("NONE", env.get("SSL_CLIENT_VERIFY"));
            assertFalse(env.containsKey("SSL_CLIENT_S_DN"));
        }
    }

    @Test
    void clientAuthWithoutCaBundleIsAConfigurationError() {
        assertThrows(IllegalArgumentException.class, () -> TlsConfig.builder(server).clientAuth(ClientAuth.REQUIRED).build());
    }
}
