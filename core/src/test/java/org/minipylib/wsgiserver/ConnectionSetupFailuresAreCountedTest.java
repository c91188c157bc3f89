package org.minipylib.wsgiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.apps.MetricsApp;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.server.StatisticsMXBean;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.PrometheusExposition;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.TlsClients;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.minipylib.wsgiserver.tls.JsseSslAdapter;
import org.minipylib.wsgiserver.tls.SslAdapter;
import org.minipylib.wsgiserver.tls.TlsConfig;
import org.minipylib.wsgiserver.tls.TlsHandshakeException;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import javax.management.JMX;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * Failed connection setups are counted: TLS handshakes that TLS refused ({@code tlsHandshakeFailures}:
 * a protocol version the server does not enable, a client that does not trust the certificate,
 * plain HTTP), those not done by the handshake timeout ({@code tlsHandshakeTimeouts}), and bad or late
 * PROXY protocol headers ({@code proxyProtocolFailures}), each provoked by a real client and read
 * from {@link WsgiServer#statistics()}, the Prometheus text, the JSON and JMX. Successful handshakes,
 * clients that close before the setup is done and the server's stop count nowhere.
 */
class ConnectionSetupFailuresAreCountedTest {

    private static final String PROXY_HEADER = "PROXY TCP4 203.0.113.7 198.51.100.1 40000 80\r\n";

    @TempDir
    static Path dir;

    private static TestCertificates.LocalhostTls tls;
    /** A client that trusts another CA: it refuses the server's certificate with an alert. */
    private static SSLContext stranger;

    @BeforeAll
    static void certificates() throws GeneralSecurityException, IOException {
        tls = TestCertificates.localhostTls(dir, "setup-failures-ca");
        stranger = TestCertificates.newCa(dir, "stranger-ca").clientContext(null);
    }

    /** A TLS 1.3-only server whose handshakes time out after {@code handshakeTimeout}. */
    private static TestServer startTls(Duration handshakeTimeout) throws Exception {
        return startTls(handshakeTimeout, "TLSv1.3");
    }

    /** A server enabling only {@code protocol}, whose handshakes time out after {@code handshakeTimeout}. */
    private static TestServer startTls(Duration handshakeTimeout, String protocol) throws Exception {
        JsseSslAdapter adapter = new JsseSslAdapter(TlsConfig.builder(tls.server().credentials())
                .protocols(List.of(protocol)).build());
        return start(b -> b.sslAdapter(adapter), handshakeTimeout);
    }

    private static TestServer start(UnaryOperator<WsgiServer.Builder> listener, Duration handshakeTimeout) throws IOException {
        return TestServer.start(WsgiTestApps.text("200 OK", "hi"), b -> listener.apply(b).jmx(true)
                .mount("/metrics", MetricsApp::new).timeouts(HttpTimeouts.defaults().withHandshake(handshakeTimeout)));
    }

    @Test
    void failedAndTimedOutTlsHandshakesAreCountedEverywhere() throws Exception {
        try (TestServer server = startTls(Duration.ofSeconds(2));
             RawClient kept = new RawClient(TlsClients.connect(tls.client(), server.port(), "localhost"))) {
            assertEquals(200, kept.send(get("/")).read().status());
            TlsClients.connect(tls.client(), server.port(), "localhost").close(); // another successful handshake
            new Socket("127.0.0.1", server.port()).close(); // a TCP health check: connects, closes
            try (Socket partial = new Socket("127.0.0.1", server.port())) { // the start of a ClientHello, then gone
                partial.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xc8, 0x01});
            }
            assertCounted(settled(server, 4), 0, 0, 0);

            assertThrows(SSLHandshakeException.class, () -> handshake(tls.client(), server.port(), "TLSv1.2"),
                    "a TLS 1.2 client against a TLS 1.3-only server");
            assertThrows(SSLHandshakeException.class, () -> handshake(stranger, server.port(), "TLSv1.3"),
                    "a client that does not trust the server's CA (it sends an alert)");
            try (RawClient plain = server.connect()) {
                assertEquals(400, plain.send(get("/")).read().status(), "plain HTTP on the TLS port");
            }
            try (Socket silent = new Socket("127.0.0.1", server.port())) {
                awaitClose(silent); // at the handshake timeout
            }
            ServerStats stats = settled(server, 8);
            assertCounted(stats, 3, 1, 0);
            assertEquals(1L, stats.responsesByStatus().get(400), "the plain-HTTP answer is a response too");

            assertExported(server, kept, 3, 1, 0);
        }
    }

    @Test
    void badAndLateProxyProtocolHeadersAreCountedEverywhere() throws Exception {
        try (TestServer server = start(b -> b.listenOptions(ListenOptions.defaults().withProxyProtocol(true)),
                     Duration.ofSeconds(1));
             RawClient kept = server.connect().send(PROXY_HEADER)) {
            assertEquals(200, kept.send(get("/")).read().status());
            new Socket("127.0.0.1", server.port()).close(); // a TCP health check: connects, closes
            assertCounted(settled(server, 2), 0, 0, 0);

            try (RawClient direct = server.connect()) { // a client that bypasses the proxy
                direct.send(get("/")).timeout(10_000);
                assertEquals(true, direct.isClosedByServer(), "closed unanswered");
            }
            try (Socket silent = new Socket("127.0.0.1", server.port())) {
                awaitClose(silent); // at the handshake timeout
            }
            assertCounted(settled(server, 4), 0, 0, 2);

            assertExported(server, kept, 0, 0, 2);
        }
    }

    /**
     * A custom {@link SslAdapter}'s failures count as its javadoc says: a {@link TlsHandshakeException}
     * by its {@code tlsFailed()} (inferred from an SSLException cause, or stated), a bare SSLException
     * as a failure, any other IOException not at all. Each client sends one byte that picks what the
     * adapter throws.
     */
    @Test
    void aCustomAdaptersFailuresAreCountedAsItsContractSays() throws Exception {
        SslAdapter adapter = (transport, deadlineNanos) -> {
            byte[] b = new byte[1];
            if (transport.read(b, 0, 1, 10_000) < 1) throw new EOFException("closed");
            throw switch (b[0]) {
                case 'a' -> new TlsHandshakeException("no shared cipher", new IOException("a native library's error"), true);
                case 'b' -> new SSLHandshakeException("no shared cipher, not wrapped");
                case 'c' -> new TlsHandshakeException("unknown_ca", new SSLException("the JDK's error"));
                case 'd' -> new TlsHandshakeException("closed by the client", new SSLException("close_notify"), false);
                default -> new IOException("connection reset");
            };
        };
        try (TestServer server = start(b -> b.sslAdapter(adapter), Duration.ofSeconds(30))) {
            for (char kind : "abcde".toCharArray()) {
                try (Socket socket = new Socket("127.0.0.1", server.port())) {
                    socket.getOutputStream().write(kind);
                    awaitClose(socket);
                }
            }
            assertCounted(settledWith(server, 5, 0), 3, 0, 0);
        }
    }

    @Test
    void handshakesCutByTheServersStopAreNotCounted() throws Exception {
        try (TestServer server = startTls(Duration.ofSeconds(30)); // closed here, and again (a no-op) at the end
             Socket silent = new Socket("127.0.0.1", server.port())) {
            settledWith(server, 1, 1);
            server.close();
            awaitClose(silent);
            assertCounted(settledWith(server, 1, 0), 0, 0, 0);
        }
    }

    @Test
    void aClientThatGivesUpItsHandshakeIsNotCounted() throws Exception {
        try (TestServer server = startTls(Duration.ofSeconds(30))) {
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                cancelMidHandshake(socket);
                awaitClose(socket); // at once, not at the handshake timeout (awaitClose fails after 10 s)
            }
            assertCounted(settledWith(server, 1, 0), 0, 0, 0);
        }
    }

    /**
     * A client that closes its side of a TLS 1.2 handshake with a bare close_notify after the server's
     * first flight, no user_canceled before it (the JDK's engine refuses that as an unexpected message;
     * TLS 1.2, where the alert goes in the clear and a test can send it, TLS 1.3 encrypting it).
     */
    @Test
    void aClientThatSendsCloseNotifyMidHandshakeIsNotCounted() throws Exception {
        try (TestServer server = startTls(Duration.ofSeconds(30), "TLSv1.2")) {
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                handshakeUntilItsSecondFlightIsDue(socket, "TLSv1.2");
                socket.getOutputStream().write(new byte[] {0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00}); // warning, close_notify
                awaitClose(socket); // at once, not at the handshake timeout (awaitClose fails after 10 s)
            }
            assertCounted(settledWith(server, 1, 0), 0, 0, 0);
        }
    }

    /**
     * A client that gives up right after its ClientHello, before it has read the server's first flight,
     * with its alerts still in the clear (in TLS 1.3 too, where the server expects them encrypted by
     * then): a bare close_notify, or user_canceled and close_notify. A close, no TLS failure.
     */
    @ParameterizedTest
    @CsvSource({"TLSv1.3, false", "TLSv1.3, true", "TLSv1.2, false", "TLSv1.2, true"})
    void aClientThatCancelsRightAfterItsHelloIsNotCounted(String protocol, boolean userCanceledFirst) throws Exception {
        try (TestServer server = startTls(Duration.ofSeconds(30), protocol)) {
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                SSLEngine engine = tls.client().createSSLEngine("localhost", socket.getPort());
                engine.setUseClientMode(true);
                engine.setEnabledProtocols(new String[] {protocol});
                ByteBuffer hello = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
                engine.beginHandshake();
                engine.wrap(ByteBuffer.allocate(0), hello);
                socket.getOutputStream().write(hello.array(), 0, hello.flip().limit());
                if (userCanceledFirst) {
                    socket.getOutputStream().write(new byte[] {0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x5a}); // warning, user_canceled
                }
                socket.getOutputStream().write(new byte[] {0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00}); // warning, close_notify
                awaitClose(socket); // at once, not at the handshake timeout (awaitClose fails after 10 s)
            }
            assertCounted(settledWith(server, 1, 0), 0, 0, 0);
        }
    }

    /**
     * What a JDK client does when it gives up a handshake (closed by a timeout of its own, say): it
     * answers the server's first flight with user_canceled and close_notify instead of its Finished.
     */
    private static void cancelMidHandshake(Socket socket) throws IOException {
        SSLEngine engine = handshakeUntilItsSecondFlightIsDue(socket, "TLSv1.3");
        ByteBuffer net = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.closeOutbound(); // user_canceled, then close_notify (after a pending change_cipher_spec)
        while (!engine.isOutboundDone()) {
            net.clear();
            engine.wrap(ByteBuffer.allocate(0), net);
            socket.getOutputStream().write(net.array(), 0, net.flip().limit());
        }
    }

    /**
     * A client's side of a handshake over {@code protocol}: it sends its ClientHello and reads the
     * server's first flight, then stops where its second flight (its Finished, in TLS 1.3) is due.
     */
    private static SSLEngine handshakeUntilItsSecondFlightIsDue(Socket socket, String protocol) throws IOException {
        SSLEngine engine = tls.client().createSSLEngine("localhost", socket.getPort());
        engine.setUseClientMode(true);
        engine.setEnabledProtocols(new String[] {protocol});
        socket.setSoTimeout(10_000);
        ByteBuffer net = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        ByteBuffer app = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize());
        ByteBuffer in = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.beginHandshake();
        boolean helloSent = false;
        while (true) {
            SSLEngineResult.HandshakeStatus status = engine.getHandshakeStatus();
            if (status == SSLEngineResult.HandshakeStatus.NEED_TASK) {
                for (Runnable task; (task = engine.getDelegatedTask()) != null; ) task.run();
            } else if (status == SSLEngineResult.HandshakeStatus.NEED_WRAP) {
                if (helloSent) break; // its second flight is due: stop here
                net.clear();
                engine.wrap(ByteBuffer.allocate(0), net);
                socket.getOutputStream().write(net.array(), 0, net.flip().limit());
                helloSent = true;
            } else {
                in.flip();
                SSLEngineResult r = engine.unwrap(in, app);
                in.compact();
                if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
                    int n = socket.getInputStream().read(in.array(), in.position(), in.remaining());
                    if (n < 0) throw new IOException("closed by the server during the handshake");
                    in.position(in.position() + n);
                }
            }
        }
        return engine;
    }

    /** Runs a handshake offering only {@code protocols}, with no server name sent. */
    private static void handshake(SSLContext context, int port, String... protocols) throws IOException {
        TlsClients.forgetSessions(context, port);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.setEnabledProtocols(protocols);
            socket.startHandshake();
        }
    }

    /** Reads until the server closes the connection (bounded by a 10 s socket timeout). */
    private static void awaitClose(Socket socket) throws IOException {
        socket.setSoTimeout(10_000);
        InputStream in = socket.getInputStream();
        try {
            while (in.read() >= 0) {
                // whatever the server sent before closing
            }
        } catch (SocketException reset) {
            // closed with unread data: a close too
        }
    }

    /** The statistics once {@code accepts} connections have been accepted and all but the kept one closed. */
    private static ServerStats settled(TestServer server, long accepts) throws InterruptedException {
        return settledWith(server, accepts, 1);
    }

    private static ServerStats settledWith(TestServer server, long accepts, int open) throws InterruptedException {
        return Poll.until(server.server()::statistics, s -> s.accepts() == accepts && s.openConnections() == open,
                accepts + " connections accepted, " + open + " open");
    }

    private static void assertCounted(ServerStats stats, long tlsFailed, long tlsTimedOut, long proxyFailed) {
        assertEquals(List.of(tlsFailed, tlsTimedOut, proxyFailed),
                List.of(stats.tlsHandshakeFailures(), stats.tlsHandshakeTimeouts(), stats.proxyProtocolFailures()),
                "TLS handshakes failed, timed out; PROXY headers failed");
    }

    /** The counters in /metrics (parsed), /metrics/json and the JMX bean, read over {@code kept}. */
    private static void assertExported(TestServer server, RawClient kept, long tlsFailed, long tlsTimedOut,
                                       long proxyFailed) throws IOException {
        Map<String, PrometheusExposition.Family> families = PrometheusExposition.parse(kept.send(get("/metrics")).read().bodyText());
        String tlsName = "wsgiserver_tls_handshake_failures_total";
        assertEquals("counter", families.get(tlsName).type());
        assertEquals(tlsFailed, PrometheusExposition.value(families, tlsName, "reason", "failed"));
        assertEquals(tlsTimedOut, PrometheusExposition.value(families, tlsName, "reason", "timeout"));
        assertEquals("counter", families.get("wsgiserver_proxy_protocol_failures_total").type());
        assertEquals(proxyFailed, PrometheusExposition.value(families, "wsgiserver_proxy_protocol_failures_total"));

        String text = kept.send(get("/metrics/json")).read().bodyText();
        JsonNode json = new ObjectMapper().readTree(text);
        assertEquals(List.of(tlsFailed, tlsTimedOut, proxyFailed), List.of(json.get("tlsHandshakeFailures").asLong(),
                json.get("tlsHandshakeTimeouts").asLong(), json.get("proxyProtocolFailures").asLong()), text);

        WsgiServerMXBean bean = JMX.newMXBeanProxy(ManagementFactory.getPlatformMBeanServer(),
                StatisticsMXBean.nameFor(server.server().addresses().get(0)), WsgiServerMXBean.class);
        assertEquals(List.of(tlsFailed, tlsTimedOut, proxyFailed),
                List.of(bean.getTlsHandshakeFailures(), bean.getTlsHandshakeTimeouts(), bean.getProxyProtocolFailures()));
    }
}
