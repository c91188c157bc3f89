package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.TlsClients;
import org.minipylib.wsgiserver.tls.JsseSslAdapter;
import org.minipylib.wsgiserver.tls.TlsConfig;
import org.minipylib.wsgiserver.tls.TlsCredentials;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.request;

/**
 * Bodies of {@link ByteBuffer}s ({@link ByteBufferBody}, {@link BodyWriter#write(ByteBuffer)}) reach
 * the client byte for byte, framed as array bodies are, in both worker modes, over TLS too, and the
 * server never moves a buffer's position or limit (one buffer may serve many responses at once).
 */
class ByteBufferBodyTest {

    private static final List<Header> OCTETS = List.of(Header.of("Content-Type", "application/octet-stream"));

    /** Random bytes, so that a misplaced or repeated slice cannot pass for the right one. */
    private static byte[] randomBytes(int n, long seed) {
        byte[] bytes = new byte[n];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static ByteBuffer direct(byte[] bytes) {
        return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
    }

    /** A body of these buffers with no known length: streamed, chunked on HTTP/1.1. */
    private static ByteBufferBody streamed(ByteBuffer... buffers) {
        return () -> List.of(buffers).iterator();
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aDirectBodyFromItsPositionArrivesWithItsLengthAndTheBufferDoesNotMove(WorkerMode mode) throws Exception {
        byte[] bytes = randomBytes(1024 * 1024 + 123, 1); // more than a write slice (32 KiB) and the output buffer
        ByteBuffer buffer = direct(bytes).position(5);
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", OCTETS);
            return ByteBufferBody.of(buffer);
        };
        byte[] expected = Arrays.copyOfRange(bytes, 5, bytes.length);
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode)); RawClient client = server.connect()) {
            for (int i = 0; i < 3; i++) { // later requests come after an idle wait: in virtual-thread mode another path
                client.send(get("/"));
                RawClient.Response r = client.read();
                assertEquals(200, r.status());
                assertEquals(String.valueOf(expected.length), r.header("Content-Length"));
                assertNull(r.header("Transfer-Encoding"));
                assertArrayEquals(expected, r.body(), "request " + i);
            }
        }
        assertEquals(5, buffer.position(), "the server never moves the application's buffer");
        assertEquals(bytes.length, buffer.limit());
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void oneSharedBufferServesManyResponsesAtOnce(WorkerMode mode) throws Exception {
        byte[] bytes = randomBytes(200 * 1024, 2);
        ByteBuffer shared = direct(bytes).asReadOnlyBuffer();
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", OCTETS);
            return ByteBufferBody.of(shared);
        };
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode).maxThreads(16))) {
            ExecutorService clients = Executors.newFixedThreadPool(12);
            try {
                List<Future<Integer>> results = new ArrayList<>();
                for (int c = 0; c < 12; c++) {
                    results.add(clients.submit(() -> {
                        try (RawClient client = server.connect()) {
                            for (int i = 0; i < 8; i++) {
                                client.send(get("/"));
                                assertArrayEquals(bytes, client.read().body());
                            }
                        }
                        return 8;
                    }));
                }
                int total = 0;
                for (Future<Integer> f : results) total += f.get(60, TimeUnit.SECONDS);
                assertEquals(96, total);
            } finally {
                clients.shutdownNow();
            }
        }
        assertEquals(0, shared.position());
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aBodyOfUnknownLengthIsChunkedWhateverItsBuffersAre(WorkerMode mode) throws Exception {
        byte[] small = randomBytes(100, 3);
        byte[] large = randomBytes(100 * 1024, 4);
        byte[] heap = randomBytes(5000, 5);
        byte[] sliced = randomBytes(3000, 6);
        ByteBuffer slice = ByteBuffer.wrap(sliced).position(1000).slice(); // an array offset of 1000
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", OCTETS);
            return streamed(direct(small), ByteBuffer.allocateDirect(0), direct(large),
                    ByteBuffer.wrap(heap).asReadOnlyBuffer(), slice);
        };
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode)); RawClient client = server.connect()) {
            client.send(get("/"));
            RawClient.Response r = client.read();
            assertEquals("chunked", r.header("Transfer-Encoding"));
            byte[] expected = concat(small, large, heap, Arrays.copyOfRange(sliced, 1000, 3000));
            assertArrayEquals(expected, r.body());
            client.send(get("/")); // the framing held: the connection still serves
            assertArrayEquals(expected, client.read().body());
        }
    }

    @Test
    void headGetsTheLengthAndNoBodyAndTheConnectionGoesOn() throws Exception {
        ByteBuffer buffer = direct(randomBytes(70_000, 7));
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", OCTETS);
            return ByteBufferBody.of(buffer);
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.send(request("HEAD", "/"));
            RawClient.Response head = client.read(true);
            assertEquals("70000", head.header("Content-Length"));
            client.send(get("/"));
            RawClient.Response r = client.read();
            assertEquals(200, r.status(), "no body bytes were left on the connection after the HEAD response");
            assertEquals(70_000, r.body().length);
        }
    }

    @Test
    void anApplicationContentLengthShorterThanTheBuffersCutsTheBodyAndCloses() throws Exception {
        byte[] bytes = randomBytes(100_000, 8);
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", List.of(Header.of("Content-Length", "10")));
            return ByteBufferBody.of(direct(bytes));
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.send(get("/"));
            RawClient.Response r = client.read();
            assertArrayEquals(Arrays.copyOf(bytes, 10), r.body());
            assertTrue(client.isClosedByServer(), "the rest of the buffer is dropped and the connection closed");
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void theWriteCallableSendsBuffersWithoutMovingThem(WorkerMode mode) throws Exception {
        byte[] small = randomBytes(10, 9);
        byte[] large = randomBytes(300_000, 10);
        ByteBuffer a = direct(small);
        ByteBuffer b = direct(large).position(7);
        WsgiApp app = (env, sr) -> {
            BodyWriter write = sr.start("200 OK", OCTETS);
            write.write(a);
            write.write(b);
            return List.of();
        };
        try (TestServer server = TestServer.start(app, o -> o.workerMode(mode)); RawClient client = server.connect()) {
            client.send(get("/"));
            assertArrayEquals(concat(small, Arrays.copyOfRange(large, 7, large.length)), client.read().body());
        }
        assertEquals(0, a.position());
        assertEquals(7, b.position());
    }

    @Test
    void headOfAStreamedBodyIsChunkedWithoutBodyAnd204HasNone() throws Exception {
        WsgiApp app = (env, sr) -> {
            sr.start(env.pathInfo().equals("/none") ? "204 No Content" : "200 OK", OCTETS);
            return streamed(direct(randomBytes(50_000, 12)), direct(randomBytes(10, 13)));
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.send(request("HEAD", "/"));
            RawClient.Response head = client.read(true);
            assertEquals(200, head.status());
            assertEquals("chunked", head.header("Transfer-Encoding"));
            client.send(get("/none"));
            RawClient.Response none = client.read();
            assertEquals(204, none.status());
            assertNull(none.header("Content-Length"));
            client.send(get("/"));
            assertEquals(50_010, client.read().body().length, "no body bytes were left on the connection before");
        }
    }

    @Test
    void http10GetsAStreamedBodyDelimitedByTheClose() throws Exception {
        byte[] bytes = randomBytes(80_000, 14);
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", OCTETS);
            return streamed(direct(bytes));
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.send("GET / HTTP/1.0\r\n\r\n");
            RawClient.Response r = client.read();
            assertNull(r.header("Transfer-Encoding"));
            assertNull(r.header("Content-Length"));
            assertArrayEquals(bytes, r.body());
        }
    }

    /** A body whose buffers hold fewer or more bytes than its length says: the connection closes after it. */
    @Test
    void aWrongLengthClosesTheConnection() throws Exception {
        byte[] bytes = randomBytes(40_000, 15);
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", OCTETS);
            long claimed = env.pathInfo().equals("/short") ? 30_000 : 50_000;
            return new ByteBufferBody() {
                @Override
                public Iterator<ByteBuffer> buffers() {
                    return List.of(direct(bytes)).iterator();
                }

                @Override
                public long length() {
                    return claimed;
                }
            };
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.send(get("/short"));
            RawClient.Response r = client.read();
            assertEquals("30000", r.header("Content-Length"));
            assertArrayEquals(Arrays.copyOf(bytes, 30_000), r.body(), "cut at the length sent");
            assertTrue(client.isClosedByServer());
        }
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.send(get("/long"));
            String head = client.readLine();
            assertEquals("HTTP/1.1 200 OK", head);
            byte[] rest = client.readToEnd(); // the server closes after the 40 000 bytes it had
            assertTrue(rest.length < 40_000 + 300 && rest.length >= 40_000, "closed after the bytes it had: " + rest.length);
        }
    }

    /** A middleware's own writer gets the bytes through the default method, and the buffer does not move. */
    @Test
    void theDefaultWriteOfABufferCopiesItsRemainingBytes() throws Exception {
        List<byte[]> written = new ArrayList<>();
        BodyWriter writer = written::add;
        ByteBuffer buffer = direct(new byte[] {1, 2, 3, 4, 5}).position(2);
        writer.write(buffer);
        assertArrayEquals(new byte[] {3, 4, 5}, written.get(0));
        assertEquals(2, buffer.position());
    }

    @Test
    void anEmptyBodyHasContentLengthZero() throws Exception {
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", OCTETS);
            return ByteBufferBody.of();
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.send(get("/"));
            RawClient.Response r = client.read();
            assertEquals("0", r.header("Content-Length"));
            assertEquals(0, r.body().length);
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void everyByteWrittenFromBuffersIsCounted(WorkerMode mode) throws Exception {
        ByteBuffer buffer = direct(randomBytes(150_000, 11));
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", OCTETS);
            return ByteBufferBody.of(buffer);
        };
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode))) {
            long received;
            try (RawClient client = server.connect()) {
                client.send(get("/"));
                assertEquals(150_000, client.read().body().length); // the second request comes after an idle wait
                client.send(get("/", "Connection: close\r\n"));
                received = client.readToEnd().length;
            }
            long firstResponse = Poll.until(() -> server.server().statistics(), st -> st.requests() == 2 && st.openConnections() == 0,
                    "two responses").bytesWritten() - received;
            assertTrue(received > 150_000 && received < 150_300, "the second response, head and body: " + received);
            assertEquals(received - "Connection: close\r\n".length(), firstResponse,
                    "the first response counted as sent, each byte once (its head lacks only the Connection line)");
        }
    }

    /** A middleware that iterates the body as arrays sees the buffers' bytes, and moves no buffer. */
    @Test
    void iteratedAsArraysTheBodyGivesCopiesOfItsBuffers() {
        ByteBuffer first = direct(new byte[] {1, 2, 3, 4}).position(1);
        ByteBuffer second = ByteBuffer.wrap(new byte[] {5, 6}).asReadOnlyBuffer();
        ByteBufferBody body = ByteBufferBody.of(first, second);
        assertEquals(5, body.length());
        Iterator<byte[]> arrays = body.iterator();
        assertArrayEquals(new byte[] {2, 3, 4}, arrays.next());
        assertArrayEquals(new byte[] {5, 6}, arrays.next());
        assertEquals(false, arrays.hasNext());
        assertEquals(1, first.position());
        assertEquals(0, second.position());
    }

    @TempDir
    static Path dir;

    /** Over TLS the engine encrypts from the buffers: same bytes, same framing. */
    @Test
    void overTlsTheSameBytesArrive() throws Exception {
        TestCertificates certs = TestCertificates.newCa(dir, "buffer-ca");
        TestCertificates.Identity id = certs.issue("localhost", "EC", "localhost");
        TlsCredentials credentials = TlsCredentials.pem(certs.certificatePem(id, "ec.pem"), certs.sec1(id, "ec.key"));
        String text = "0123456789abcdef".repeat(20_000); // 320 000 bytes
        ByteBuffer buffer = direct(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return ByteBufferBody.of(buffer);
        };
        JsseSslAdapter adapter = new JsseSslAdapter(TlsConfig.builder(credentials).build());
        try (TestServer server = TestServer.start(app, b -> b.sslAdapter(adapter))) {
            HttpResponse<String> r = TlsClients.get(certs.clientContext(null), server.port(), "/");
            assertEquals(200, r.statusCode());
            assertEquals(text, r.body());
        }
        assertEquals(0, buffer.position());
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] all = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }
}
