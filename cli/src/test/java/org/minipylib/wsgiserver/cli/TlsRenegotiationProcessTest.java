package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestCertificates.Identity;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command line refuses TLS 1.2 renegotiations that clients start (CVE-2011-1473: each one a
 * full handshake the client makes the server compute), unless the user set the JDK's property.
 * In its own JVM: the JDK reads the property once, when its TLS classes load.
 */
@Timeout(60)
class TlsRenegotiationProcessTest {

    private static final Pattern SERVING = Pattern.compile("^wsgiserver \\S+ serving on https://127\\.0\\.0\\.1:(\\d+)$");

    @TempDir
    static Path dir;
    static TestCertificates certs;
    static Path certificate;
    static Path key;

    @BeforeAll
    static void makeCertificate() throws Exception {
        certs = TestCertificates.newCa(dir, "renegotiation-ca");
        Identity localhost = certs.issue("localhost", "EC", "localhost");
        certificate = certs.certificatePem(localhost, "localhost.pem");
        key = certs.pkcs8(localhost, "localhost.key");
    }

    @Test
    void aClientInitiatedRenegotiationIsRefused() throws Exception {
        String outcome = renegotiate(List.of());
        // refused with the engine's alert (RFC 5246 section 7.2.2), not a bare close
        assertTrue(outcome.contains("Received fatal alert: handshake_failure"), "the renegotiation's outcome: " + outcome);
    }

    @Test
    void theUsersOwnSettingWins() throws Exception {
        // also shows that the test client can renegotiate at all: the refusal above is the server's
        assertEquals("served", renegotiate(List.of("-Djdk.tls.rejectClientInitiatedRenegotiation=false")));
    }

    /**
     * Serves one request over TLS 1.2, renegotiates, and tells what came of it: "served" if a second
     * request was then served, else why not.
     */
    private static String renegotiate(List<String> jvmOptions) throws Exception {
        Path stdout = dir.resolve("out-" + jvmOptions.size() + ".txt");
        Path stderr = dir.resolve("err-" + jvmOptions.size() + ".txt");
        Process process = MainJvm.start(jvmOptions, stdout, stderr, "--bind", "127.0.0.1:0",
                "--ssl-certificate", certificate.toString(), "--ssl-private-key", key.toString());
        try {
            Matcher serving = SERVING.matcher(ProcessOutput.awaitLine(process, stdout, line -> SERVING.matcher(line).matches()));
            assertTrue(serving.matches());
            int port = Integer.parseInt(serving.group(1));
            try (SSLSocket socket = (SSLSocket) clientContext().getSocketFactory().createSocket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                socket.setSoTimeout(5000);
                socket.setEnabledProtocols(new String[] {"TLSv1.2"});
                assertTrue(served(socket), "the first request");
                try {
                    socket.startHandshake(); // a renegotiation: the session is established
                    return served(socket) ? "served" : "not served";
                } catch (IOException refused) {
                    return refused.toString();
                }
            }
        } finally {
            process.destroyForcibly();
            process.waitFor();
        }
    }

    /** Sends a keep-alive GET and reads its response head; true if it is a 200. */
    private static boolean served(SSLSocket socket) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write("GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        byte[] head = new byte[12];
        int n = 0;
        while (n < head.length) {
            int r = in.read(head, n, head.length - n);
            if (r < 0) return false;
            n += r;
        }
        // drain the rest of this small response so the next read starts at the next one
        byte[] rest = new byte[4096];
        int r = in.read(rest);
        return new String(head, StandardCharsets.US_ASCII).equals("HTTP/1.1 200") && r > 0;
    }

    private static SSLContext clientContext() throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", certs.caCertificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }
}
