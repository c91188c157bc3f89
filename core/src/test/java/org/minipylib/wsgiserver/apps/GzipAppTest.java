package org.minipylib.wsgiserver.apps;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.minipylib.wsgiserver.BodyWriter;
import org.minipylib.wsgiserver.ByteBufferBody;
import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.StartResponse;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.OptionalTool;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps.Streamed;
import org.minipylib.wsgiserver.tls.JsseSslAdapter;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.request;

/**
 * GzipApp in front of a real server on 127.0.0.1, with raw sockets, the JDK's HttpClient and curl:
 * what is compressed and what is not, the headers of both, HEAD, ETags and 304s, streamed, written,
 * file and buffer bodies, excInfo restarts, keep-alive and pipelining after compressed responses,
 * and that every deflater is ended: after a response, an application error, or a client that left.
 */
@Timeout(60)
class GzipAppTest {

    private static final String GZIP = "Accept-Encoding: gzip\r\n";
    private static final byte[] TEXT = text(10_000);
    private static final int LARGE = 8 * 1024 * 1024;
    private static final int CHUNK = 64 * 1024;

    @TempDir
    static Path dir;
    private static TestServer server;
    private static final CountingDeflaters deflaters = new CountingDeflaters();
    private static final List<Streamed> bodies = new ArrayList<>();
    private static byte[] fileText;

    @BeforeAll
    static void start() throws IOException {
        fileText = text(1024 * 1024);
        Files.write(dir.resolve("big.txt"), fileText);
        Files.write(dir.resolve("photo.png"), TEXT);
        Files.write(dir.resolve("small.txt"), Arrays.copyOf(TEXT, 10)); // below the minimum size: never compressed
        WsgiApp routes = new PathInfoDispatcher(Map.<String, WsgiApp>of("/", GzipAppTest::route, "/files", StaticFilesApp.of(dir)));
        server = TestServer.start(GzipApp.of(routes).withDeflaters(deflaters));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    /** Lines of text that compress well, {@code length} bytes. */
    static byte[] text(int length) {
        StringBuilder sb = new StringBuilder(length + 64);
        for (int i = 0; sb.length() < length; i++) sb.append("line ").append(i).append(" of a body worth compressing\n");
        return Arrays.copyOf(sb.toString().getBytes(StandardCharsets.US_ASCII), length);
    }

    private static List<Header> headers(String... namesAndValues) {
        List<Header> list = new ArrayList<>();
        for (int i = 0; i < namesAndValues.length; i += 2) list.add(Header.of(namesAndValues[i], namesAndValues[i + 1]));
        return list;
    }

    private static Iterable<byte[]> route(Environ environ, StartResponse start) throws Exception {
        String plain = "text/plain; charset=utf-8";
        switch (environ.pathInfo()) {
            case "/text" -> {
                start.start("200 OK", headers("Content-Type", plain, "ETag", "\"v1\""));
                return List.of(Arrays.copyOf(TEXT, 4000), Arrays.copyOfRange(TEXT, 4000, TEXT.length));
            }
            case "/empty-for-head" -> { // the usual WSGI HEAD: the GET's headers, no body
                start.start("200 OK", headers("Content-Type", plain, "Content-Length", Integer.toString(TEXT.length)));
                return environ.method().equals("HEAD") ? List.of() : List.of(TEXT);
            }
            case "/json" -> {
                start.start("200 OK", headers("Content-Type", "application/json", "Content-Length", Integer.toString(TEXT.length),
                        "Vary", "Origin"));
                return List.of(TEXT);
            }
            case "/small" -> {
                start.start("200 OK", headers("Content-Type", plain));
                return List.of(Arrays.copyOf(TEXT, 255));
            }
            case "/small-declared" -> { // a streamed body: only its Content-Length says it is small
                start.start("200 OK", headers("Content-Type", plain, "Content-Length", "100"));
                return Streamed.of(Arrays.copyOf(TEXT, 100));
            }
            case "/png" -> {
                start.start("200 OK", headers("Content-Type", "image/png"));
                return List.of(TEXT);
            }
            case "/untyped" -> {
                start.start("200 OK", headers());
                return List.of(TEXT);
            }
            case "/encoded" -> {
                start.start("200 OK", headers("Content-Type", plain, "Content-Encoding", "br"));
                return List.of(TEXT);
            }
            case "/no-transform" -> {
                start.start("200 OK", headers("Content-Type", plain, "Cache-Control", "public, No-Transform"));
                return List.of(TEXT);
            }
            case "/digest" -> {
                start.start("200 OK", headers("Content-Type", plain, "Content-Digest", "sha-256=:AAAA:"));
                return List.of(TEXT);
            }
            case "/partial" -> {
                start.start("206 Partial Content", headers("Content-Type", plain, "Content-Range", "bytes 0-9999/20000"));
                return List.of(TEXT);
            }
            case "/partial-png" -> {
                start.start("206 Partial Content", headers("Content-Type", "image/png", "Content-Range", "bytes 0-9999/20000"));
                return List.of(TEXT);
            }
            case "/range-200" -> {
                start.start("200 OK", headers("Content-Type", plain, "Content-Range", "bytes 0-9999/10000"));
                return List.of(TEXT);
            }
            case "/no-content" -> {
                start.start("204 No Content", headers("Content-Type", plain));
                return List.of();
            }
            case "/events" -> {
                start.start("200 OK", headers("Content-Type", "text/event-stream"));
                return List.of(TEXT);
            }
            case "/stream" -> {
                start.start("200 OK", headers("Content-Type", plain));
                byte[] block = text(CHUNK);
                Streamed body = new Streamed(i -> i < LARGE / CHUNK ? block : null);
                synchronized (bodies) {
                    bodies.add(body);
                }
                return body;
            }
            case "/incompressible" -> { // fills the socket quickly: for clients that leave
                start.start("200 OK", headers("Content-Type", plain));
                byte[] block = new byte[CHUNK];
                new Random(1).nextBytes(block);
                Streamed body = new Streamed(i -> i < 4096 ? block : null);
                synchronized (bodies) {
                    bodies.add(body);
                }
                return body;
            }
            case "/write" -> {
                BodyWriter write = start.start("200 OK", headers("Content-Type", plain, "Content-Length", Integer.toString(TEXT.length)));
                write.write(TEXT, 0, 1000);
                write.write(ByteBuffer.allocateDirect(3000).put(TEXT, 1000, 3000).flip());
                write.write(Arrays.copyOfRange(TEXT, 4000, 9000));
                return List.of(Arrays.copyOfRange(TEXT, 9000, TEXT.length));
            }
            case "/write-large" -> {
                BodyWriter write = start.start("200 OK", headers("Content-Type", plain));
                byte[] block = text(CHUNK);
                for (int i = 0; i < 64; i++) write.write(block);
                return List.of();
            }
            case "/write-fails" -> {
                BodyWriter write = start.start("200 OK", headers("Content-Type", plain));
                write.write(TEXT);
                throw new IllegalStateException("the application failed after a write");
            }
            case "/body-fails" -> {
                start.start("200 OK", headers("Content-Type", plain));
                byte[] block = text(CHUNK);
                Streamed body = new Streamed(i -> {
                    if (i == 20) throw new IllegalStateException("the body failed in the middle");
                    return block;
                });
                synchronized (bodies) {
                    bodies.add(body);
                }
                return body;
            }
            case "/lazy" -> { // start is called only as the body is iterated, as a generator would
                return () -> new Iterator<>() {
                    private int i;

                    @Override
                    public boolean hasNext() {
                        if (i == 0) start.start("200 OK", headers("Content-Type", "text/html"));
                        return i < 3;
                    }

                    @Override
                    public byte[] next() {
                        i++;
                        return TEXT;
                    }
                };
            }
            case "/restart" -> {
                start.start("200 OK", headers("Content-Type", "image/png", "Content-Length", "5"));
                start.start("500 Internal Server Error", headers("Content-Type", plain), new IllegalStateException("replaced"));
                return List.of(TEXT);
            }
            case "/restart-in-body" -> { // an empty chunk sends nothing: the error page still replaces the response
                start.start("200 OK", headers("Content-Type", "text/html"));
                return () -> new Iterator<>() {
                    private int i;

                    @Override
                    public boolean hasNext() {
                        return i < 2;
                    }

                    @Override
                    public byte[] next() {
                        if (i++ == 0) return new byte[0];
                        start.start("500 Internal Server Error", headers("Content-Type", "image/png"), new IllegalStateException("failed"));
                        return TEXT;
                    }
                };
            }
            case "/restart-too-late" -> { // compressed bytes went out: start with excInfo rethrows
                start.start("200 OK", headers("Content-Type", plain));
                byte[] block = new byte[CHUNK];
                new Random(2).nextBytes(block);
                return new Streamed(i -> {
                    if (i < 4) return block;
                    start.start("500 Internal Server Error", headers("Content-Type", plain), new IllegalStateException("too late"));
                    return null;
                });
            }
            case "/progressive" -> { // the second chunk only once the client read the first
                start.start("200 OK", headers("Content-Type", "text/html"));
                return new Streamed(i -> switch (i) {
                    case 0 -> FIRST;
                    case 1 -> awaitClient(SECOND);
                    default -> null;
                });
            }
            case "/write-progressive" -> {
                BodyWriter write = start.start("200 OK", headers("Content-Type", "text/html"));
                write.write(FIRST);
                return List.of(awaitClient(SECOND));
            }
            case "/buffers" -> {
                start.start("200 OK", headers("Content-Type", plain));
                ByteBuffer direct = ByteBuffer.allocateDirect(TEXT.length).put(TEXT).flip();
                return ByteBufferBody.of(direct.slice(0, 5000), direct.slice(5000, TEXT.length - 5000));
            }
            case "/empty-stream" -> {
                start.start("200 OK", headers("Content-Type", plain));
                return Streamed.of(new byte[0], new byte[0]);
            }
            default -> {
                start.start("404 Not Found", headers("Content-Type", plain));
                return List.of("no such test route".getBytes(StandardCharsets.US_ASCII));
            }
        }
    }

    private static final byte[] FIRST = "<p>the first part of a page".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SECOND = "<p>the rest, once the client has the first".getBytes(StandardCharsets.US_ASCII);
    private static final SynchronousQueue<Boolean> clientHasFirst = new SynchronousQueue<>();

    /** {@code piece}, once the test says its client decompressed the part before (10 s at most). */
    private static byte[] awaitClient(byte[] piece) {
        try {
            return clientHasFirst.poll(10, TimeUnit.SECONDS) != null ? piece : "(the client never had the first part)".getBytes(StandardCharsets.US_ASCII);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static RawClient.Response fetch(String requestText) throws IOException {
        try (RawClient client = server.connect()) {
            return client.send(requestText).read(requestText.startsWith("HEAD "));
        }
    }

    static byte[] gunzip(byte[] compressed) throws IOException {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
            return in.readAllBytes();
        }
    }

    private static void assertCompressed(RawClient.Response response, byte[] expected) throws IOException {
        assertEquals("gzip", response.header("Content-Encoding"));
        assertEquals("Accept-Encoding", response.header("Vary"));
        assertArrayEquals(expected, gunzip(response.body()));
        assertTrue(response.body().length < expected.length / 2, "compressed: " + response.body().length);
    }

    @Test
    void bodyInMemoryIsCompressedWholeWithContentLength() throws IOException {
        RawClient.Response response = fetch(get("/text", GZIP));
        assertEquals(200, response.status());
        assertCompressed(response, TEXT);
        assertEquals(Integer.toString(response.body().length), response.header("Content-Length"));
        assertNull(response.header("Transfer-Encoding"));
        assertEquals("W/\"v1\"", response.header("ETag"));
    }

    @Test
    void applicationsContentLengthIsReplacedAndVaryMerged() throws IOException {
        RawClient.Response response = fetch(get("/json", "Accept-Encoding: br, gzip;q=0.5\r\n"));
        assertEquals("gzip", response.header("Content-Encoding"));
        assertEquals("Origin, Accept-Encoding", response.header("Vary"));
        assertEquals(List.of("Vary"), response.headerNames().stream().filter(n -> n.equalsIgnoreCase("Vary")).toList());
        assertArrayEquals(TEXT, gunzip(response.body()));
        assertEquals(Integer.toString(response.body().length), response.header("Content-Length"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Accept-Encoding: identity\r\n", "Accept-Encoding: gzip;q=0, *\r\n", "Accept-Encoding: br, deflate\r\n",
            "Accept-Encoding: *;q=0\r\n"})
    void clientThatDoesNotAcceptGzipGetsTheBodyAsItIsWithVary(String acceptEncoding) throws IOException {
        RawClient.Response response = fetch(get("/text", acceptEncoding));
        assertNull(response.header("Content-Encoding"));
        assertEquals("Accept-Encoding", response.header("Vary"));
        assertEquals("\"v1\"", response.header("ETag"));
        assertEquals(Integer.toString(TEXT.length), response.header("Content-Length"));
        assertArrayEquals(TEXT, response.body());
    }

    @Test
    void wildcardAcceptsGzip() throws IOException {
        assertCompressed(fetch(get("/text", "Accept-Encoding: *\r\n")), TEXT);
    }

    /** Responses never compressed, nor marked Vary: their bytes and headers are the application's. */
    @ParameterizedTest
    @ValueSource(strings = {"/small", "/small-declared", "/png", "/untyped", "/encoded", "/no-transform", "/digest", "/partial-png",
            "/range-200", "/no-content", "/events", "/empty-stream"})
    void responsesNotWorthCompressingAreLeftAlone(String path) throws IOException {
        RawClient.Response withGzip = fetch(get(path, GZIP));
        RawClient.Response without = fetch(get(path));
        assertEquals(without.status(), withGzip.status());
        assertArrayEquals(without.body(), withGzip.body());
        assertEquals(path.equals("/encoded") ? "br" : null, withGzip.header("Content-Encoding"));
        assertNull(withGzip.header("Vary"));
        assertEquals(without.header("Content-Length"), withGzip.header("Content-Length"));
    }

    @Test
    void minimumSizeIsInclusive() throws IOException {
        WsgiApp app = (environ, start) -> {
            start.start("200 OK", headers("Content-Type", "text/plain"));
            return List.of(Arrays.copyOf(TEXT, Integer.parseInt(environ.queryString())));
        };
        try (TestServer s = TestServer.start(GzipApp.of(app).withMinSize(1000)); RawClient client = s.connect()) {
            assertNull(client.send(get("/?999", GZIP)).read().header("Content-Encoding"));
            assertCompressed(client.send(get("/?1000", GZIP)).read(), Arrays.copyOf(TEXT, 1000));
        }
    }

    @Test
    void headGetsTheHeadersOfTheCompressedGetAndNoBody() throws IOException {
        try (RawClient client = server.connect()) {
            RawClient.Response head = client.send(request("HEAD", "/text", GZIP)).read(true);
            assertEquals(200, head.status());
            assertEquals("gzip", head.header("Content-Encoding"));
            assertEquals("Accept-Encoding", head.header("Vary"));
            assertEquals("W/\"v1\"", head.header("ETag"));
            // compressed at once, as for the GET: the same Content-Length, not chunked framing the GET
            // does not use (RFC 9112 section 6.1)
            RawClient.Response get = client.send(get("/text", GZIP)).read();
            assertEquals(Integer.toString(get.body().length), get.header("Content-Length"));
            assertEquals(get.header("Content-Length"), head.header("Content-Length"));
            assertNull(head.header("Transfer-Encoding"));
            // nothing follows the head: the next response on the connection is read whole
            assertCompressed(client.send(get("/text", GZIP)).read(), TEXT);
            RawClient.Response plainHead = client.send(request("HEAD", "/text")).read(true);
            assertNull(plainHead.header("Content-Encoding"));
            assertEquals(Integer.toString(TEXT.length), plainHead.header("Content-Length"));
        }
    }

    /**
     * A HEAD answered with an empty body, the GET's headers given (as applications and StaticFilesApp
     * answer it), keeps no Content-Length: compressing the empty body would claim 20, a gzip stream of
     * nothing, where RFC 9110 section 8.6 allows only the GET's (interop review: wget and requests showed 20).
     */
    @Test
    void aHeadAnsweredWithAnEmptyBodyClaimsNoCompressedLength() throws IOException {
        try (RawClient client = server.connect()) {
            for (String path : List.of("/empty-for-head", "/files/big.txt")) {
                RawClient.Response head = client.send(request("HEAD", path, GZIP)).read(true);
                assertEquals(200, head.status(), path);
                assertEquals("gzip", head.header("Content-Encoding"), path);
                assertNull(head.header("Content-Length"), path + ": a HEAD cannot know the compressed length");
                assertEquals("gzip", client.send(get(path, GZIP)).read().header("Content-Encoding"), path);
            }
            assertCompressed(client.send(get("/text", GZIP)).read(), TEXT); // the connection is still in step
        }
    }

    @Test
    void streamedBodyGoesChunkedInBoundedPieces() throws Exception {
        try (RawClient client = server.connect()) {
            client.send(get("/stream", GZIP));
            Map<String, String> head = readHead(client);
            assertEquals("gzip", head.get("content-encoding"));
            assertEquals("chunked", head.get("transfer-encoding"));
            assertNull(head.get("content-length"));
            ByteArrayOutputStream compressed = new ByteArrayOutputStream();
            int pieces = 0;
            while (true) {
                int size = Integer.parseInt(client.readLine().trim(), 16);
                if (size == 0) break;
                assertTrue(size <= GzipApp.PIECE_SIZE, "a piece of " + size + " bytes");
                compressed.write(client.input().readNBytes(size));
                assertEquals("", client.readLine());
                pieces++;
            }
            assertEquals("", client.readLine());
            assertTrue(pieces > 1, "pieces: " + pieces);
            byte[] body = gunzip(compressed.toByteArray());
            assertEquals(LARGE, body.length);
            byte[] block = text(CHUNK);
            for (int i = 0; i < LARGE; i += CHUNK) assertArrayEquals(block, Arrays.copyOfRange(body, i, i + CHUNK));
            // the connection stays open for the next request
            assertCompressed(client.send(get("/text", GZIP)).read(), TEXT);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/progressive", "/write-progressive"})
    void eachStreamedChunkReachesTheClientWhenTheApplicationYieldsIt(String path) throws Exception {
        try (RawClient client = server.connect()) {
            client.send(get(path, GZIP));
            Map<String, String> head = readHead(client);
            assertEquals("gzip", head.get("content-encoding"));
            ByteArrayOutputStream compressed = new ByteArrayOutputStream();
            Inflater inflater = new Inflater(true);
            try {
                byte[] first = new byte[FIRST.length];
                int got = 0;
                while (got < FIRST.length) { // the application waits meanwhile: all of this is its first chunk
                    int size = Integer.parseInt(client.readLine().trim(), 16);
                    assertTrue(size > 0, "the body ended before its first part could be decompressed");
                    byte[] data = client.input().readNBytes(size);
                    assertEquals("", client.readLine());
                    int skip = compressed.size() == 0 ? 10 : 0; // the gzip header
                    compressed.write(data);
                    inflater.setInput(data, skip, data.length - skip);
                    got += inflater.inflate(first, got, first.length - got);
                }
                assertArrayEquals(FIRST, first);
            } finally {
                inflater.end();
            }
            assertTrue(clientHasFirst.offer(true, 10, TimeUnit.SECONDS), "the application did not wait for the client");
            while (true) {
                int size = Integer.parseInt(client.readLine().trim(), 16);
                if (size == 0) break;
                compressed.write(client.input().readNBytes(size));
                assertEquals("", client.readLine());
            }
            assertEquals("", client.readLine());
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            expected.write(FIRST);
            expected.write(SECOND);
            assertArrayEquals(expected.toByteArray(), gunzip(compressed.toByteArray()));
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void compressedOverTls(WorkerMode mode) throws Exception {
        TestCertificates.LocalhostTls tls = TestCertificates.localhostTls(Files.createDirectories(dir.resolve("tls-" + mode)), "gzip-ca");
        WsgiApp routes = new PathInfoDispatcher(Map.<String, WsgiApp>of("/", GzipAppTest::route, "/files", StaticFilesApp.of(dir)));
        JsseSslAdapter adapter = new JsseSslAdapter(tls.server());
        try (TestServer tlsServer = TestServer.start(GzipApp.of(routes), b -> b.workerMode(mode).sslAdapter(adapter));
             RawClient client = new RawClient(tls.client().getSocketFactory().createSocket("127.0.0.1", tlsServer.port()))) {
            client.timeout(30_000);
            assertCompressed(client.send(get("/files/big.txt", GZIP)).read(), fileText); // a FileBody, read and compressed
            client.send(get("/stream", GZIP));
            assertEquals("gzip", readHead(client).get("content-encoding"));
            ByteArrayOutputStream compressed = new ByteArrayOutputStream();
            for (int size; (size = Integer.parseInt(client.readLine().trim(), 16)) > 0; ) {
                compressed.write(client.input().readNBytes(size));
                assertEquals("", client.readLine());
            }
            assertEquals("", client.readLine());
            assertArrayEquals(digest(streamExpected()), digest(gunzip(compressed.toByteArray())));
            assertCompressed(client.send(get("/text", GZIP)).read(), TEXT); // the connection kept
        }
    }

    @Test
    void pipelinedRequestsAfterCompressedResponses() throws IOException {
        try (RawClient client = server.connect()) {
            client.send(get("/stream", GZIP) + get("/text", GZIP) + request("HEAD", "/json", GZIP) + get("/png", GZIP) + get("/write", GZIP));
            RawClient.Response stream = client.read();
            assertEquals(LARGE, gunzip(stream.body()).length);
            assertCompressed(client.read(), TEXT);
            assertEquals("gzip", client.read(true).header("Content-Encoding"));
            assertArrayEquals(TEXT, client.read().body());
            assertCompressed(client.read(), TEXT);
            assertTrue(!client.timeout(200).isClosedByServer(), "the connection is kept");
        }
    }

    @Test
    void writeCallableIsCompressedIntoTheSameStream() throws IOException {
        RawClient.Response response = fetch(get("/write", GZIP));
        assertCompressed(response, TEXT);
        assertEquals("chunked", response.header("Transfer-Encoding")); // its Content-Length was the uncompressed one
        RawClient.Response large = fetch(get("/write-large", GZIP));
        assertEquals(64 * CHUNK, gunzip(large.body()).length);
        RawClient.Response plain = fetch(get("/write"));
        assertArrayEquals(TEXT, plain.body());
        assertEquals(Integer.toString(TEXT.length), plain.header("Content-Length"));
    }

    @Test
    void applicationThatStartsInItsBodyIsCompressed() throws IOException {
        RawClient.Response response = fetch(get("/lazy", GZIP));
        byte[] expected = new byte[3 * TEXT.length];
        for (int i = 0; i < 3; i++) System.arraycopy(TEXT, 0, expected, i * TEXT.length, TEXT.length);
        assertCompressed(response, expected);
    }

    @Test
    void excInfoReplacesTheResponseBeforeItStarts() throws IOException {
        RawClient.Response response = fetch(get("/restart", GZIP));
        assertEquals(500, response.status());
        assertCompressed(response, TEXT);
        RawClient.Response inBody = fetch(get("/restart-in-body", GZIP));
        assertEquals(500, inBody.status());
        assertNull(inBody.header("Content-Encoding")); // image/png now
        assertNull(inBody.header("Vary"));
        assertArrayEquals(TEXT, inBody.body());
    }

    @Test
    void excInfoAfterCompressedBytesWentOutCutsTheResponse() throws Exception {
        int ended = deflaters.ended.get();
        try (RawClient client = server.connect()) {
            client.send(get("/restart-too-late", GZIP));
            Map<String, String> head = readHead(client);
            assertEquals("gzip", head.get("content-encoding"));
            client.input().readAllBytes(); // up to the close: no last chunk
        }
        Poll.until(deflaters.ended::get, n -> n > ended, "the deflater ended");
    }

    @Test
    void fileAndBufferBodiesOfTextAreCompressed() throws IOException {
        RawClient.Response file = fetch(get("/files/big.txt", GZIP));
        assertCompressed(file, fileText);
        assertTrue(file.header("ETag").startsWith("W/\""), file.header("ETag"));
        assertCompressed(fetch(get("/buffers", GZIP)), TEXT);
        RawClient.Response png = fetch(get("/files/photo.png", GZIP));
        assertNull(png.header("Content-Encoding"));
        assertEquals(Integer.toString(TEXT.length), png.header("Content-Length"));
        RawClient.Response range = fetch(get("/files/big.txt", GZIP, "Range: bytes=0-99\r\n"));
        assertEquals(206, range.status());
        assertNull(range.header("Content-Encoding"));
        assertArrayEquals(Arrays.copyOf(fileText, 100), range.body());
    }

    /**
     * Ranges are of the file's bytes, not of the compressed stream: a compressed response offering
     * them would have a client that lost the connection ask for the rest of the gzip stream with
     * {@code Range: bytes=N-} and append the file's bytes from N to its gzip bytes (nginx drops the
     * field too).
     */
    @Test
    void compressedResponseOffersNoRanges() throws IOException {
        RawClient.Response compressed = fetch(get("/files/big.txt", GZIP));
        assertEquals("gzip", compressed.header("Content-Encoding"));
        assertNull(compressed.header("Accept-Ranges"));
        assertNull(fetch(request("HEAD", "/files/big.txt", GZIP)).header("Accept-Ranges"));
        assertEquals("bytes", fetch(get("/files/big.txt")).header("Accept-Ranges"), "identity: the ranges are of these bytes");
    }

    @Test
    void weakEtagRevalidatesToA304ThatRepeatsIt() throws IOException {
        String etag = fetch(get("/files/big.txt", GZIP)).header("ETag");
        RawClient.Response notModified = fetch(get("/files/big.txt", GZIP, "If-None-Match: " + etag + "\r\n"));
        assertEquals(304, notModified.status());
        assertEquals(etag, notModified.header("ETag"));
        assertEquals("Accept-Encoding", notModified.header("Vary"));
        String strong = etag.substring(2);
        RawClient.Response identity = fetch(get("/files/big.txt", "If-None-Match: " + strong + "\r\n"));
        assertEquals(304, identity.status());
        assertEquals(strong, identity.header("ETag"));
        assertEquals("Accept-Encoding", identity.header("Vary"), "the Vary of the 200 it stands for");
    }

    /**
     * RFC 9110 section 15.4.5: a file that is never compressed (a type that is not compressible, a
     * size below the minimum) keeps its strong ETag and has no Vary in its 304, as in its 200, though
     * the 304 names neither type nor size: the static app tells the middleware what its 200 would
     * carry. A weak tag there would end up in caches and make {@code If-Range} fail (full downloads).
     */
    @ParameterizedTest
    @ValueSource(strings = {"/files/photo.png", "/files/small.txt"})
    void aFileNeverCompressedKeepsItsStrongEtagAndNoVaryIn304s(String path) throws IOException {
        RawClient.Response whole = fetch(get(path, GZIP));
        assertNull(whole.header("Content-Encoding"));
        assertNull(whole.header("Vary"));
        String etag = whole.header("ETag");
        assertTrue(etag.startsWith("\""), etag);
        for (String acceptEncoding : List.of(GZIP, "")) {
            RawClient.Response notModified = fetch(get(path, acceptEncoding, "If-None-Match: " + etag + "\r\n"));
            assertEquals(304, notModified.status());
            assertEquals(etag, notModified.header("ETag"), "the 200's, for " + acceptEncoding.strip());
            assertNull(notModified.header("Vary"), "the 200's (none), for " + acceptEncoding.strip());
        }
    }

    /**
     * RFC 9110 section 15.4.5: a 304 carries the ETag the 200 to the same request would, so the one
     * its Accept-Encoding selects, whichever tag its If-None-Match lists (both match weakly).
     */
    @Test
    void theEtagOfA304IsTheOneTheRequestSelectsNotTheOneItLists() throws IOException {
        String strong = fetch(get("/files/big.txt")).header("ETag");
        String weak = "W/" + strong;
        assertEquals(weak, fetch(get("/files/big.txt", GZIP)).header("ETag"));
        RawClient.Response identity = fetch(get("/files/big.txt", "Accept-Encoding: identity\r\n", "If-None-Match: " + weak + "\r\n"));
        assertEquals(304, identity.status());
        assertEquals(strong, identity.header("ETag"), "the identity 200's");
        RawClient.Response gzip = fetch(get("/files/big.txt", GZIP, "If-None-Match: " + strong + "\r\n"));
        assertEquals(304, gzip.status());
        assertEquals(weak, gzip.header("ETag"), "the gzip 200's");
    }

    /**
     * RFC 9110 sections 15.4.5 and 15.3.7: a 304 and a 206 carry the Vary the 200 to the same
     * request would (every 200 of a compressible response has it, compressed or not), never compressed.
     */
    @ParameterizedTest
    @ValueSource(strings = {"", GZIP})
    void notModifiedAndPartialResponsesRepeatTheVaryOfTheWholeResponse(String acceptEncoding) throws IOException {
        RawClient.Response whole = fetch(get("/files/big.txt"));
        assertEquals("Accept-Encoding", whole.header("Vary"));
        List<RawClient.Response> answers = List.of(
                fetch(get("/files/big.txt", acceptEncoding, "If-None-Match: " + whole.header("ETag") + "\r\n")),
                fetch(get("/files/big.txt", acceptEncoding, "If-Modified-Since: " + whole.header("Last-Modified") + "\r\n")),
                fetch(get("/files/big.txt", acceptEncoding, "Range: bytes=0-9\r\n")),
                fetch(get("/files/big.txt", acceptEncoding, "Range: bytes=0-9,20-29\r\n")),
                fetch(get("/partial", acceptEncoding)));
        List<Integer> statuses = answers.stream().map(RawClient.Response::status).toList();
        assertEquals(List.of(304, 304, 206, 206, 206), statuses);
        for (RawClient.Response r : answers) {
            assertEquals("Accept-Encoding", r.header("Vary"), r.status() + " " + r.header("Content-Range"));
            assertNull(r.header("Content-Encoding"));
        }
        assertArrayEquals(Arrays.copyOf(fileText, 10), answers.get(2).body());
        assertNull(fetch(get("/partial-png", acceptEncoding)).header("Vary"), "a type never compressed has no Vary");
    }

    @Test
    void everyDeflaterIsEndedAfterResponsesErrorsAndClientsThatLeave() throws Exception {
        for (String path : List.of("/text", "/write", "/buffers", "/lazy")) fetch(get(path, GZIP));
        for (String path : List.of("/write-fails", "/body-fails")) { // what was written or yielded went out
            try (RawClient client = server.connect()) {
                client.send(get(path, GZIP));
                assertEquals("gzip", readHead(client).get("content-encoding"));
                client.input().readAllBytes(); // cut: the server closes the connection
            }
        }
        Streamed left;
        try (RawClient client = server.connect()) {
            client.send(get("/incompressible", GZIP));
            assertEquals("gzip", readHead(client).get("content-encoding"));
            synchronized (bodies) {
                left = bodies.get(bodies.size() - 1);
            }
            client.socket().setSoLinger(true, 0); // a reset: the server's next write fails at once
        }
        assertEquals(1, left.awaitCloses());
        Poll.until(() -> deflaters.created.get() - deflaters.ended.get(), n -> n == 0, "every deflater ended");
        synchronized (bodies) {
            for (Streamed b : bodies) assertEquals(1, b.awaitCloses());
        }
    }

    @Test
    void httpClientReadsTheCompressedBody() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        for (String path : List.of("/text", "/stream", "/files/big.txt")) {
            HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(server.uri(path)).header("Accept-Encoding", "gzip")
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals("gzip", response.headers().firstValue("Content-Encoding").orElse(null), path);
            byte[] body = gunzip(response.body());
            byte[] expected = path.equals("/text") ? TEXT : path.equals("/files/big.txt") ? fileText : null;
            if (expected != null) assertArrayEquals(expected, body, path);
            else assertEquals(LARGE, body.length);
        }
    }

    @Test
    void curlCompressed() throws Exception {
        Path curl = Path.of("/usr/bin/curl");
        OptionalTool.assumeInstalled(Files.isExecutable(curl), "curl is not installed");
        for (String path : List.of("/text", "/stream", "/files/big.txt")) {
            Path out = dir.resolve("curl-out");
            Process p = new ProcessBuilder(curl.toString(), "-sS", "--compressed", "--max-time", "30", "-o", out.toString(),
                    "-w", "%{size_download}", server.uri(path).toString()).redirectErrorStream(true).start();
            String written = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(p.waitFor(40, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), written);
            byte[] body = Files.readAllBytes(out);
            long downloaded = Long.parseLong(written.trim());
            assertTrue(downloaded < body.length / 2, path + ": " + downloaded + " bytes for " + body.length);
            if (path.equals("/text")) assertArrayEquals(TEXT, body);
            else if (path.equals("/stream")) assertArrayEquals(digest(streamExpected()), digest(body));
            else assertArrayEquals(fileText, body);
        }
    }

    @Test
    void settingsAreCheckedAndKept() {
        WsgiApp app = (environ, start) -> List.of();
        assertThrows(IllegalArgumentException.class, () -> GzipApp.of(app).withLevel(0));
        assertThrows(IllegalArgumentException.class, () -> GzipApp.of(app).withLevel(10));
        assertThrows(IllegalArgumentException.class, () -> GzipApp.of(app).withMinSize(-1));
        assertThrows(IllegalArgumentException.class, () -> GzipApp.of(app).withTypes("text"));
        GzipApp configured = GzipApp.of(app).withLevel(1).withMinSize(0).withTypes("Text/*");
        assertEquals(1, configured.level());
        assertEquals(0, configured.minSize());
        assertEquals(List.of("text/*"), configured.types());
        GzipApp defaults = GzipApp.of(app);
        assertEquals(GzipApp.DEFAULT_LEVEL, defaults.level());
        assertEquals(GzipApp.DEFAULT_MIN_SIZE, defaults.minSize());
        assertEquals(GzipApp.DEFAULT_TYPES, defaults.types());
    }

    private static byte[] streamExpected() {
        byte[] block = text(CHUNK);
        byte[] all = new byte[LARGE];
        for (int i = 0; i < LARGE; i += CHUNK) System.arraycopy(block, 0, all, i, CHUNK);
        return all;
    }

    private static byte[] digest(byte[] bytes) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }

    /** Reads a response head; names lower-cased. */
    private static Map<String, String> readHead(RawClient client) throws IOException {
        String status = client.readLine();
        assertTrue(status != null && status.startsWith("HTTP/1.1 "), "status line: " + status);
        Map<String, String> head = new HashMap<>();
        for (String line = client.readLine(); line != null && !line.isEmpty(); line = client.readLine()) {
            int colon = line.indexOf(':');
            head.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        return head;
    }

    /** Deflaters that count how many were made and how many ended. */
    static final class CountingDeflaters implements IntFunction<Deflater> {
        final AtomicInteger created = new AtomicInteger();
        final AtomicInteger ended = new AtomicInteger();

        @Override
        public Deflater apply(int level) {
            created.incrementAndGet();
            return new Deflater(level, true) {
                private boolean done;

                @Override
                public void end() {
                    if (!done) ended.incrementAndGet();
                    done = true;
                    super.end();
                }
            };
        }
    }
}
