package org.minipylib.wsgiserver.tls;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.OptionalTool;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestCertificates.Identity;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server as real TLS clients see it: {@code curl --cacert} verifies the chain and host name,
 * {@code openssl s_client} the chain, the protocol and ALPN. Each is skipped if not installed
 * (Debian: {@code apt-get install -y curl openssl}), except on CI ({@code CI=true}), where that is a
 * failure ({@link OptionalTool}).
 */
@Timeout(120)
class RealTlsClientsTest {

    private static final Path CURL = Path.of("/usr/bin/curl");
    private static final Path OPENSSL = Path.of("/usr/bin/openssl");

    private static void assumeCurl() {
        OptionalTool.assumeInstalled(Files.isExecutable(CURL), "curl is not installed at " + CURL + " (Debian: apt-get install -y curl)");
    }

    private static void assumeOpenssl() {
        OptionalTool.assumeInstalled(Files.isExecutable(OPENSSL), "openssl is not installed at " + OPENSSL + " (Debian: apt-get install -y openssl)");
    }

    @TempDir
    static Path dir;
    static Path caPem;
    static TestServer server;
    static TestServer sniServer;

    @BeforeAll
    static void startServer() throws Exception {
        TestCertificates certs = TestCertificates.newCa(dir, "real-clients-ca");
        Identity id = certs.issue("localhost", "RSA", "localhost");
        caPem = certs.caPem();
        TlsConfig config = TlsConfig.builder(TlsCredentials.pem(certs.certificatePem(id, "s.pem"), certs.pkcs1(id, "s.key"))).build();
        server = HttpsServingTest.start(WsgiTestApps.echo(), config);
        Identity a = certs.issue("a.test", "EC", "a.test");
        Identity b = certs.issue("b.test", "EC", "b.test");
        sniServer = HttpsServingTest.start(WsgiTestApps.echo(), TlsConfig.builder(config.credentials())
                .sni("a.test", TlsCredentials.pem(certs.certificatePem(a, "a.pem"), certs.pkcs8(a, "a.key")))
                .sni("b.test", TlsCredentials.pem(certs.certificatePem(b, "b.pem"), certs.pkcs8(b, "b.key"))).build());
    }

    @AfterAll
    static void stopServer() {
        if (server != null) server.close();
        if (sniServer != null) sniServer.close();
    }

    /** Runs a command with {@code stdin}, bounded in time; returns its output ({@code expectedExit} -1: any exit code). */
    private static String run(int expectedExit, String stdin, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (var in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.US_ASCII));
        }
        byte[] output = process.getInputStream().readAllBytes(); // ends when the process exits or is killed
        boolean exited = process.waitFor(60, TimeUnit.SECONDS);
        if (!exited) process.destroyForcibly();
        String text = new String(output, StandardCharsets.UTF_8);
        assertTrue(exited, "finished: " + List.of(command));
        if (expectedExit >= 0) assertEquals(expectedExit, process.exitValue(), "exit code of " + List.of(command) + "; output: " + text);
        return text;
    }

    @Test
    void curlVerifiesTheCertificateAndPostsOverKeepAlive() throws Exception {
        assumeCurl();
        String url = "https://localhost:" + server.port();
        List<String> command = new ArrayList<>(List.of(CURL.toString(), "-sS", "--max-time", "30", "--http1.1",
                "--cacert", caPem.toString(), "--resolve", "localhost:" + server.port() + ":127.0.0.1",
                "-d", "hello", url + "/one", "--next", "--http1.1", "--cacert", caPem.toString(),
                "--resolve", "localhost:" + server.port() + ":127.0.0.1", "-d", "again", url + "/two"));
        String output = run(0, "", command.toArray(String[]::new));
        assertEquals("POST /one:helloPOST /two:again", output);
    }

    @Test
    void curlRefusesTheServerWithoutTheCa() throws Exception {
        assumeCurl();
        // 60: peer certificate cannot be authenticated with known CA certificates
        run(60, "", CURL.toString(), "-sS", "--max-time", "30", "--resolve", "localhost:" + server.port() + ":127.0.0.1",
                "https://localhost:" + server.port() + "/");
    }

    @Test
    void opensslSClientHandshakesAndSpeaksHttp() throws Exception {
        assumeOpenssl();
        String output = run(0, "GET /via-openssl HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                OPENSSL.toString(), "s_client", "-connect", "127.0.0.1:" + server.port(), "-servername", "localhost",
                "-CAfile", caPem.toString(), "-alpn", "h2,http/1.1", "-ign_eof");
        assertTrue(output.contains("Verify return code: 0 (ok)"), output);
        assertTrue(output.contains("ALPN protocol: http/1.1"), output);
        assertTrue(output.contains("HTTP/1.1 200 OK"), output);
        assertTrue(output.contains("GET /via-openssl:"), output);
    }

    /** Unlike the JDK's client, openssl sends the new name with a session it offers to resume. */
    @Test
    void opensslSessionIsResumedForItsOwnHostOnly() throws Exception {
        assumeOpenssl();
        Path session = dir.resolve("a.session");
        String request = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        String connect = "127.0.0.1:" + sniServer.port();
        String first = run(0, request, OPENSSL.toString(), "s_client", "-connect", connect, "-servername", "a.test",
                "-CAfile", caPem.toString(), "-sess_out", session.toString(), "-ign_eof");
        assertTrue(first.contains("subject=CN = a.test") || first.contains("CN = a.test,") || first.contains("CN=a.test"), first);
        String again = run(0, request, OPENSSL.toString(), "s_client", "-connect", connect, "-servername", "a.test",
                "-CAfile", caPem.toString(), "-sess_in", session.toString(), "-ign_eof");
        assertTrue(again.contains("Reused, TLSv1.3"), again); // resumption works for the same name
        String other = run(0, request, OPENSSL.toString(), "s_client", "-connect", connect, "-servername", "b.test",
                "-CAfile", caPem.toString(), "-sess_in", session.toString(), "-ign_eof");
        assertTrue(other.contains("New, TLSv1.3"), other); // ...and not under another host's name
        assertTrue(other.contains("b.test"), other);
    }

    /**
     * Names without a certificate of their own share the default SSL context, yet a session still
     * resumes under its own name only (RFC 6066 section 3): JSSE compares the names only when the
     * engine has an SNI matcher, and only when the client sends one (a client without a name gets a
     * context of its own).
     */
    @ParameterizedTest
    @ValueSource(strings = {"-tls1_2", "-tls1_3"})
    void sessionOfTheDefaultCertificateIsNotResumedUnderAnotherName(String version) throws Exception {
        assumeOpenssl();
        Path session = dir.resolve("c" + version + ".session");
        String request = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        String connect = "127.0.0.1:" + sniServer.port();
        String protocol = version.equals("-tls1_2") ? "TLSv1.2" : "TLSv1.3";
        run(0, request, OPENSSL.toString(), "s_client", version, "-connect", connect, "-servername", "c.test",
                "-sess_out", session.toString(), "-ign_eof");
        String again = run(0, request, OPENSSL.toString(), "s_client", version, "-connect", connect, "-servername", "c.test",
                "-sess_in", session.toString(), "-ign_eof");
        assertTrue(again.contains("Reused, " + protocol), again);
        String other = run(0, request, OPENSSL.toString(), "s_client", version, "-connect", connect, "-servername", "d.test",
                "-sess_in", session.toString(), "-ign_eof");
        assertTrue(other.contains("New, " + protocol), other);
        assertTrue(other.contains("HTTP/1.1 200 OK"), other);
        String none = run(0, request, OPENSSL.toString(), "s_client", version, "-connect", connect, "-noservername",
                "-sess_in", session.toString(), "-ign_eof");
        assertTrue(none.contains("New, " + protocol), "nor without a name: " + none);
        assertTrue(none.contains("HTTP/1.1 200 OK"), none);
    }

    /**
     * TLS 1.3's session ticket goes out at the end of the handshake: a client that connects ahead
     * of its first request (a browser's preconnect) and sends none can resume next time.
     */
    @Test
    void theSessionTicketComesWithoutARequest() throws Exception {
        assumeOpenssl();
        Path session = dir.resolve("preconnect.session");
        try (TestServer quick = TestServer.start(WsgiTestApps.echo(), b -> b.sslAdapter(server.server().config().sslAdapter())
                .timeouts(org.minipylib.wsgiserver.http.HttpTimeouts.defaults().withKeepAlive(java.time.Duration.ofSeconds(1))))) {
            String connect = "127.0.0.1:" + quick.port();
            // no request: s_client reads until the server closes the idle connection (1 s; without a
            // close_notify, so its exit code is 1 in openssl 3)
            String first = run(-1, "", OPENSSL.toString(), "s_client", "-connect", connect, "-servername", "localhost",
                    "-CAfile", caPem.toString(), "-tls1_3", "-sess_out", session.toString(), "-ign_eof");
            assertTrue(first.contains("New, TLSv1.3") && first.contains("New Session Ticket arrived"), first);
            String again = run(0, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", OPENSSL.toString(), "s_client",
                    "-connect", connect, "-servername", "localhost", "-CAfile", caPem.toString(), "-tls1_3",
                    "-sess_in", session.toString(), "-ign_eof");
            assertTrue(again.contains("Reused, TLSv1.3"), again);
        }
    }

    @Test
    void opensslTls11IsRefused() throws Exception {
        assumeOpenssl();
        String output = run(1, "", OPENSSL.toString(), "s_client", "-connect", "127.0.0.1:" + server.port(),
                "-tls1_1", "-CAfile", caPem.toString());
        assertTrue(output.contains("alert") || output.contains("no protocols available") || output.contains("error"), output);
    }
}
