package org.minipylib.wsgiserver.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.tls.JsseSslAdapter;
import org.minipylib.wsgiserver.tls.TlsConfig;
import org.minipylib.wsgiserver.tls.TlsCredentials;

/**
 * The TLS test clients ask for what a test says, even when a test class shares one client
 * {@link SSLContext} and a server gets a port an earlier server of the class had.
 */
class TlsClientsTest {

    @TempDir
    Path dir;

    /*
     * A JDK client resuming a session sends that session's server names, not the ones it was asked
     * for (sun.security.ssl.ServerNameExtension), and it looks sessions up by host and port. Seen
     * once in a full run: SSL_TLS_SNI was missing because a server of an earlier test had had the
     * port and its connection had sent no server name.
     */
    @Test
    void aServerOnARecycledPortGetsTheServerNameAskedFor() throws Exception {
        TestCertificates certs = TestCertificates.newCa(dir, "recycled-port-ca");
        TestCertificates.Identity identity = certs.issue("localhost", "EC", "localhost");
        TlsCredentials credentials = TlsCredentials.pem(certs.certificatePem(identity, "ec.pem"), certs.pkcs8(identity, "ec.key"));
        SSLContext client = certs.clientContext(null);
        var capture = new WsgiTestApps.Capture();

        int port;
        JsseSslAdapter firstAdapter = adapter(credentials);
        try (TestServer first = TestServer.start(capture.app(), b -> b.sslAdapter(firstAdapter));
             SSLSocket socket = TlsClients.connect(client, first.port(), null);
             RawClient raw = new RawClient(socket)) {
            port = first.port();
            raw.send(get("/"));
            assertEquals(200, raw.read().status());
            assertEquals(null, capture.nextEnviron().get("SSL_TLS_SNI"));
        }
        WsgiServer second = WsgiServer.builder(capture.app()).bind("127.0.0.1", port)
                .sslAdapter(adapter(credentials)).build().start();
        try (SSLSocket socket = TlsClients.connect(client, port, "localhost");
             RawClient raw = new RawClient(socket)) {
            raw.send(get("/"));
            assertEquals(200, raw.read().status());
            Environ env = capture.nextEnviron();
            assertEquals("localhost", env.get("SSL_TLS_SNI"));
        } finally {
            second.stop();
        }
    }

    private static JsseSslAdapter adapter(TlsCredentials credentials) throws Exception {
        return new JsseSslAdapter(TlsConfig.builder(credentials).build());
    }
}
