package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.minipylib.wsgiserver.Version;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletableFuture;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The built-in demo app, end to end: the command line with no APP, and java.net.http.HttpClient. */
@Timeout(60)
class DemoAppTest {

    private static CliRun cli;
    private static HttpClient client;

    @BeforeAll
    static void startServer() {
        cli = CliRun.start("--bind", "127.0.0.1:0");
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stopServer() {
        client.close();
        cli.close();
    }

    private static HttpResponse<byte[]> send(String method, String pathAndQuery, BodyPublisher body)
            throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(cli.uri(pathAndQuery)).timeout(Duration.ofSeconds(20))
                .method(method, body).build();
        return client.send(request, BodyHandlers.ofByteArray());
    }

    private static HttpResponse<byte[]> get(String pathAndQuery) throws IOException, InterruptedException {
        return send("GET", pathAndQuery, BodyPublishers.noBody());
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    private static String header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    private static void assertContentLength(long expected, HttpResponse<byte[]> response) {
        assertEquals(String.valueOf(expected), header(response, "Content-Length"), "Content-Length");
        assertEquals(expected, response.body().length, "body length");
    }

    private static byte[] randomBytes(int n) {
        byte[] data = new byte[n];
        new Random(n).nextBytes(data);
        return data;
    }

    @Test
    void homePageSaysWhatThisIsAndLinksTheEndpoints() throws Exception {
        HttpResponse<byte[]> response = get("/");
        assertEquals(200, response.statusCode());
        assertEquals("text/html; charset=utf-8", header(response, "Content-Type"));
        assertContentLength(response.body().length, response);
        String page = text(response);
        assertTrue(page.contains("wsgiserver " + Version.VERSION), page);
        for (String link : List.of("href=\"plaintext\"", "href=\"json\"", "href=\"bytes?n=1024\"", "href=\"environ\"", "/echo")) {
            assertTrue(page.contains(link), "the page mentions " + link);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/plaintext | text/plain       | Hello, World!",
        "/json      | application/json | {\"message\":\"Hello, World!\"}",
    })
    void fixedBodiesHaveAContentTypeAndLength(String path, String contentType, String body) throws Exception {
        HttpResponse<byte[]> response = get(path);
        assertEquals(200, response.statusCode());
        assertEquals(contentType, header(response, "Content-Type"));
        assertEquals(body, text(response));
        assertContentLength(body.length(), response);
    }

    @Test
    void headOfPlaintextHasTheHeadersButNoBody() throws Exception {
        HttpResponse<byte[]> response = send("HEAD", "/plaintext", BodyPublishers.noBody());
        assertEquals(200, response.statusCode());
        assertEquals("13", header(response, "Content-Length"));
        assertEquals(0, response.body().length);
    }

    /**
     * POSTs {@code body} (whose bytes are {@code data}) to /echo, with {@code contentType} unless it is null,
     * and checks that the same bytes come back with a Content-Length and {@code expectedContentType}.
     */
    private static void assertEchoed(byte[] data, BodyPublisher body, String contentType, String expectedContentType)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(cli.uri("/echo")).timeout(Duration.ofSeconds(20)).POST(body);
        if (contentType != null) request.header("Content-Type", contentType);
        HttpResponse<byte[]> response = client.send(request.build(), BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode());
        assertEquals(expectedContentType, header(response, "Content-Type"));
        assertEquals("nosniff", header(response, "X-Content-Type-Options"), "a form's body is never sniffed as HTML");
        assertArrayEquals(data, response.body());
        assertContentLength(data.length, response);
    }

    /** A publisher of unknown length: HttpClient sends it with Transfer-Encoding: chunked. */
    private static BodyPublisher chunked(byte[] data) {
        return BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(data));
    }

    @Test
    void echoWithContentLengthKeepsTheContentType() throws Exception {
        byte[] data = "a body with a length".getBytes(StandardCharsets.US_ASCII);
        assertEchoed(data, BodyPublishers.ofByteArray(data), "text/x-test", "text/x-test");
    }

    @Test
    void echoWithAChunkedBodyDefaultsToOctetStream() throws Exception {
        byte[] data = randomBytes(5000);
        assertEchoed(data, chunked(data), null, "application/octet-stream");
    }

    @Test
    void echoOf100000BytesBothWays() throws Exception {
        byte[] data = randomBytes(100_000);
        assertEchoed(data, BodyPublishers.ofByteArray(data), "application/octet-stream", "application/octet-stream");
        assertEchoed(data, chunked(data), "application/octet-stream", "application/octet-stream");
    }

    /** A body read into a heap array (chunked, or over one block) that grows from 4 KiB as it arrives: each size around a doubling. */
    @Test
    void echoOfBodiesAroundEachGrowthOfTheHeapArray() throws Exception {
        for (int size : new int[] {1, 4095, 4096, 4097, 8192, 8193, 65_537, 131_073}) {
            byte[] data = randomBytes(size);
            assertEchoed(data, chunked(data), null, "application/octet-stream");
            if (size > DemoApp.ECHO_BLOCK_SIZE) assertEchoed(data, BodyPublishers.ofByteArray(data), null, "application/octet-stream");
        }
    }

    @Test
    void concurrentEchoesThroughTheSharedBuffersNeverMix() throws Exception {
        // bodies larger than one pooled block, all at once: each must come back as it was sent
        List<CompletableFuture<Void>> echoes = new ArrayList<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 8; i++) {
                byte[] data = randomBytes(150_000 + i * 1000);
                echoes.add(CompletableFuture.runAsync(() -> {
                    try {
                        assertEchoed(data, BodyPublishers.ofByteArray(data), null, "application/octet-stream");
                    } catch (IOException | InterruptedException e) {
                        throw new CompletionException(e);
                    }
                }, pool));
            }
            CompletableFuture.allOf(echoes.toArray(new CompletableFuture[0]))
                    .get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void concurrentEchoesThroughThePooledDirectBuffersNeverMix() throws Exception {
        // bodies of at most one block go through pooled buffers that are reused as soon as a
        // response is sent: shorter bodies after longer ones must not carry the old bytes along
        List<CompletableFuture<Void>> echoes = new ArrayList<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 8; i++) {
                java.util.Random sizes = new java.util.Random(i);
                echoes.add(CompletableFuture.runAsync(() -> {
                    try {
                        for (int round = 0; round < 10; round++) {
                            byte[] data = randomBytes(1 + sizes.nextInt(DemoApp.ECHO_BLOCK_SIZE));
                            assertEchoed(data, BodyPublishers.ofByteArray(data), null, "application/octet-stream");
                        }
                    } catch (IOException | InterruptedException e) {
                        throw new CompletionException(e);
                    }
                }, pool));
            }
            CompletableFuture.allOf(echoes.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void echoOfALargeBodyToAClientThatSendsItAllBeforeReading() throws Exception {
        // answering while still reading would deadlock with such a client once both sides' socket
        // buffers are full (a few MB on loopback)
        byte[] data = randomBytes(24 << 20);
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", cli.uri("/").getPort())) {
            socket.setSoTimeout(30_000);
            java.io.OutputStream out = socket.getOutputStream();
            out.write(("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + data.length
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(data);
            out.flush();
            byte[] response = socket.getInputStream().readAllBytes();
            String head = new String(response, 0, Math.min(response.length, 300), StandardCharsets.ISO_8859_1);
            assertTrue(head.startsWith("HTTP/1.1 200 "), head);
            int bodyStart = head.indexOf("\r\n\r\n") + 4;
            assertArrayEquals(data, Arrays.copyOfRange(response, bodyStart, response.length));
        }
    }

    @Test
    void echoOfAnEmptyBody() throws Exception {
        assertEchoed(new byte[0], BodyPublishers.noBody(), null, "application/octet-stream");
    }

    @Test
    void bytesSendsAMebibyteOfTheAlphabetPattern() throws Exception {
        HttpResponse<byte[]> response = get("/bytes?n=1048576");
        assertEquals(200, response.statusCode());
        assertEquals("application/octet-stream", header(response, "Content-Type"));
        assertContentLength(1_048_576, response);
        byte[] body = response.body();
        for (int i = 0; i < body.length; i++) {
            if (body[i] != (byte) ('a' + (i % DemoApp.BYTES_CHUNK_SIZE) % 26)) {
                throw new AssertionError("byte " + i + " is " + body[i]);
            }
        }
    }

    @Test
    void bytesOfOtherSizes() throws Exception {
        for (int n : new int[] {0, 1, 13, 65_535, 65_536, 65_537, 100_000}) {
            HttpResponse<byte[]> response = get("/bytes?n=" + n + "&unrelated=1");
            assertEquals(200, response.statusCode(), "n=" + n);
            assertContentLength(n, response);
        }
    }

    @Test
    void bytesRejectsAMissingOrBadCount() throws Exception {
        for (String query : List.of("", "?n=", "?n=-1", "?n=abc", "?n=1.5", "?n=+1", "?x=1", "?n=1073741825",
                "?n=99999999999999999999")) {
            HttpResponse<byte[]> response = get("/bytes" + query);
            assertEquals(400, response.statusCode(), query);
            assertTrue(text(response).contains("n"), query);
        }
        assertEquals(200, send("HEAD", "/bytes?n=1073741824", BodyPublishers.noBody()).statusCode(), "1 GiB is allowed");
    }

    @Test
    void environListsTheRequestSorted() throws Exception {
        HttpResponse<byte[]> response = get("/environ?a=b");
        assertEquals(200, response.statusCode());
        assertEquals("text/plain; charset=utf-8", header(response, "Content-Type"));
        List<String> lines = text(response).lines().toList();
        assertTrue(lines.contains("REQUEST_METHOD = GET"), lines::toString);
        assertTrue(lines.contains("PATH_INFO = /environ"), lines::toString);
        assertTrue(lines.contains("QUERY_STRING = a=b"), lines::toString);
        assertTrue(lines.contains("wsgi.url_scheme = http"), lines::toString);
        List<String> keys = lines.stream().map(line -> line.substring(0, line.indexOf(" = "))).toList();
        assertEquals(keys.stream().sorted().toList(), keys);
    }

    @Test
    void unknownPathIs404() throws Exception {
        for (String path : List.of("/nope", "/plaintext/", "/PLAINTEXT", "/echo/x")) {
            HttpResponse<byte[]> response = get(path);
            assertEquals(404, response.statusCode(), path);
            assertEquals("Not Found\n", text(response), path);
        }
    }

    @Test
    void wrongMethodIs405WithAllow() throws Exception {
        for (String path : List.of("/", "/plaintext", "/json", "/bytes?n=1", "/environ")) {
            HttpResponse<byte[]> response = send("POST", path, BodyPublishers.ofString("x"));
            assertEquals(405, response.statusCode(), path);
            assertEquals("GET, HEAD", header(response, "Allow"), path);
        }
        for (String method : List.of("GET", "PUT", "HEAD")) {
            HttpResponse<byte[]> response = send(method, "/echo", BodyPublishers.noBody());
            assertEquals(405, response.statusCode(), method);
            assertEquals("POST", header(response, "Allow"), method);
        }
    }
}
