package org.minipylib.wsgiserver.tls;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.EngineTlsClient;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestCertificates.Identity;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.TlsClients;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.logging.Level;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * SNI picks the certificate by the host name the client asks for (exact, wildcard, else the
 * default); a reload, on demand or on the interval (at a handshake or between handshakes), swaps the
 * certificate for new handshakes while open connections keep theirs; a broken file keeps the old certificate.
 */
class SniAndReloadTest {

    @TempDir
    static Path dir;
    static TestCertificates certs;
    static SSLContext client;
    static Identity first;
    static Identity second;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.newCa(dir, "sni-ca");
        client = certs.clientContext(null);
        first = certs.issue("first.test", "EC", "localhost");
        second = certs.issue("second.test", "EC", "localhost");
    }

    private static String servedName(int port, String sniHost) throws Exception {
        // A fresh client context each time: a resumed session would show the certificate of an earlier handshake.
        try (SSLSocket socket = TlsClients.connect(certs.clientContext(null), port, sniHost)) {
            return TestCertificates.commonName((X509Certificate) socket.getSession().getPeerCertificates()[0]);
        }
    }

    private static TlsCredentials pem(Identity id, String name) throws Exception {
        return TlsCredentials.pem(certs.certificatePem(id, name + ".pem"), certs.pkcs8(id, name + ".key"));
    }

    @Test
    void sniPicksTheCertificateByHostName() throws Exception {
        Identity a = certs.issue("a.test", "EC", "a.test");
        Identity wild = certs.issue("wild", "RSA", "*.wild.test");
        TlsConfig config = TlsConfig.builder(pem(first, "default"))
                .sni("a.test", pem(a, "a"))
                .sni("*.wild.test", pem(wild, "wild"))
                .build();
        var capture = new WsgiTestApps.Capture();
        try (TestServer server = HttpsServingTest.start(capture.app(), config)) {
            assertEquals("a.test", servedName(server.port(), "a.test"));
            assertEquals("a.test", servedName(server.port(), "A.Test"));
            assertEquals("wild", servedName(server.port(), "x.wild.test"));
            assertEquals("first.test", servedName(server.port(), "unknown.test"));
            assertEquals("first.test", servedName(server.port(), null));
            try (SSLSocket socket = TlsClients.connect(client, server.port(), "x.wild.test"); RawClient raw = new RawClient(socket)) {
                raw.send(get("/"));
                assertEquals(200, raw.read().status());
                assertEquals("x.wild.test", capture.nextEnviron().get("SSL_TLS_SNI"));
            }
        }
    }

    /** As on the command line: a host given twice (in any case) or a name no client can send is refused when configured. */
    @Test
    void aHostGivenTwiceOrNotAHostNameIsRefused() {
        TlsCredentials any = TlsCredentials.pem(Path.of("never-read.pem"), Path.of("never-read.key"));
        TlsConfig.Builder builder = TlsConfig.builder(any).sni("A.example", any).sni("*.b.example", any).sni("x_y-1.example", any);
        assertThrows(IllegalArgumentException.class, () -> builder.sni("a.example", any));
        for (String bad : new String[] {"not a host", "", "a..example", "*.", "*", "a.example:443", "caf\u00e9.example", "[::1]"}) {
            assertThrows(IllegalArgumentException.class, () -> TlsConfig.builder(any).sni(bad, any), bad);
        }
    }

    /** A ClientHello split over several records (by a client or a middlebox) still has its name read, wherever it lies. */
    @Test
    void sniPicksTheCertificateWhenTheClientHelloIsSplitOverRecords() throws Exception {
        Identity a = certs.issue("a.test", "EC", "a.test");
        TlsConfig config = TlsConfig.builder(pem(first, "default")).sni("a.test", pem(a, "a")).build();
        try (TestServer server = HttpsServingTest.start(WsgiTestApps.text("200 OK", "served"), config)) {
            for (int fragment : new int[] {0, 1, 20, 100, 300}) {
                try (EngineTlsClient tls = EngineTlsClient.connect(certs.clientContext(null), server.port(), "a.test", fragment)) {
                    tls.send(tls.record(get("/")));
                    assertTrue(tls.readUntil("served").startsWith("HTTP/1.1 200 OK"), "fragment " + fragment);
                    assertEquals("a.test", TestCertificates.commonName((X509Certificate) tls.session().getPeerCertificates()[0]),
                            "the certificate for a.test, ClientHello in records of " + fragment + " bytes");
                }
            }
        }
    }

    /** Overwrites the served files with {@code id}'s, with a later modification time than before. */
    private static void replaceFiles(Identity id, Path cert, Path key, int generation) throws Exception {
        Path newCert = certs.certificatePem(id, "next.pem");
        Path newKey = certs.pkcs8(id, "next.key");
        Files.move(newKey, key, StandardCopyOption.REPLACE_EXISTING);
        Files.move(newCert, cert, StandardCopyOption.REPLACE_EXISTING);
        FileTime later = FileTime.from(Instant.now().plusSeconds(10L * generation));
        Files.setLastModifiedTime(cert, later);
        Files.setLastModifiedTime(key, later);
    }

    @Test
    void reloadOnDemandSwapsTheCertificateForNewHandshakesOnly() throws Exception {
        Path cert = certs.certificatePem(first, "demand.pem");
        Path key = certs.pkcs8(first, "demand.key");
        JsseSslAdapter adapter = new JsseSslAdapter(TlsConfig.builder(TlsCredentials.pem(cert, key)).build());
        try (TestServer server = TestServer.start(WsgiTestApps.echo(), b -> b.sslAdapter(adapter));
             SSLSocket open = TlsClients.connect(client, server.port(), null);
             RawClient before = new RawClient(open)) {
            before.send(get("/before"));
            assertEquals(200, before.read().status());

            replaceFiles(second, cert, key, 1);
            adapter.reload();
            assertEquals("second.test", servedName(server.port(), null));

            before.send(get("/still")); // the open connection goes on with its own session
            assertEquals("GET /still:", before.read().bodyText());
            assertEquals(first.certificate(), open.getSession().getPeerCertificates()[0]);

            Files.writeString(key, "broken\n");
            assertThrows(GeneralSecurityException.class, adapter::reload);
            assertEquals("second.test", servedName(server.port(), null)); // the old (second) one stays
        }
    }

    @Test
    void reloadIntervalPicksUpChangedFiles() throws Exception {
        Path cert = certs.certificatePem(first, "interval.pem");
        Path key = certs.pkcs8(first, "interval.key");
        TlsConfig config = TlsConfig.builder(TlsCredentials.pem(cert, key)).reloadInterval(Duration.ofMillis(50)).build();
        try (TestServer server = HttpsServingTest.start(WsgiTestApps.text("200 OK", "x"), config)) {
            assertEquals("first.test", servedName(server.port(), null));
            replaceFiles(second, cert, key, 1);
            String served = "first.test";
            long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!served.equals("second.test") && System.nanoTime() < end) {
                Thread.sleep(20);
                served = servedName(server.port(), null);
            }
            assertEquals("second.test", served);
        }
    }

    @Test
    void reloadIntervalChecksTheFilesBetweenHandshakesToo() throws Exception {
        Path cert = certs.certificatePem(first, "idle.pem");
        Path key = certs.pkcs8(first, "idle.key");
        TlsConfig config = TlsConfig.builder(TlsCredentials.pem(cert, key)).reloadInterval(Duration.ofMillis(50)).build();
        try (LogCapture log = LogCapture.from(Level.INFO);
             TestServer server = HttpsServingTest.start(WsgiTestApps.text("200 OK", "x"), config)) {
            replaceFiles(second, cert, key, 1);
            // No client connects until the reload is logged: the watchdog's check did it.
            Poll.until(() -> log.messages().contains("TLS certificates reloaded"), reloaded -> reloaded, "a reload without a handshake");
            assertEquals("second.test", servedName(server.port(), null));
        }
    }
}
