package org.minipylib.wsgiserver.tls;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestCertificates.Identity;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.TlsClients;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.cert.X509Certificate;
import java.text.MessageFormat;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Level;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A reload on the interval that could not read a file, for a reason that may pass without changing
 * any file's time or size (too many open files, a permission fixed with chown), is tried again at
 * every check until it works: the renewed certificate is served once the file can be read, with no
 * further change to it; its warning is not repeated at every check, and the reload that works says
 * how many failed before it. A failure of the content (see UnusableCertificateDetectedAtStartTest)
 * still waits for a file to change.
 */
class AReloadThatCouldNotReadAFileIsRetriedTest {

    @TempDir
    Path dir;

    private static String servedName(TestCertificates certs, int port) throws Exception {
        try (SSLSocket socket = TlsClients.connect(certs.clientContext(null), port, null)) { // a fresh context: no resumption
            return TestCertificates.commonName((X509Certificate) socket.getSession().getPeerCertificates()[0]);
        }
    }

    private static List<String> warnings(LogCapture log) {
        return log.records().stream().filter(r -> r.getLevel() == Level.WARNING)
                .map(r -> MessageFormat.format(r.getMessage(), r.getParameters()))
                .filter(m -> m.startsWith("TLS certificate reload failed")).toList();
    }

    /**
     * The certificate's path is a directory for a while (stat works, reading fails, as with too many
     * open files or a key the server may not read), then the renewed certificate is put there with
     * the very time and size the failed attempt saw: only a retry can notice it.
     */
    @Test
    void theRenewedCertificateIsServedOnceItCanBeReadWithNoFurtherChange() throws Exception {
        TestCertificates certs = TestCertificates.newCa(dir, "retry-ca");
        Identity first = certs.issue("first.test", "EC", "localhost");
        Identity renewed = certs.issue("renewed.test", "EC", "localhost");
        Path cert = certs.certificatePem(first, "live.pem");
        Path key = certs.pkcs8(first, "live.key");
        TlsConfig config = TlsConfig.builder(TlsCredentials.pem(cert, key)).reloadInterval(Duration.ofMillis(50)).build();
        FileTime stamp = FileTime.from(Instant.now().plusSeconds(100));
        try (LogCapture log = LogCapture.from(Level.INFO);
             TestServer server = HttpsServingTest.start(WsgiTestApps.text("200 OK", "x"), config)) {
            assertEquals("first.test", servedName(certs, server.port()));

            byte[] renewedPem = Files.readAllBytes(certs.certificatePem(renewed, "renewed.pem"));
            Path unreadable = dir.resolve("live.pem.dir"); // beside it: renamed into place with its time kept
            Files.createDirectory(unreadable);
            for (int i = 0; Files.size(unreadable) < renewedPem.length && i < 10_000; i++) { // a file system sizing directories by entries
                Files.createFile(unreadable.resolve("entry-" + i));
            }
            Files.setLastModifiedTime(unreadable, stamp);
            Files.delete(cert);
            Files.move(unreadable, cert, StandardCopyOption.ATOMIC_MOVE);
            Files.move(certs.pkcs8(renewed, "renewed.key"), key, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            long size = Files.size(cert);
            assertEquals(stamp, Files.getLastModifiedTime(cert));
            Poll.until(() -> warnings(log), w -> w.stream().anyMatch(m -> m.contains("directory")),
                    "a reload that failed reading the directory");
            int warned = warnings(log).size();
            Thread.sleep(600); // several checks (the watchdog's every 100 ms), each failing the same way
            assertEquals(warned, warnings(log).size(), "the same failure again is not warned of at every check: " + warnings(log));

            // The renewed certificate, padded (text outside a PEM block is ignored) to the size the failed attempt saw, and of its time.
            byte[] padded = new byte[Math.toIntExact(size)];
            Arrays.fill(padded, (byte) '\n');
            System.arraycopy(renewedPem, 0, padded, 0, renewedPem.length);
            Path next = Files.write(dir.resolve("live.pem.next"), padded);
            Files.setLastModifiedTime(next, stamp);
            deleteTree(cert);
            Files.move(next, cert, StandardCopyOption.ATOMIC_MOVE);
            assertEquals(List.of(stamp.toMillis(), size), List.of(Files.getLastModifiedTime(cert).toMillis(), Files.size(cert)));

            String served = Poll.until(() -> {
                try {
                    return servedName(certs, server.port());
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }, "renewed.test"::equals, Duration.ofSeconds(20), "the renewed certificate served");
            assertEquals("renewed.test", served);
            List<String> reloaded = log.messages().stream().filter(m -> m.startsWith("TLS certificates reloaded")).toList();
            assertEquals(1, reloaded.size(), reloaded.toString());
            long failed = Long.parseLong(reloaded.get(0).replaceAll("\\D+", ""));
            assertTrue(failed >= 3 && failed > warnings(log).size(), "tried at each check, warned of once: " + reloaded + ", " + warnings(log));
        }
    }

    private static void deleteTree(Path path) throws IOException {
        try (var files = Files.walk(path)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
