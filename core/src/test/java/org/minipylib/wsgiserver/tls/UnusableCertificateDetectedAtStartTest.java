package org.minipylib.wsgiserver.tls;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestCertificates.Identity;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.TlsClients;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.text.MessageFormat;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.logging.Level;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A certificate no client can shake hands with, under the configured protocols and cipher suites
 * (an RSA key with only ECDSA suites, say), fails when the adapter is built or reloaded, not at
 * every client's handshake; a protocol that cannot work with it while another can, and a
 * certificate not valid now, are logged as warnings at start.
 */
class UnusableCertificateDetectedAtStartTest {

    private static final String ECDSA_TLS12_SUITE = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
    private static final String TLS13_SUITE = "TLS_AES_128_GCM_SHA256";

    @TempDir
    static Path dir;
    static TestCertificates certs;
    static Identity rsa;
    static Identity ec;
    static SSLContext client;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.newCa(dir, "probe-ca");
        rsa = certs.issue("localhost", "RSA", "localhost");
        ec = certs.issue("localhost", "EC", "localhost");
        client = certs.clientContext(null);
    }

    private static TlsCredentials pem(Identity id, String name) throws Exception {
        return TlsCredentials.pem(certs.certificatePem(id, name + ".pem"), certs.pkcs8(id, name + ".key"));
    }

    private static List<String> warnings(LogCapture log) {
        return log.records().stream().filter(r -> r.getLevel() == Level.WARNING)
                .map(r -> MessageFormat.format(r.getMessage(), r.getParameters())).toList();
    }

    @Test
    void anRsaKeyWithOnlyEcdsaSuitesIsRefused() throws Exception {
        TlsConfig config = TlsConfig.builder(pem(rsa, "rsa")).protocols(List.of("TLSv1.2"))
                .cipherSuites(List.of(ECDSA_TLS12_SUITE)).build();
        var e = assertThrows(GeneralSecurityException.class, () -> new JsseSslAdapter(config));
        assertTrue(e.getMessage().contains("No TLS handshake is possible with the default certificate"), e.getMessage());
        assertTrue(e.getMessage().contains("TLSv1.2="), e.getMessage());
        // The same suite with an EC key works: the check is about the pair, not the suite alone.
        new JsseSslAdapter(TlsConfig.builder(pem(ec, "ec")).protocols(List.of("TLSv1.2")).cipherSuites(List.of(ECDSA_TLS12_SUITE)).build());
    }

    @Test
    void anSniHostsCertificateNoClientCanUseIsRefusedByName() throws Exception {
        TlsConfig config = TlsConfig.builder(pem(ec, "ec")).protocols(List.of("TLSv1.2")).cipherSuites(List.of(ECDSA_TLS12_SUITE))
                .sni("rsa.example", pem(rsa, "rsa-sni")).build();
        var e = assertThrows(GeneralSecurityException.class, () -> new JsseSslAdapter(config));
        assertTrue(e.getMessage().contains("the certificate for rsa.example"), e.getMessage());
    }

    /** TLS 1.3 suites suit any key; the TLS 1.2 ones here do not suit RSA: 1.3 clients connect, 1.2 ones cannot, and the log says so. */
    @Test
    void aProtocolNoClientCanUseIsWarnedAboutAndTheOtherServes() throws Exception {
        TlsConfig config = TlsConfig.builder(pem(rsa, "rsa")).protocols(List.of("TLSv1.3", "TLSv1.2"))
                .cipherSuites(List.of(TLS13_SUITE, ECDSA_TLS12_SUITE)).build();
        JsseSslAdapter adapter;
        try (LogCapture log = LogCapture.from(Level.WARNING)) {
            adapter = new JsseSslAdapter(config);
            List<String> warnings = warnings(log);
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).startsWith("TLSv1.2 clients cannot connect with the default certificate: "), warnings.get(0));
        }
        try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "over 1.3"), b -> b.sslAdapter(adapter))) {
            try (SSLSocket tls13 = TlsClients.connect(client, server.port(), null)) {
                assertEquals("TLSv1.3", tls13.getSession().getProtocol());
            }
            try (SSLSocket tls12 = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", server.port())) {
                tls12.setSoTimeout(10_000);
                tls12.setEnabledProtocols(new String[] {"TLSv1.2"});
                assertThrows(SSLHandshakeException.class, tls12::startHandshake);
            }
        }
    }

    @Test
    void aConfigurationEveryProtocolWorksWithLogsNoWarning() throws Exception {
        try (LogCapture log = LogCapture.from(Level.WARNING)) {
            new JsseSslAdapter(TlsConfig.builder(pem(rsa, "rsa")).build());
            new JsseSslAdapter(TlsConfig.builder(pem(ec, "ec")).clientAuth(ClientAuth.REQUIRED).clientCa(certs.caPem()).build());
            assertEquals(List.of(), warnings(log));
        }
    }

    @Test
    void anExpiredOrNotYetValidCertificateIsWarnedAbout() throws Exception {
        Instant now = Instant.now();
        Identity expired = certs.issue("localhost", "EC", now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1)), "localhost");
        Identity future = certs.issue("localhost", "EC", now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(30)), "localhost");
        try (LogCapture log = LogCapture.from(Level.WARNING)) {
            new JsseSslAdapter(TlsConfig.builder(pem(expired, "expired")).sni("future.example", pem(future, "future")).build());
            List<String> warnings = warnings(log);
            assertEquals(2, warnings.size(), warnings.toString());
            assertTrue(warnings.contains("the certificate for future.example is not valid before "
                    + future.certificate().getNotBefore().toInstant() + ": clients will refuse it"), warnings.toString());
            assertTrue(warnings.contains("the default certificate expired on "
                    + expired.certificate().getNotAfter().toInstant() + ": clients will refuse it"), warnings.toString());
        }
    }

    /** Puts {@code id}'s certificate and key in place as {@code cert} and {@code key}, as a renewal would. */
    private static void install(Identity id, Path cert, Path key) throws Exception {
        Files.copy(certs.certificatePem(id, "installing.pem"), cert, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(certs.pkcs8(id, "installing.key"), key, StandardCopyOption.REPLACE_EXISTING);
    }

    /** A reload that would bring in a certificate no client can use keeps the old one. */
    @Test
    void aReloadToAnUnusableCertificateKeepsTheOldOne() throws Exception {
        Path cert = dir.resolve("live.pem");
        Path key = dir.resolve("live.key");
        install(ec, cert, key);
        JsseSslAdapter adapter = new JsseSslAdapter(TlsConfig.builder(TlsCredentials.pem(cert, key))
                .protocols(List.of("TLSv1.2")).cipherSuites(List.of(ECDSA_TLS12_SUITE)).build());
        install(rsa, cert, key);
        var e = assertThrows(GeneralSecurityException.class, adapter::reload);
        assertTrue(e.getMessage().contains("No TLS handshake is possible"), e.getMessage());
        try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "still ec"), b -> b.sslAdapter(adapter));
             SSLSocket socket = TlsClients.connect(client, server.port(), null)) {
            assertEquals(ec.certificate(), socket.getSession().getPeerCertificates()[0]);
        }
    }

    /** A reload that read the files but refused them is not tried (nor warned of) again at every interval, only once a file changes again. */
    @Test
    void aFailedReloadIsNotRetriedUntilAFileChanges() throws Exception {
        Path cert = dir.resolve("interval.pem");
        Path key = dir.resolve("interval.key");
        install(ec, cert, key);
        JsseSslAdapter adapter = new JsseSslAdapter(TlsConfig.builder(TlsCredentials.pem(cert, key)).protocols(List.of("TLSv1.2"))
                .cipherSuites(List.of(ECDSA_TLS12_SUITE)).reloadInterval(Duration.ofMillis(20)).build());
        try (LogCapture log = LogCapture.from(Level.WARNING)) {
            install(rsa, cert, key);
            org.minipylib.wsgiserver.testing.Poll.until(() -> {
                adapter.tick();
                return log.startingWith("TLS certificate reload failed").size();
            }, n -> n > 0, "the failed reload's warning");
            for (int i = 0; i < 20; i++) { // 20 more intervals
                Thread.sleep(25);
                adapter.tick();
            }
            Thread.sleep(200); // a reload the last tick started has ended
            assertEquals(1, log.startingWith("TLS certificate reload failed").size(), log.messages().toString());
        }
    }

    /** SSLv2Hello is a ClientHello format the JDK can accept, not a protocol a client connects with: not probed, not warned of. */
    @Test
    void sslV2HelloIsNotProbed() throws Exception {
        try (LogCapture log = LogCapture.from(Level.WARNING)) {
            new JsseSslAdapter(TlsConfig.builder(pem(ec, "ec")).protocols(List.of("TLSv1.3", "TLSv1.2", "SSLv2Hello")).build());
            assertEquals(List.of(), warnings(log));
        }
    }

    /**
     * A certificate over a JDK client's own limit (its handshake message size, 32 KiB by default):
     * other clients (OpenSSL's limit is 100 KiB) connect, so it serves, with a warning.
     */
    @Test
    void aFailureOfTheJdkClientAloneIsAWarning() throws Exception {
        String[] names = new String[1400];
        for (int i = 0; i < names.length; i++) names[i] = "host-" + i + ".many-names.example";
        Identity large = certs.issue("localhost", "EC", names);
        assertTrue(large.certificate().getEncoded().length > 32 * 1024, "the certificate is over the JDK client's limit");
        try (LogCapture log = LogCapture.from(Level.WARNING)) {
            new JsseSslAdapter(TlsConfig.builder(pem(large, "large")).build());
            List<String> warnings = warnings(log);
            assertEquals(2, warnings.size(), warnings.toString());
            assertTrue(warnings.stream().allMatch(w -> w.startsWith("A JDK client offering TLSv1.")
                    && w.contains("could not shake hands with the default certificate, other clients may")), warnings.toString());
        }
    }

    /**
     * The JVM's {@code jdk.tls.client.*} settings (an application's, for its own outgoing calls) do
     * not decide whether the server starts: here its clients offer ECDSA signatures only, and the
     * certificate is RSA. Runs in a child JVM, which reads the setting at its start.
     */
    @Test
    void theJvmsClientSettingsDoNotDecide() throws Exception {
        Path out = Files.createTempFile(dir, "client-settings", ".txt");
        String javaCommand = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(javaCommand, "-Xmx128m", "-Djdk.tls.client.SignatureSchemes=ecdsa_secp256r1_sha256",
                "-cp", System.getProperty("java.class.path"), BuildAdapter.class.getName(),
                certs.certificatePem(rsa, "rsa-child.pem").toString(), certs.pkcs8(rsa, "rsa-child.key").toString())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertTrue(child.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the child JVM did not finish");
        String output = Files.readString(out);
        assertEquals(0, child.exitValue(), output);
        assertTrue(output.contains("adapter built"), output);
    }

    /** The child JVM of the test above. */
    static final class BuildAdapter {
        public static void main(String[] args) throws Exception {
            new JsseSslAdapter(TlsConfig.builder(TlsCredentials.pem(Path.of(args[0]), Path.of(args[1]))).build());
            System.out.println("adapter built");
        }
    }
}
