package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestCertificates.Identity;
import org.minipylib.wsgiserver.testing.TlsClients;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The command line serving HTTPS, end to end with real clients, for each way of giving it
 * credentials and the options around them: an encrypted PKCS#8 key with its password file, a
 * separate chain file, a JKS key store, required client certificates, an explicit cipher list.
 */
class TlsCredentialOptionsTest {

    private static final String PASSWORD = "s3cret-pw";

    @TempDir
    static Path dir;
    static TestCertificates certs;
    static Identity server;
    static Path certificate;
    static SSLContext trustingClient;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.newCa(dir, "cli-tls-ca");
        server = certs.issue("localhost", "EC", "localhost");
        certificate = certs.certificatePem(server, "server.pem"); // the leaf alone
        trustingClient = certs.clientContext(null);
    }

    private static CliRun start(String... tlsOptions) {
        String[] args = new String[tlsOptions.length + 2];
        args[0] = "--bind";
        args[1] = "127.0.0.1:0";
        System.arraycopy(tlsOptions, 0, args, 2, tlsOptions.length);
        return CliRun.start(args);
    }

    private static HttpResponse<String> get(SSLContext client, CliRun cli) throws IOException, InterruptedException {
        HttpResponse<String> response = TlsClients.get(client, cli.server().port(), "/plaintext");
        assertEquals(200, response.statusCode());
        assertEquals("Hello, World!", response.body());
        return response;
    }

    @Test
    void encryptedPkcs8KeyWithItsPasswordFile() throws Exception {
        Path key = certs.encryptedPkcs8(server, "encrypted.key", PASSWORD.toCharArray());
        Path passwordFile = Files.writeString(dir.resolve("key-password.txt"), PASSWORD + "\n");
        try (CliRun cli = start("--ssl-certificate", certificate.toString(), "--ssl-private-key", key.toString(),
                "--ssl-private-key-password-file", passwordFile.toString())) {
            get(trustingClient, cli);
        }
    }

    @Test
    void chainFileIsSentAfterTheCertificate() throws Exception {
        try (CliRun cli = start("--ssl-certificate", certificate.toString(), "--ssl-private-key",
                certs.pkcs8(server, "chain.key").toString(), "--ssl-certificate-chain", certs.caPem().toString())) {
            Certificate[] sent = get(trustingClient, cli).sslSession().orElseThrow().getPeerCertificates();
            assertEquals(2, sent.length);
            assertEquals(server.certificate(), sent[0]);
            assertEquals(certs.caCertificate(), sent[1]);
        }
    }

    @Test
    void jksKeyStore() throws Exception {
        Path jks = certs.keyStore(server, "JKS", "server.jks", PASSWORD.toCharArray());
        try (CliRun cli = start("--ssl-keystore", jks.toString(), "--ssl-keystore-type", "JKS",
                "--ssl-keystore-password", PASSWORD)) {
            Certificate[] sent = get(trustingClient, cli).sslSession().orElseThrow().getPeerCertificates();
            assertEquals(server.certificate(), sent[0]);
        }
    }

    @Test
    void requiredClientCertificateFromTheCa() throws Exception {
        Identity clientIdentity = certs.issue("client-1", "EC");
        try (CliRun cli = start("--ssl-certificate", certificate.toString(), "--ssl-private-key",
                certs.pkcs8(server, "mtls.key").toString(), "--ssl-client-auth", "required", "--ssl-ca", certs.caPem().toString())) {
            SSLSession session = get(certs.clientContext(clientIdentity), cli).sslSession().orElseThrow();
            assertEquals(clientIdentity.certificate(), session.getLocalCertificates()[0]);
            assertThrows(IOException.class, () -> TlsClients.get(trustingClient, cli.server().port(), "/plaintext"));
        }
    }

    @Test
    void explicitCipherListIsUsedAsGiven() throws Exception {
        String cbc = "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"; // not among the defaults, enabled when named
        try (CliRun cli = start("--ssl-certificate", certificate.toString(), "--ssl-private-key",
                certs.pkcs8(server, "ciphers.key").toString(), "--ssl-ciphers", cbc)) {
            SSLSession session = get(trustingClient, cli).sslSession().orElseThrow();
            assertEquals(cbc, session.getCipherSuite());
            assertEquals("TLSv1.2", session.getProtocol());
        }
    }
}
