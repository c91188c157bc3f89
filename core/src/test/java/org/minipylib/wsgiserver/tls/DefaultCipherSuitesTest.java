package org.minipylib.wsgiserver.tls;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestCertificates.Identity;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With no cipher suites configured, TLS 1.2 offers only forward-secret AEAD suites (all TLS 1.3
 * suites stay); a configured list is used as given. Static-RSA key exchange is disabled by the JDK
 * itself since JDK 24, so that case runs in a child JVM with JDK 21's {@code jdk.tls.disabledAlgorithms}.
 */
class DefaultCipherSuitesTest {

    private static final String STATIC_RSA = "TLS_RSA_WITH_AES_128_GCM_SHA256";
    private static final String CBC = "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256";
    /** JDK 21's list: the same as JDK 25's but without {@code TLS_RSA_*}. */
    private static final String JDK21_DISABLED_ALGORITHMS = "jdk.tls.disabledAlgorithms=SSLv3, TLSv1, TLSv1.1, DTLSv1.0, RC4, DES, "
            + "MD5withRSA, DH keySize < 1024, EC keySize < 224, 3DES_EDE_CBC, anon, NULL, ECDH\n";

    @TempDir
    static Path dir;
    static Path certificate;
    static Path key;
    static Path ca;

    @BeforeAll
    static void makeCertificates() throws Exception {
        TestCertificates certs = TestCertificates.newCa(dir, "ciphers-ca");
        Identity id = certs.issue("localhost", "RSA", "localhost"); // static-RSA suites need an RSA key
        certificate = certs.certificatePem(id, "s.pem");
        key = certs.pkcs8(id, "s.key");
        ca = certs.caPem();
    }

    private static TestServer start(List<String> cipherSuites) throws Exception {
        JsseSslAdapter adapter = new JsseSslAdapter(TlsConfig.builder(TlsCredentials.pem(certificate, key))
                .cipherSuites(cipherSuites).build());
        return TestServer.start(WsgiTestApps.text("200 OK", "served"), b -> b.sslAdapter(adapter));
    }

    /** A TLS 1.2 handshake offering only {@code suite}; returns the suite agreed on. */
    private static String handshakeOffering(String suite, int port) throws Exception {
        return handshakeOffering(port, suite);
    }

    /** A TLS 1.2 handshake offering {@code suites} in this order; returns the suite agreed on. */
    private static String handshakeOffering(int port, String... suites) throws Exception {
        SSLContext client = clientContext(ca);
        try (SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            socket.setSoTimeout(10_000);
            socket.setEnabledProtocols(new String[] {"TLSv1.2"});
            socket.setEnabledCipherSuites(suites);
            socket.startHandshake();
            return socket.getSession().getCipherSuite();
        }
    }

    private static SSLContext clientContext(Path caPem) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", PemReader.certificates(caPem).get(0));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    @Test
    void onlyForwardSecretAeadTls12SuitesAndAllTls13SuitesAreStrong() {
        for (String strong : List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384")) {
            assertTrue(DefaultCipherSuites.isStrong(strong), strong);
        }
        for (String weak : List.of(STATIC_RSA, "TLS_RSA_WITH_AES_256_CBC_SHA256", CBC, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
                "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256")) {
            assertFalse(DefaultCipherSuites.isStrong(weak), weak);
        }
    }

    @Test
    void cbcSuiteTheJdkEnablesIsRefusedByDefaultAndServedWhenConfigured() throws Exception {
        try (TestServer server = start(List.of())) {
            assertThrows(IOException.class, () -> handshakeOffering(CBC, server.port()));
            assertEquals("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", handshakeOffering("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", server.port()));
        }
        try (TestServer server = start(List.of(CBC))) {
            assertEquals(CBC, handshakeOffering(CBC, server.port()));
        }
    }

    /**
     * The default suites are all strong: the client's order chooses among them (a client without AES
     * instructions prefers ChaCha20); a configured list is the operator's order of preference.
     */
    @Test
    void theClientsOrderChoosesAmongTheDefaultSuitesAConfiguredListsOrderWins() throws Exception {
        String chacha = "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256";
        String aes = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384";
        try (TestServer server = start(List.of())) {
            assertEquals(chacha, handshakeOffering(server.port(), chacha, aes));
            assertEquals(aes, handshakeOffering(server.port(), aes, chacha));
        }
        try (TestServer server = start(List.of(aes, chacha))) {
            assertEquals(aes, handshakeOffering(server.port(), chacha, aes));
        }
    }

    @Test
    void staticRsaIsRefusedByDefaultAndServedWhenConfiguredOnJdk21Settings() throws Exception {
        Path security = Files.writeString(dir.resolve("jdk21-tls.security"), JDK21_DISABLED_ALGORITHMS);
        Path out = dir.resolve("probe.out");
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Process child = new ProcessBuilder(java, "-Xmx128m", "-Djava.security.properties=" + security,
                "-cp", System.getProperty("java.class.path"), StaticRsaProbe.class.getName(),
                certificate.toString(), key.toString(), ca.toString())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child JVM did not finish");
        String report = Files.readString(out);
        assertEquals(0, child.exitValue(), report);
        assertTrue(report.contains("default: refused"), report);
        assertTrue(report.contains("explicit: " + STATIC_RSA), report);
    }

    /** Runs in a JVM whose own settings permit static RSA, as JDK 21's do; prints what each server agreed to. */
    static final class StaticRsaProbe {
        public static void main(String[] args) throws Exception {
            certificate = Path.of(args[0]);
            key = Path.of(args[1]);
            ca = Path.of(args[2]);
            try (TestServer server = start(List.of())) {
                System.out.println("default: " + attempt(server.port()));
            }
            try (TestServer server = start(List.of(STATIC_RSA))) {
                System.out.println("explicit: " + attempt(server.port()));
            }
            System.exit(0);
        }

        private static String attempt(int port) throws Exception {
            try {
                return handshakeOffering(STATIC_RSA, port);
            } catch (IOException e) {
                return "refused (" + e + ")";
            }
        }
    }
}
