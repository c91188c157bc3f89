package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.Version;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code --ssl-*} options: HTTPS from a PKCS#12 key store (made by keytool) or from PEM files,
 * the protocol knob, and usage errors for options that do not fit together or unusable files.
 */
class TlsOptionsTest {

    private static final char[] PASSWORD = "changeit".toCharArray();

    @TempDir
    static Path dir;
    static Path keyStore;
    static Path passwordFile;
    static Path certPem;
    static Path keyPem;
    static SSLContext client;

    @BeforeAll
    static void makeKeyStore() throws Exception {
        keyStore = dir.resolve("server.p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "server", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                "-validity", "2", "-keystore", keyStore.toString(), "-storetype", "PKCS12",
                "-storepass", new String(PASSWORD)).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "keytool finished");
        assertEquals(0, p.exitValue(), output);
        passwordFile = Files.writeString(dir.resolve("password.txt"), new String(PASSWORD) + "\n");

        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            store.load(in, PASSWORD);
        }
        Certificate cert = store.getCertificate("server");
        PrivateKey key = (PrivateKey) store.getKey("server", PASSWORD);
        certPem = Files.writeString(dir.resolve("server.pem"), pem("CERTIFICATE", cert.getEncoded()));
        keyPem = Files.writeString(dir.resolve("server.key"), pem("PRIVATE KEY", key.getEncoded()));

        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("server", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        client = SSLContext.getInstance("TLS");
        client.init(null, tmf.getTrustManagers(), null);
    }

    private static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }

    private static HttpResponse<String> get(CliRun cli, String path) throws Exception {
        try (HttpClient http = HttpClient.newBuilder().sslContext(client).connectTimeout(Duration.ofSeconds(10)).build()) {
            return http.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + cli.server().port() + path))
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void keyStoreWithPasswordFileServesHttps() throws Exception {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--ssl-keystore", keyStore.toString(),
                "--ssl-keystore-type", "PKCS12", "--ssl-keystore-password-file", passwordFile.toString())) {
            assertTrue(cli.out().contains("serving on https://127.0.0.1:"), cli.out());
            HttpResponse<String> response = get(cli, "/plaintext");
            assertEquals(200, response.statusCode());
            assertEquals("Hello, World!", response.body());
        }
    }

    @Test
    void pemFilesAndProtocolKnob() throws Exception {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--ssl-certificate", certPem.toString(),
                "--ssl-private-key", keyPem.toString(), "--ssl-protocols", "TLSv1.2")) {
            HttpResponse<String> response = get(cli, "/environ");
            assertEquals(200, response.statusCode());
            assertEquals("TLSv1.2", response.sslSession().orElseThrow().getProtocol());
            assertTrue(response.body().contains("SSL_PROTOCOL"), response.body());
        }
    }

    /** A UNIX socket listener says it speaks TLS: nobody should put {@code http://unix:} in front of it. */
    @Test
    void aUnixSocketServingTlsIsAnnouncedAsTls() {
        Path socket = dir.resolve("tls.sock");
        try (CliRun cli = CliRun.start("--bind", "unix:" + socket, "--ssl-certificate", certPem.toString(),
                "--ssl-private-key", keyPem.toString())) {
            String line = "wsgiserver " + Version.VERSION + " serving on unix:" + socket + " (TLS)";
            assertTrue(cli.out().lines().anyMatch(line::equals), cli.out());
        }
    }

    /** --ssl-ca without client certificates asked for does nothing: the server starts and says so. */
    @Test
    void aCaWithoutClientAuthIsIgnoredWithAWarning() {
        String warning = "wsgiserver: --ssl-ca applies to --ssl-client-auth optional or required only; ignored";
        for (String clientAuth : new String[] {null, "none", "optional"}) {
            List<String> args = new ArrayList<>(List.of("--bind", "127.0.0.1:0", "--ssl-certificate", certPem.toString(),
                    "--ssl-private-key", keyPem.toString(), "--ssl-ca", certPem.toString()));
            if (clientAuth != null) args.addAll(List.of("--ssl-client-auth", clientAuth));
            try (CliRun cli = CliRun.start(args.toArray(String[]::new))) {
                assertEquals(!"optional".equals(clientAuth), cli.err().contains(warning), () -> clientAuth + ": " + cli.err());
            }
        }
    }

    private static void assertUsageError(String expectedMessage, String... args) {
        CliRun.usageError(expectedMessage, args);
    }

    @Test
    void everySslOptionWithoutACertificateOrKeyStoreIsAUsageErrorNamingIt() {
        String file = passwordFile.toString();
        String[][] options = {
            {"--ssl-private-key-password-file", file}, {"--ssl-certificate-chain", file}, {"--ssl-keystore-type", "JKS"},
            {"--ssl-keystore-password-file", file}, {"--ssl-keystore-password", "changeit"}, {"--ssl-client-auth", "optional"},
            {"--ssl-ca", file}, {"--ssl-protocols", "TLSv1.3"}, {"--ssl-ciphers", "TLS_AES_128_GCM_SHA256"},
            {"--ssl-provider", "no.such.Provider"}, {"--ssl-reload-interval", "60"}, {"--ssl-sni", "a.test=" + file},
            {"--ssl-max-handshakes", "8"},
        };
        for (String[] option : options) {
            assertUsageError(option[0] + " needs --ssl-certificate and --ssl-private-key, or --ssl-keystore",
                    "--bind", "127.0.0.1:0", option[0], option[1]);
        }
        assertUsageError("--ssl-keystore-type, --ssl-ciphers need --ssl-certificate", "--bind", "127.0.0.1:0",
                "--ssl-keystore-type", "JKS", "--ssl-ciphers", "TLS_AES_128_GCM_SHA256");
    }

    @Test
    void keyStorePasswordAndPasswordFileTogetherAreAUsageError() {
        assertUsageError("either --ssl-keystore-password or --ssl-keystore-password-file, not both", "--bind", "127.0.0.1:0",
                "--ssl-keystore", keyStore.toString(), "--ssl-keystore-password", new String(PASSWORD),
                "--ssl-keystore-password-file", passwordFile.toString());
    }

    @Test
    void optionsThatDoNotFitAreUsageErrors() {
        assertUsageError("go together", "--bind", "127.0.0.1:0", "--ssl-certificate", certPem.toString());
        assertUsageError("not both", "--bind", "127.0.0.1:0", "--ssl-keystore", keyStore.toString(),
                "--ssl-certificate", certPem.toString(), "--ssl-private-key", keyPem.toString());
        assertUsageError("none, optional, required", "--bind", "127.0.0.1:0", "--ssl-keystore", keyStore.toString(),
                "--ssl-client-auth", "sometimes");
        assertUsageError("--ssl-client-auth required needs --ssl-ca", "--bind", "127.0.0.1:0", "--ssl-certificate", certPem.toString(),
                "--ssl-private-key", keyPem.toString(), "--ssl-client-auth", "required");
        assertUsageError("--ssl-keystore needs --ssl-keystore-password or --ssl-keystore-password-file", "--bind", "127.0.0.1:0",
                "--ssl-keystore", keyStore.toString());
        assertUsageError("--ssl-certificate " + dir.resolve("missing.pem") + ": no such file", "--bind", "127.0.0.1:0",
                "--ssl-certificate", dir.resolve("missing.pem").toString(), "--ssl-private-key", keyPem.toString());
        assertUsageError("--ssl-private-key " + dir + ": is a directory", "--bind", "127.0.0.1:0",
                "--ssl-certificate", certPem.toString(), "--ssl-private-key", dir.toString());
        assertUsageError("--ssl-reload-interval must be > 0", "--bind", "127.0.0.1:0", "--ssl-certificate",
                certPem.toString(), "--ssl-private-key", keyPem.toString(), "--ssl-reload-interval", "0");
        assertUsageError("--ssl-max-handshakes must be at least 1, got 0", "--bind", "127.0.0.1:0", "--ssl-certificate",
                certPem.toString(), "--ssl-private-key", keyPem.toString(), "--ssl-max-handshakes", "0");
        assertUsageError("--ssl-ca needs --ssl-certificate", "--bind", "127.0.0.1:0", "--ssl-ca", certPem.toString());
        assertUsageError("--ssl-provider: cannot load", "--bind", "127.0.0.1:0", "--ssl-keystore", keyStore.toString(),
                "--ssl-keystore-password-file", passwordFile.toString(), "--ssl-provider", "no.such.Provider");
    }
}
