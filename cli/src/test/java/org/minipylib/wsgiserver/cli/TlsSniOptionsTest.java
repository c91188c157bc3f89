package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestCertificates.Identity;
import org.minipylib.wsgiserver.testing.TlsClients;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --ssl-sni}: per-host certificates on the command line, end to end with real TLS clients
 * sending SNI names (PEM with an encrypted key, a key store for a wildcard, the default for any other
 * name), the reload interval covering those files, and the usage errors of the option.
 */
class TlsSniOptionsTest {

    private static final String PASSWORD = "sni-pw";

    @TempDir
    static Path dir;
    static TestCertificates certs;
    static Identity fallback;
    static Identity api;
    static Identity www;
    static Identity apps;
    static Path fallbackPem;
    static Path fallbackKey;
    static Path passwordFile;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.newCa(dir, "cli-sni-ca");
        fallback = certs.issue("default.test", "EC", "localhost");
        api = certs.issue("api.example.test", "EC", "api.example.test");
        www = certs.issue("www.example.test", "RSA", "www.example.test");
        apps = certs.issue("apps.example.test", "EC", "*.apps.example.test");
        fallbackPem = certs.certificatePem(fallback, "default.pem");
        fallbackKey = certs.pkcs8(fallback, "default.key");
        passwordFile = Files.writeString(dir.resolve("password.txt"), PASSWORD + "\n");
    }

    private static CliRun start(String... options) {
        List<String> args = new ArrayList<>(List.of("--bind", "127.0.0.1:0",
                "--ssl-certificate", fallbackPem.toString(), "--ssl-private-key", fallbackKey.toString()));
        args.addAll(List.of(options));
        return CliRun.start(args.toArray(String[]::new));
    }

    /**
     * Connects sending {@code sniHost} (null: none), checks a request is served, returns the certificate
     * the server sent. A fresh client context each time: the JDK's client would resume its session for
     * 127.0.0.1:port, sending that session's SNI name rather than {@code sniHost}.
     */
    private static X509Certificate served(CliRun cli, String sniHost) throws IOException, GeneralSecurityException {
        try (SSLSocket socket = TlsClients.connect(certs.clientContext(null), cli.server().port(), sniHost);
             RawClient http = new RawClient(socket)) {
            http.send("GET /plaintext HTTP/1.1\r\nHost: " + (sniHost == null ? "localhost" : sniHost)
                    + "\r\nConnection: close\r\n\r\n");
            RawClient.Response response = http.read();
            assertEquals(200, response.status());
            assertEquals("Hello, World!", response.bodyText());
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    private static List<String> dnsNames(X509Certificate certificate) throws CertificateParsingException {
        List<String> names = new ArrayList<>();
        for (List<?> san : certificate.getSubjectAlternativeNames()) {
            if (Integer.valueOf(2).equals(san.get(0))) names.add((String) san.get(1));
        }
        return names;
    }

    private static void assertServes(Identity expected, String dnsName, X509Certificate served) throws Exception {
        assertEquals(expected.certificate(), served);
        assertEquals(expected.commonName(), TestCertificates.commonName(served));
        assertTrue(dnsNames(served).contains(dnsName), () -> "SAN of " + served.getSubjectX500Principal());
    }

    @Test
    void eachHostNameGetsItsCertificateAndOtherNamesTheDefault() throws Exception {
        Path apiPem = certs.certificatePem(api, "api.pem");
        Path apiKey = certs.encryptedPkcs8(api, "api.key", PASSWORD.toCharArray());
        Path wwwPem = certs.certificatePem(www, "www.pem");
        Path wwwKey = certs.pkcs1(www, "www.key");
        Path appsStore = certs.keyStore(apps, "PKCS12", "apps.p12", PASSWORD.toCharArray());
        try (CliRun cli = start(
                "--ssl-sni", "api.example.test=" + apiPem + "," + apiKey + "," + passwordFile,
                "--ssl-sni", "WWW.Example.Test=" + wwwPem + "," + wwwKey,
                "--ssl-sni", "*.apps.example.test=" + appsStore, "--ssl-keystore-password-file", passwordFile.toString())) {
            assertServes(api, "api.example.test", served(cli, "api.example.test"));
            assertServes(www, "www.example.test", served(cli, "www.example.test"));
            assertServes(apps, "*.apps.example.test", served(cli, "shop.apps.example.test"));
            assertServes(fallback, "localhost", served(cli, "a.b.apps.example.test")); // a wildcard is one label
            assertServes(fallback, "localhost", served(cli, "unknown.example.test"));
            assertServes(fallback, "localhost", served(cli, null));
        }
    }

    @Test
    void reloadIntervalCoversTheSniFiles() throws Exception {
        Path cert = certs.certificatePem(api, "reload.pem");
        Path key = certs.pkcs8(api, "reload.key");
        try (CliRun cli = start("--ssl-sni", "api.example.test=" + cert + "," + key, "--ssl-reload-interval", "0.05")) {
            assertServes(api, "api.example.test", served(cli, "api.example.test"));
            Identity renewed = certs.issue("renewed.example.test", "EC", "api.example.test");
            Files.move(certs.pkcs8(renewed, "next.key"), key, StandardCopyOption.REPLACE_EXISTING);
            Files.move(certs.certificatePem(renewed, "next.pem"), cert, StandardCopyOption.REPLACE_EXISTING);
            FileTime later = FileTime.from(Instant.now().plusSeconds(10));
            Files.setLastModifiedTime(cert, later);
            Files.setLastModifiedTime(key, later);
            Poll.until(() -> {
                try {
                    return served(cli, "api.example.test");
                } catch (IOException | GeneralSecurityException e) {
                    throw new IllegalStateException(e);
                }
            }, renewed.certificate()::equals, "the renewed certificate for api.example.test");
            assertServes(fallback, "localhost", served(cli, null));
        }
    }

    private static void assertUsageError(String expectedMessage, String... args) {
        String err = CliRun.usageError(expectedMessage, args);
        assertTrue(err.contains("--ssl-sni"), err);
    }

    private static void assertUsageErrorWithDefault(String expectedMessage, String... sniValues) {
        List<String> args = new ArrayList<>(List.of("--bind", "127.0.0.1:0",
                "--ssl-certificate", fallbackPem.toString(), "--ssl-private-key", fallbackKey.toString()));
        for (String value : sniValues) args.addAll(List.of("--ssl-sni", value));
        assertUsageError(expectedMessage, args.toArray(String[]::new));
    }

    @Test
    void badValuesAreUsageErrorsNamingTheOption() throws Exception {
        String pem = fallbackPem.toString();
        String key = fallbackKey.toString();
        assertUsageErrorWithDefault("no '='", "api.example.test");
        assertUsageErrorWithDefault("is not a host name or *.domain", "=" + pem + "," + key);
        assertUsageErrorWithDefault("is not a host name or *.domain", "api example=" + pem + "," + key);
        assertUsageErrorWithDefault("is not a host name or *.domain", "a.*.test=" + pem + "," + key);
        assertUsageErrorWithDefault("is not a host name or *.domain", "*=" + pem + "," + key);
        assertUsageErrorWithDefault("an empty file name", "api.example.test=" + pem + ",");
        assertUsageErrorWithDefault("more than three files", "api.example.test=" + pem + "," + key + "," + key + "," + key);
        assertUsageErrorWithDefault("no readable file " + dir.resolve("missing.pem"),
                "api.example.test=" + dir.resolve("missing.pem") + "," + key);
        assertUsageErrorWithDefault("is PEM: give HOST=CERTIFICATE,PRIVATE_KEY", "api.example.test=" + pem);
        assertUsageErrorWithDefault("Invalid value for option '--ssl-sni'", "api.example.test");
    }

    @Test
    void aHostGivenTwiceIsAUsageError() {
        String files = fallbackPem + "," + fallbackKey;
        assertUsageErrorWithDefault("--ssl-sni: api.example.test is given twice",
                "api.example.test=" + files, "*.example.test=" + files, "API.example.test=" + files);
    }

    @Test
    void sniWithoutADefaultCertificateIsAUsageError() {
        assertUsageError("--ssl-sni needs --ssl-certificate and --ssl-private-key, or --ssl-keystore",
                "--bind", "127.0.0.1:0", "--ssl-sni", "api.example.test=" + fallbackPem + "," + fallbackKey);
    }
}
