package org.minipylib.wsgiserver.tls;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.http.BufferPool;
import org.minipylib.wsgiserver.testing.EngineTlsClient;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.minipylib.wsgiserver.testing.TlsClients;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * A TLS keep-alive connection waiting for its next request holds neither its TLS buffers (three of
 * 17 KiB, back in the adapter's pool) nor, in virtual mode with a readiness loop, a thread: about
 * 12 KB per idle connection instead of 113 KB (scripts in docs/performance.md). The next request on
 * the connection takes them again and is served as usual.
 */
@EnabledIf("org.minipylib.wsgiserver.server.ReadinessLoop#supported")
class IdleTlsConnectionsHoldNoBuffersTest {

    @TempDir
    static Path dir;
    static TlsConfig config;
    static SSLContext client;

    @BeforeAll
    static void makeCertificates() throws Exception {
        TestCertificates.LocalhostTls tls = TestCertificates.localhostTls(dir, "idle-tls-ca");
        config = tls.server();
        client = tls.client();
    }

    @Test
    void anIdleTlsConnectionGivesItsBuffersBackAndItsThreadEndsAndASilentOneTakesNone() throws Exception {
        Map<String, Thread> threads = new ConcurrentHashMap<>();
        JsseSslAdapter adapter = new JsseSslAdapter(config);
        try (TestServer server = TestServer.start(WsgiTestApps.pathRecordingThreads(threads), b -> b.sslAdapter(adapter).workerMode(WorkerMode.VIRTUAL));
             SSLSocket socket = TlsClients.connect(client, server.port(), "localhost")) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));

            assertEquals("/one", exchange(out, in, "/one"));
            assertTrue(threads.get("/one").join(Duration.ofSeconds(5)), "the thread that answered /one ended");
            // The pool hands out the buffers given back last: the connection's, which held its TLS
            // records (a new array is all zeros). Taken while it is idle, they go back untouched.
            assertPoolHoldsUsedBuffers(adapter.buffers(), "a buffer the idle connection gave back");
            // A new connection that has sent nothing yet (a scanner, a stalled client) takes none either.
            try (java.net.Socket silent = new java.net.Socket("127.0.0.1", server.port())) {
                org.minipylib.wsgiserver.testing.Poll.until(server.server()::openConnections, n -> n == 2, "the silent connection accepted");
                Thread.sleep(200); // its handshake waits for the first bytes
                assertPoolHoldsUsedBuffers(adapter.buffers(), "the idle connection's buffers are still in the pool");
            }

            assertEquals("/two", exchange(out, in, "/two"));
            assertNotSame(threads.get("/one"), threads.get("/two"));
            assertTrue(threads.get("/two").join(Duration.ofSeconds(5)), "the thread that answered /two ended");
            assertEquals("/three", exchange(out, in, "/three"));
        }
    }

    /**
     * Bytes that wake an idle connection but decrypt to nothing (a record's first bytes, most of
     * it, a key update) leave it idle: it gives its buffers back again (the part of a record in an
     * array of its size) instead of holding them, and a thread, until the rest arrives.
     */
    @Test
    void aRecordArrivingInPiecesOrAKeyUpdateLeavesAnIdleConnectionWithoutBuffers() throws Exception {
        Map<String, Thread> threads = new ConcurrentHashMap<>();
        JsseSslAdapter adapter = new JsseSslAdapter(config);
        for (WorkerMode mode : List.of(WorkerMode.VIRTUAL)) { // pool mode has no readiness loops: its idle connections keep a thread and their buffers
            try (TestServer server = TestServer.start(WsgiTestApps.pathRecordingThreads(threads), b -> b.sslAdapter(adapter).workerMode(mode));
                 EngineTlsClient tls = EngineTlsClient.connect(client, server.port())) {
                tls.send(tls.record(get("/one")));
                assertTrue(tls.readUntil("/one").startsWith("HTTP/1.1 200 OK"));
                byte[] two = tls.record(get("/two"));
                int[] cuts = {0, 3, 5, two.length - 1, two.length}; // the header in two pieces, then all but the last byte
                for (int i = 1; i < cuts.length; i++) {
                    awaitBuffersBack(adapter.buffers(), mode + ": idle, " + cuts[i - 1] + " bytes of the next record in");
                    tls.send(Arrays.copyOfRange(two, cuts[i - 1], cuts[i]));
                }
                assertTrue(tls.readUntil("/two").contains("200 OK"), mode + ": the record sent in pieces is served");

                awaitBuffersBack(adapter.buffers(), mode + ": idle after /two");
                tls.send(tls.keyUpdates(1));
                Thread.sleep(300);
                awaitBuffersBack(adapter.buffers(), mode + ": idle after a key update");
                tls.send(tls.record(get("/three")));
                assertTrue(tls.readUntil("/three").contains("200 OK"), mode + ": served after the key update");
            }
        }
    }

    /**
     * A record without data (a key update) that came behind a request, in the same write, with
     * nothing after it: once the response is out, the connection decrypts it, finds nothing, and
     * waits idle as after any response, without its buffers and without a thread. Before, its
     * thread read on, blocked for the next record, holding both until the next request or the
     * keep-alive timeout.
     */
    @Test
    void aKeyUpdateBehindARequestLeavesTheIdleConnectionWithoutBuffersOrAThread() throws Exception {
        Map<String, Thread> threads = new ConcurrentHashMap<>();
        JsseSslAdapter adapter = new JsseSslAdapter(config);
        try (TestServer server = TestServer.start(WsgiTestApps.pathRecordingThreads(threads), b -> b.sslAdapter(adapter).workerMode(WorkerMode.VIRTUAL));
             EngineTlsClient tls = EngineTlsClient.connect(client, server.port())) {
            byte[] request = tls.record(get("/one"));
            tls.send(request, tls.keyUpdates(1)); // wrapped in this order: records carry sequence numbers
            assertTrue(tls.readUntil("/one").startsWith("HTTP/1.1 200 OK"));
            assertTrue(threads.get("/one").join(Duration.ofSeconds(5)), "the thread that answered /one ended");
            assertPoolHoldsUsedBuffers(adapter.buffers(), "idle after /one and the key update behind it");
            tls.send(tls.record(get("/two")));
            assertTrue(tls.readUntil("/two").contains("200 OK"), "served after the key update");
        }
    }

    /**
     * A connection whose client stalls partway through a request head (past the handshake) waits
     * for the rest without its read buffers, as an idle one does, once the client has sent nothing
     * for a moment; the rest, when it comes, is served. Thousands of such clients held 34 KiB each.
     */
    @Test
    void aClientStalledPartwayThroughAHeadIsWaitedForWithoutTheReadBuffers() throws Exception {
        Map<String, Thread> threads = new ConcurrentHashMap<>();
        JsseSslAdapter adapter = new JsseSslAdapter(config);
        try (TestServer server = TestServer.start(WsgiTestApps.pathRecordingThreads(threads), b -> b.sslAdapter(adapter).workerMode(WorkerMode.VIRTUAL));
             EngineTlsClient tls = EngineTlsClient.connect(client, server.port())) {
            tls.send(tls.record(get("/one")));
            assertTrue(tls.readUntil("/one").startsWith("HTTP/1.1 200 OK"));
            tls.send(tls.record("GET /two HTTP/1.1\r\nHost: localhost\r\n")); // the head's end not yet
            awaitBuffersBack(adapter.buffers(), "stalled partway through a head");
            tls.send(tls.record("\r\n"));
            assertTrue(tls.readUntil("/two").contains("200 OK"), "served once the head is whole");
        }
    }

    /**
     * A client that stops reading a large response: while the write waits for it, the connection
     * holds the write's buffers only; its read buffers, empty, are back in the pool.
     */
    @Test
    void aLargeWriteToAClientThatDoesNotReadHoldsNoReadBuffers() throws Exception {
        JsseSslAdapter adapter = new JsseSslAdapter(config);
        byte[] big = new byte[8 << 20];
        java.util.Arrays.fill(big, (byte) 'x');
        org.minipylib.wsgiserver.WsgiApp app = (env, sr) -> {
            sr.start("200 OK", WsgiTestApps.textPlain());
            return List.of(big);
        };
        try (TestServer server = TestServer.start(app, b -> b.sslAdapter(adapter).workerMode(WorkerMode.VIRTUAL));
             EngineTlsClient tls = EngineTlsClient.connect(client, server.port())) {
            tls.send(tls.record(get("/big"))); // and never read: the server's write fills the sockets and waits
            Thread.sleep(500);
            byte[][] taken = {adapter.buffers().take(), adapter.buffers().take()};
            for (byte[] b : taken) assertTrue(used(b), "the read buffers are back in the pool");
        }
    }

    /**
     * Waits briefly (the server reads what the client sent on its own thread), then checks that the
     * pool holds the connection's three used buffers (with the old code they stayed taken).
     */
    private static void awaitBuffersBack(BufferPool pool, String what) throws InterruptedException {
        Thread.sleep(200);
        assertPoolHoldsUsedBuffers(pool, what);
    }

    private static String exchange(OutputStream out, BufferedReader in, String path) throws Exception {
        out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        assertEquals("HTTP/1.1 200 OK", in.readLine());
        int length = -1;
        for (String line = in.readLine(); !line.isEmpty(); line = in.readLine()) {
            if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) length = Integer.parseInt(line.substring(15).trim());
        }
        char[] body = new char[length];
        for (int n = 0; n < length; ) n += in.read(body, n, length - n);
        return new String(body);
    }

    /** Takes the three buffers given back last and returns them: each must hold data (a new array is all zeros). */
    private static void assertPoolHoldsUsedBuffers(BufferPool pool, String what) {
        byte[][] taken = {pool.take(), pool.take(), pool.take()};
        for (byte[] b : taken) assertTrue(used(b), what);
        for (byte[] b : taken) pool.give(b);
    }

    private static boolean used(byte[] buffer) {
        for (byte b : buffer) if (b != 0) return true;
        return false;
    }
}
