package org.minipylib.wsgiserver.tls;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.ListenOptions;
import org.minipylib.wsgiserver.http.BufferPool;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.EngineTlsClient;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.TimeoutWindow;
import org.minipylib.wsgiserver.testing.TlsClients;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * Clients that do not do TLS properly: plain HTTP gets a plain-text 400 (with Date and Server) and the connection closes;
 * a silent, dribbling or garbage-sending client is closed at the handshake deadline (or at once)
 * while other clients are served meanwhile; a server stop closes connections mid-handshake; each
 * failed handshake is one debug log line without a stack trace.
 */
class MisbehavingTlsClientsTest {

    @TempDir
    static Path dir;
    static TlsConfig config;
    static SSLContext client;

    private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    private final Logger logger = Logger.getLogger("org.minipylib.wsgiserver");
    private final Handler capture = new Handler() {
        @Override public void publish(LogRecord record) { logged.add(record); }
        @Override public void flush() { }
        @Override public void close() { }
    };
    private Level previousLevel;

    @BeforeAll
    static void makeCertificates() throws Exception {
        TestCertificates.LocalhostTls tls = TestCertificates.localhostTls(dir, "misbehaving-ca");
        config = tls.server();
        client = tls.client();
    }

    @BeforeEach
    void captureLog() {
        previousLevel = logger.getLevel();
        logger.setLevel(Level.FINE);
        logger.addHandler(capture);
    }

    @AfterEach
    void restoreLog() {
        logger.removeHandler(capture);
        logger.setLevel(previousLevel);
    }

    private static TestServer start(Duration handshakeTimeout) throws Exception {
        return start(handshakeTimeout, ListenOptions.defaults());
    }

    private static TestServer start(Duration handshakeTimeout, ListenOptions listen) throws Exception {
        JsseSslAdapter adapter = new JsseSslAdapter(config);
        return TestServer.start(WsgiTestApps.text("200 OK", "served"), b -> b.sslAdapter(adapter).listenOptions(listen)
                .timeouts(HttpTimeouts.defaults().withHandshake(handshakeTimeout)));
    }

    /** System.nanoTime() just before {@link #connectTimed} connected (the handshake deadline starts after it). */
    private long connecting;

    private Socket connectTimed(TestServer server) throws IOException {
        connecting = System.nanoTime();
        return new Socket("127.0.0.1", server.port());
    }

    /** Reads until the server closes the connection (bounded by the socket timeout, 10 s). */
    private static void assertClosedByServer(Socket socket) throws IOException {
        socket.setSoTimeout(10_000);
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[1024];
        try {
            while (in.read(buffer) >= 0) {
                // whatever the server sent before closing (an alert, say)
            }
        } catch (java.net.SocketException reset) {
            // closed with unread data: a reset is a close too
        }
    }

    /**
     * The handshake-failure line logged for the client whose local port is {@code clientPort} (other
     * tests' connections may still be closing and log lines of their own).
     */
    private LogRecord awaitHandshakeLogLine(int clientPort) throws InterruptedException {
        String client = ":" + clientPort;
        for (int i = 0; i < 500; i++) {
            for (LogRecord r : logged) {
                Object[] p = r.getParameters();
                if (p != null && p.length >= 2 && String.valueOf(p[p.length - 1]).startsWith("TLS handshake failed")
                        && String.valueOf(p[0]).endsWith(client)) return r;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no handshake failure was logged for the client on port " + clientPort + ": " + logged);
    }

    /**
     * A client that does not trust the certificate ends the handshake with an alert, which the JDK
     * may report as an "Unexpected exception" whose cause names it: the log line names the alert.
     */
    @Test
    void aClientRefusingTheCertificateIsLoggedWithItsAlert() throws Exception {
        java.nio.file.Path curl = java.nio.file.Path.of("/usr/bin/curl");
        org.minipylib.wsgiserver.testing.OptionalTool.assumeInstalled(java.nio.file.Files.isExecutable(curl), "curl is not installed");
        try (TestServer server = start(Duration.ofSeconds(10))) {
            // no --cacert: curl does not know the test CA and refuses the certificate (OpenSSL sends unknown_ca)
            Process p = new ProcessBuilder(curl.toString(), "-sS", "--max-time", "30", "-o", "/dev/null",
                    "https://127.0.0.1:" + server.port() + "/").redirectErrorStream(true).start();
            assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "curl ended");
            assertEquals(60, p.exitValue(), "curl's 'peer certificate cannot be authenticated'");
            String line = null;
            for (int i = 0; i < 500 && line == null; i++) {
                for (LogRecord r : logged) {
                    Object[] params = r.getParameters();
                    String last = params == null || params.length == 0 ? "" : String.valueOf(params[params.length - 1]);
                    if (last.startsWith("TLS handshake failed")) line = last;
                }
                if (line == null) Thread.sleep(20);
            }
            // OpenSSL's curl sends unknown_ca, which JDK 25 reports as "Unexpected exception" with the alert
            // in its cause: the line names the alert (whatever the client's TLS library). JDK 21 fails on
            // the alert's record instead, with a message of its own, which the line gives as it is.
            assertTrue(line != null, "a handshake failure was logged");
            assertTrue(!line.contains("Unexpected exception") || line.contains("Alert: "), "logged: " + line);
        }
    }

    /**
     * A failed handshake (a malformed ClientHello, answered with an alert; plain HTTP) gives the
     * TLS buffers it took back to the adapter's pool, so a flood of them (scanners) makes no garbage.
     */
    @Test
    void failedHandshakesGiveTheirBuffersBack() throws Exception {
        JsseSslAdapter adapter = new JsseSslAdapter(config);
        BufferPool pool = adapter.buffers();
        List<byte[]> pooled = List.of(pool.take(), pool.take(), pool.take());
        for (byte[] b : pooled) pool.give(b);
        byte[] malformedHello = {0x16, 0x03, 0x01, 0x00, 0x08, 0x01, 0x00, 0x00, 0x04, 0x03, 0x03, 0x00, 0x00};
        try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "served"), b -> b.sslAdapter(adapter))) {
            for (byte[] first : List.of(malformedHello, get("/").getBytes(java.nio.charset.StandardCharsets.US_ASCII))) {
                try (Socket socket = new Socket("127.0.0.1", server.port())) {
                    socket.getOutputStream().write(first);
                    assertClosedByServer(socket);
                    awaitHandshakeLogLine(socket.getLocalPort()); // logged after the buffers went back
                }
                List<byte[]> taken = List.of(pool.take(), pool.take(), pool.take());
                for (byte[] b : taken) {
                    assertTrue(pooled.stream().anyMatch(p -> p == b), "a buffer not from the pool: the failed handshake kept one");
                }
                for (byte[] b : taken) pool.give(b);
            }
        }
    }

    @Test
    void plainHttpGetsAPlainTextBadRequestWithADateAndIsClosed() throws Exception {
        try (TestServer server = start(Duration.ofSeconds(10)); RawClient raw = server.connect()) {
            raw.send(get("/"));
            RawClient.Response response = raw.read();
            assertEquals(400, response.status());
            assertEquals("text/plain; charset=utf-8", response.header("Content-Type"));
            assertEquals("nosniff", response.header("X-Content-Type-Options"));
            assertNotNull(org.minipylib.wsgiserver.http.HttpDate.parse(response.header("Date")), "a 4xx carries a Date (RFC 9110 section 6.6.1)");
            assertTrue(response.header("Server").startsWith("wsgiserver/"), "the Server field of every other response");
            assertTrue(response.bodyText().contains("plain HTTP request to an HTTPS port"), response.bodyText());
            assertTrue(raw.isClosedByServer());

            LogRecord line = awaitHandshakeLogLine(raw.socket().getLocalPort());
            assertEquals(Level.FINE, line.getLevel()); // System.Logger DEBUG
            assertNull(line.getThrown());
            assertTrue(java.text.MessageFormat.format(line.getMessage(), line.getParameters()).contains("plain HTTP"));
        }
    }

    /** As nginx does, the plain-HTTP request is in the access log and the statistics, like any refusal. */
    @Test
    void plainHttpIsLoggedAndCountedAsARefusal() throws Exception {
        java.io.ByteArrayOutputStream sink = new java.io.ByteArrayOutputStream();
        java.io.PrintStream log = new java.io.PrintStream(sink, true, java.nio.charset.StandardCharsets.UTF_8);
        JsseSslAdapter adapter = new JsseSslAdapter(config);
        try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "served"),
                b -> b.sslAdapter(adapter).accessLog(org.minipylib.wsgiserver.AccessLog.to(log)));
             RawClient raw = server.connect()) {
            raw.send("GET /over-plain?x=1 HTTP/1.1\r\nHost: x\r\n\r\n");
            RawClient.Response response = raw.read();
            assertEquals(400, response.status());
            Poll.until(() -> sink.toString(java.nio.charset.StandardCharsets.UTF_8), text -> text.contains("\n"),
                    "the refusal's access-log line");
            String line = sink.toString(java.nio.charset.StandardCharsets.UTF_8).trim();
            assertTrue(line.matches("127\\.0\\.0\\.1 - - \\[.*] \"GET /over-plain\\?x=1 HTTP/1\\.1\" 400 "
                    + response.bodyText().length() + " \"-\" \"-\""), line);
            assertEquals(1L, server.server().statistics().responsesByStatus().get(400));
        }
    }

    /**
     * A few KeyUpdates are served as usual; a flood of records that carry no application data would
     * keep a thread busy and the connection from ever counting as idle, so it is closed.
     */
    @Test
    void aFloodOfKeyUpdatesIsClosedAFewAreServed() throws Exception {
        try (TestServer server = start(Duration.ofSeconds(10))) {
            try (EngineTlsClient few = EngineTlsClient.connect(client, server.port())) { // TLS 1.3, the JDK's default
                assertEquals("TLSv1.3", few.session().getProtocol());
                few.send(few.record(get("/one")));
                assertTrue(few.readUntil("served").contains("200 OK"));
                few.send(few.keyUpdates(4), few.record(get("/two")));
                assertTrue(few.readUntil("served").contains("200 OK"), "served after a few KeyUpdates");
            }
            try (EngineTlsClient flood = EngineTlsClient.connect(client, server.port())) {
                flood.send(flood.record(get("/one")));
                assertTrue(flood.readUntil("served").contains("200 OK"));
                flood.send(flood.keyUpdates(200), flood.record(get("/two")));
                assertTrue(flood.awaitClosedByServer(), "closed, its request behind the flood not served");
            }
        }
    }

    /**
     * The records of renegotiations the server accepts (the JDK's default; the command line refuses
     * them) are no flood: eight in a row, with no data between them, and the connection goes on.
     */
    @Test
    void acceptedRenegotiationsInARowAreNoFlood() throws Exception {
        try (TestServer server = start(Duration.ofSeconds(10));
             EngineTlsClient tls12 = EngineTlsClient.connectTls12(client, server.port())) {
            assertEquals("TLSv1.2", tls12.session().getProtocol());
            tls12.send(tls12.record(get("/one")));
            assertTrue(tls12.readUntil("served").contains("200 OK"));
            for (int i = 0; i < 8; i++) tls12.renegotiate();
            tls12.send(tls12.record(get("/two")));
            assertTrue(tls12.readUntil("served").contains("200 OK"), "served after 8 renegotiations");
        }
    }

    @Test
    void plainHttpHeadGetsTheBadRequestHeadWithoutItsBody() throws Exception {
        try (TestServer server = start(Duration.ofSeconds(10)); RawClient raw = server.connect()) {
            raw.send(WsgiTestApps.request("HEAD", "/"));
            RawClient.Response response = raw.read(true);
            assertEquals(400, response.status());
            assertTrue(Integer.parseInt(response.header("Content-Length")) > 0);
            // isClosedByServer reads one byte: false if the body followed the head after all
            assertTrue(raw.isClosedByServer(), "no content in a response to HEAD (RFC 9110 section 9.3.2)");
        }
    }

    @Test
    void silentClientIsClosedAtTheDeadlineWithoutBlockingOthers() throws Exception {
        Duration handshake = Duration.ofSeconds(1);
        // no TCP_DEFER_ACCEPT (on Linux by default): it would keep the silent connection from the
        // server, and so the handshake deadline from starting, for its first second
        try (TestServer server = start(handshake, ListenOptions.defaults().withDeferAccept(Duration.ZERO));
             Socket silent = connectTimed(server)) {
            // watched from now on, so serving the others cannot delay seeing the close
            var closed = TimeoutWindow.inBackground(() -> {
                assertClosedByServer(silent);
                return true;
            });
            for (int i = 0; i < 3; i++) { // served while the silent client holds its connection
                assertEquals("served", TlsClients.get(client, server.port(), "/").body());
            }
            long closedAt = closed.get(15, TimeUnit.SECONDS).atNanos();
            TimeoutWindow.assertFiredInWindow(handshake, connecting, closedAt, "the silent client was closed");
            LogRecord line = awaitHandshakeLogLine(silent.getLocalPort());
            assertNull(line.getThrown());
        }
    }

    @Test
    void dribblingClientIsClosedAtTheDeadline() throws Exception {
        Duration handshake = Duration.ofSeconds(1);
        try (TestServer server = start(handshake); Socket dribbler = connectTimed(server)) {
            OutputStream out = dribbler.getOutputStream();
            out.write(0x16); // looks like a handshake record, then one byte at a time
            boolean closed = false;
            for (int i = 0; i < 200 && !closed; i++) { // at most 20 s
                try {
                    out.write(0x03);
                    out.flush();
                    Thread.sleep(100);
                } catch (IOException e) {
                    closed = true;
                }
                if (!closed && dribbler.getInputStream().available() == 0) {
                    dribbler.setSoTimeout(1);
                    try {
                        closed = dribbler.getInputStream().read() < 0;
                    } catch (java.net.SocketTimeoutException stillOpen) {
                        // not yet
                    } catch (IOException reset) {
                        closed = true;
                    }
                }
            }
            long closedAt = System.nanoTime();
            assertTrue(closed, "the dribbling client was not closed");
            // the deadline is for the whole handshake, from the connection's start, however the bytes trickle
            TimeoutWindow.assertFiredInWindow(handshake, connecting, closedAt, "the dribbling client was closed");
            assertEquals("served", TlsClients.get(client, server.port(), "/").body());
        }
    }

    /** A record whose MAC fails is answered with a bad_record_mac alert before the close (RFC 8446 section 6.2). */
    @Test
    void aCorruptedRecordIsAnsweredWithAnAlert() throws Exception {
        try (TestServer server = start(Duration.ofSeconds(10));
             EngineTlsClient tls = EngineTlsClient.connect(client, server.port())) {
            tls.send(tls.record(get("/")));
            assertTrue(tls.readUntil("served").startsWith("HTTP/1.1 200 OK"));
            tls.send(tls.corruptedRecord(get("/again")));
            javax.net.ssl.SSLException alert = assertThrows(javax.net.ssl.SSLException.class, () -> tls.readUntil("served"),
                    "an alert, not just the end of the stream");
            assertTrue(alert.getMessage().contains("bad_record_mac"), alert.getMessage());
        }
    }

    /**
     * A handshake the engine fails after it has produced its first records ends with its alert after
     * them (RFC 8446 section 6.2), not with a bare close: a TLS 1.2 client that names no signature
     * algorithms gets RFC 5246's default, SHA-1, which the JDK no longer signs with, so the engine
     * fails once its ServerHello is made.
     */
    @Test
    void aHandshakeFailingAfterTheServersFirstRecordsEndsWithItsAlert() throws Exception {
        try (TestServer server = start(Duration.ofSeconds(10)); Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.getOutputStream().write(tls12HelloWithoutSignatureAlgorithms());
            List<Integer> types = recordTypesUntilClosed(socket);
            assertTrue(types.contains(22), "the server's first handshake records: " + types);
            assertEquals(21, types.get(types.size() - 1), "its alert last: " + types);
        }
    }

    /** A TLS 1.2 ClientHello for localhost with ECDHE-RSA and ECDHE-ECDSA AES-128-GCM, P-256, and no signature_algorithms. */
    private static byte[] tls12HelloWithoutSignatureAlgorithms() {
        java.io.ByteArrayOutputStream ext = new java.io.ByteArrayOutputStream();
        byte[] name = "localhost".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        writeExtension(ext, 0, concat(u16(name.length + 3), new byte[] {0}, u16(name.length), name)); // server_name
        writeExtension(ext, 10, concat(u16(2), u16(23))); // supported_groups: secp256r1
        writeExtension(ext, 11, new byte[] {1, 0}); // ec_point_formats: uncompressed
        writeExtension(ext, 0xff01, new byte[] {0}); // renegotiation_info
        byte[] extensions = ext.toByteArray();
        byte[] body = concat(new byte[] {3, 3}, new byte[32], new byte[] {0}, u16(4), u16(0xc02f), u16(0xc02b), new byte[] {1, 0},
                u16(extensions.length), extensions);
        byte[] handshake = concat(new byte[] {1, 0, (byte) (body.length >> 8), (byte) body.length}, body);
        return concat(new byte[] {22, 3, 1}, u16(handshake.length), handshake);
    }

    private static void writeExtension(java.io.ByteArrayOutputStream out, int type, byte[] data) {
        out.writeBytes(u16(type));
        out.writeBytes(u16(data.length));
        out.writeBytes(data);
    }

    private static byte[] u16(int n) {
        return new byte[] {(byte) (n >> 8), (byte) n};
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] part : parts) out.writeBytes(part);
        return out.toByteArray();
    }

    /** The content types of the TLS records the server sends until it closes (bounded by a 10 s socket timeout). */
    private static List<Integer> recordTypesUntilClosed(Socket socket) throws IOException {
        socket.setSoTimeout(10_000);
        byte[] all;
        try {
            all = socket.getInputStream().readAllBytes();
        } catch (java.net.SocketException reset) {
            throw new AssertionError("reset instead of a close after the alert", reset);
        }
        List<Integer> types = new java.util.ArrayList<>();
        for (int p = 0; p + 5 <= all.length; p += 5 + ((all[p + 3] & 0xff) << 8 | (all[p + 4] & 0xff))) types.add(all[p] & 0xff);
        return types;
    }

    @Test
    void garbageIsClosedAtOnce() throws Exception {
        try (TestServer server = start(Duration.ofSeconds(30)); Socket garbage = new Socket("127.0.0.1", server.port())) {
            garbage.getOutputStream().write(new byte[] {0, 1, 2, 3, (byte) 0xff});
            assertClosedByServer(garbage); // well before the 30 s deadline: the socket timeout is 10 s
            assertNull(awaitHandshakeLogLine(garbage.getLocalPort()).getThrown());
        }
    }

    @Test
    void stopClosesConnectionsStillInTheHandshake() throws Exception {
        TestServer server = start(Duration.ofSeconds(30));
        try (Socket silent = new Socket("127.0.0.1", server.port())) {
            for (int i = 0; i < 500 && server.server().openConnections() == 0; i++) Thread.sleep(10);
            assertEquals(1, server.server().openConnections());
            server.close();
            assertClosedByServer(silent);
            assertEquals(0, server.server().openConnections());
        } finally {
            server.close();
        }
    }
}
