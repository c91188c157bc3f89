package org.minipylib.wsgiserver.apps;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.minipylib.wsgiserver.testing.OptionalTool;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.request;

/**
 * StaticFilesApp's answers to several byte ranges over real sockets: {@code multipart/byteranges}
 * parsed by hand and compared byte for byte with the file (raw sockets, {@link HttpClient}, curl),
 * ranges merged and kept in the client's order, the limits against abuse, {@code 416}, and HEAD.
 */
@Timeout(60)
class StaticFilesAppRangesTest {

    private static final Pattern BOUNDARY = Pattern.compile("multipart/byteranges; boundary=([0-9a-f]{32})");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+)");

    @TempDir
    static Path root;
    private static byte[] large;
    private static TestServer server;

    /** One part of a multipart/byteranges body: its Content-Type, and its range's first byte and bytes. */
    record Part(String contentType, String contentEncoding, long first, long size, byte[] bytes) {
    }

    @BeforeAll
    static void setUp() throws IOException {
        large = new byte[1 << 20];
        new Random(11).nextBytes(large);
        Files.write(root.resolve("large.bin"), large);
        Files.writeString(root.resolve("hello.txt"), "Hello, ranges!\n");
        server = TestServer.start(WsgiTestApps.text("200 OK", "main"), b -> b.mountApp("/files", StaticFilesApp.of(root)));
    }

    @AfterAll
    static void tearDown() {
        if (server != null) server.close();
    }

    private static RawClient.Response send(String request) throws IOException {
        try (RawClient client = server.connect()) {
            return client.send(request).read(request.startsWith("HEAD "));
        }
    }

    private static RawClient.Response getRanges(String path, String ranges) throws IOException {
        return send(get(path, "Range: bytes=" + ranges + "\r\n"));
    }

    @Test
    void severalRangesAreMultipartByteranges() throws Exception {
        RawClient.Response r = getRanges("/files/large.bin", "0-99,1000-1999,200000-599999");
        assertEquals(206, r.status());
        assertNull(r.header("Content-Range"), "only in the parts");
        assertEquals(Integer.toString(r.body().length), r.header("Content-Length"));
        List<Part> parts = parse(r.body(), boundary(r.header("Content-Type")));
        assertParts(parts, "application/octet-stream", 0, 99, 1000, 1999, 200000, 599999);
    }

    @Test
    void rangesKeepTheClientsOrderAndUnsatisfiableOnesAreLeftOut() throws Exception {
        RawClient.Response r = getRanges("/files/large.bin", "900000-900009, 5-9 ,-3,99999999-");
        assertEquals(206, r.status());
        assertParts(parse(r.body(), boundary(r.header("Content-Type"))), "application/octet-stream",
                900000, 900009, 5, 9, large.length - 3, large.length - 1);
        RawClient.Response text = getRanges("/files/hello.txt", "0-4,7-12");
        assertParts(parse(text.body(), boundary(text.header("Content-Type"))), "text/plain; charset=utf-8", 0, 4, 7, 12);
    }

    @Test
    void overlappingAndAdjacentRangesAreMerged() throws Exception {
        RawClient.Response one = getRanges("/files/large.bin", "0-9,5-19,20-29");
        assertEquals(206, one.status());
        assertEquals("bytes 0-29/" + large.length, one.header("Content-Range"), "one range, not a multipart body");
        assertArrayEquals(Arrays.copyOfRange(large, 0, 30), one.body());

        RawClient.Response two = getRanges("/files/large.bin", "500-509,0-9,505-514,100-100");
        assertParts(parse(two.body(), boundary(two.header("Content-Type"))), "application/octet-stream",
                500, 514, 0, 9, 100, 100);
    }

    @Test
    void moreThanTheLimitOfRangesGetsTheWholeFile() throws Exception {
        String atTheLimit = IntStream.range(0, ByteRanges.MAX_RANGES).mapToObj(i -> i * 10 + "-" + (i * 10 + 1)).collect(Collectors.joining(","));
        RawClient.Response limit = getRanges("/files/large.bin", atTheLimit);
        assertEquals(206, limit.status());
        assertEquals(ByteRanges.MAX_RANGES, parse(limit.body(), boundary(limit.header("Content-Type"))).size());

        RawClient.Response over = getRanges("/files/large.bin", atTheLimit + ",1000-1001");
        assertEquals(200, over.status());
        assertArrayEquals(large, over.body());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0-,0-", "0-,1-,2-", "0-999999,1-1048575"})
    void rangesAddingUpToMoreThanTheFileGetTheWholeFile(String ranges) throws Exception {
        RawClient.Response r = getRanges("/files/large.bin", ranges);
        assertEquals(200, r.status(), ranges);
        assertNull(r.header("Content-Range"));
        assertArrayEquals(large, r.body());
    }

    @Test
    void noSatisfiableRangeIs416() throws Exception {
        RawClient.Response r = getRanges("/files/large.bin", "2000000-,3000000-3000001,-0");
        assertEquals(416, r.status());
        assertEquals("bytes */" + large.length, r.header("Content-Range"));
        RawClient.Response one = getRanges("/files/large.bin", "2000000-,3-4");
        assertEquals(206, one.status());
        assertEquals("bytes 3-4/" + large.length, one.header("Content-Range"), "the one satisfiable range alone");
    }

    /** RFC 9110 section 14.2: a server MUST ignore Range on a method without ranges, and GET is the only one. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"bytes=0-99,5000-5999 | 206", "bytes=0-1 | 206", "bytes=2000000- | 416"})
    void headIgnoresRangesAndHasTheHeadersOfTheWholeFile(String ranges, int getStatus) throws Exception {
        String range = "Range: " + ranges + "\r\n";
        RawClient.Response whole = send(get("/files/large.bin"));
        RawClient.Response head = send(request("HEAD", "/files/large.bin", range));
        assertEquals(200, head.status(), ranges);
        assertEquals(0, head.body().length);
        assertNull(head.header("Content-Range"));
        for (String name : List.of("Content-Length", "Content-Type", "ETag", "Last-Modified", "Accept-Ranges")) {
            assertEquals(whole.header(name), head.header(name), name);
        }
        assertEquals(getStatus, send(get("/files/large.bin", range)).status(), "GET takes them");
    }

    @Test
    void ifRangeThatDoesNotMatchGetsTheWholeFile() throws Exception {
        String etag = send(get("/files/large.bin")).header("ETag");
        String range = "Range: bytes=0-9,20-29\r\n";
        assertEquals(206, send(get("/files/large.bin", range, "If-Range: " + etag + "\r\n")).status());
        RawClient.Response r = send(get("/files/large.bin", range, "If-Range: W/" + etag + "\r\n"));
        assertEquals(200, r.status(), "a weak ETag never matches If-Range");
        assertArrayEquals(large, r.body());
    }

    @Test
    void httpClientReadsTheSameParts() throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest request = HttpRequest.newBuilder(server.uri("/files/large.bin"))
                .header("Range", "bytes=100-199,-50").timeout(Duration.ofSeconds(30)).build();
        HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(206, r.statusCode());
        assertEquals(r.body().length, r.headers().firstValueAsLong("Content-Length").orElseThrow());
        assertParts(parse(r.body(), boundary(r.headers().firstValue("Content-Type").orElseThrow())), "application/octet-stream",
                100, 199, large.length - 50, large.length - 1);
    }

    @Test
    void curlReadsTheSameParts() throws Exception {
        Path curl = Path.of("/usr/bin/curl");
        OptionalTool.assumeInstalled(Files.isExecutable(curl), "curl is not installed at " + curl + " (Debian: apt-get install -y curl)");
        Path headers = root.resolve("curl-headers");
        Path body = root.resolve("curl-body");
        Process p = new ProcessBuilder(curl.toString(), "-s", "-r", "0-1,5-6", "-D", headers.toString(), "-o", body.toString(),
                "--max-time", "20", server.uri("/files/hello.txt").toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "curl did not end");
        assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        String head = Files.readString(headers, StandardCharsets.US_ASCII);
        assertTrue(head.startsWith("HTTP/1.1 206 "), head);
        Matcher type = Pattern.compile("(?im)^content-type: ([^\r\n]*)").matcher(head);
        assertTrue(type.find(), head);
        List<Part> parts = parse(Files.readAllBytes(body), boundary(type.group(1)));
        assertEquals(2, parts.size());
        assertEquals("He", new String(parts.get(0).bytes(), StandardCharsets.US_ASCII));
        assertEquals(", ", new String(parts.get(1).bytes(), StandardCharsets.US_ASCII));
    }

    @Test
    void aFileShorterWhenSentEndsTheBodyAtItsFirstMissingByte() throws Exception {
        Path file = Files.write(root.resolve("shrinking.bin"), Arrays.copyOf(large, 200_000));
        List<ByteRanges.Range> ranges = List.of(new ByteRanges.Range(0, 9), new ByteRanges.Range(100_000, 199_999));
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            MultipartByteRanges body = MultipartByteRanges.of(channel, ranges, 200_000, "application/octet-stream", null);
            long whole = 0;
            for (byte[] piece : body) whole += piece.length;
            assertEquals(body.length(), whole, "the length announced is the length sent");
            try (FileChannel writer = FileChannel.open(file, StandardOpenOption.WRITE)) {
                writer.truncate(150_000);
            }
            long cut = 0;
            byte[] last = null;
            for (byte[] piece : body) {
                cut += piece.length;
                last = piece;
            }
            assertTrue(cut < body.length(), "short, so that the server closes the connection after it");
            assertEquals((byte) large[149_999], last[last.length - 1], "nothing after the last byte the file still has");
        }
    }

    /** The boundary of a multipart/byteranges Content-Type (random: 32 hex digits). */
    private static String boundary(String contentType) {
        Matcher m = BOUNDARY.matcher(contentType);
        assertTrue(m.matches(), contentType);
        return m.group(1);
    }

    /**
     * The parts of a multipart/byteranges body, read strictly: each delimiter where the previous
     * part's Content-Range says its bytes end, the close delimiter last, nothing after it.
     */
    static List<Part> parse(byte[] body, String boundary) {
        String text = new String(body, StandardCharsets.ISO_8859_1); // one char per byte: indexes are byte offsets
        String delimiter = "--" + boundary;
        assertTrue(text.startsWith(delimiter + "\r\n"), "starts with a delimiter");
        List<Part> parts = new ArrayList<>();
        int at = delimiter.length() + 2;
        while (true) {
            int end = text.indexOf("\r\n\r\n", at);
            assertTrue(end > 0, "a part's header fields end");
            String contentType = null;
            String contentEncoding = null;
            Matcher range = null;
            for (String line : text.substring(at, end).split("\r\n")) {
                int colon = line.indexOf(':');
                String name = line.substring(0, colon);
                String value = line.substring(colon + 1).trim();
                if (name.equalsIgnoreCase("Content-Type")) contentType = value;
                if (name.equalsIgnoreCase("Content-Encoding")) contentEncoding = value;
                if (name.equalsIgnoreCase("Content-Range")) range = CONTENT_RANGE.matcher(value);
            }
            assertTrue(range != null && range.matches(), "each part has a Content-Range");
            long first = Long.parseLong(range.group(1));
            int length = (int) (Long.parseLong(range.group(2)) - first + 1);
            int data = end + 4;
            parts.add(new Part(contentType, contentEncoding, first, Long.parseLong(range.group(3)), Arrays.copyOfRange(body, data, data + length)));
            at = data + length;
            assertTrue(text.startsWith("\r\n" + delimiter, at), "a delimiter right after the part's bytes");
            at += 2 + delimiter.length();
            if (text.startsWith("--\r\n", at)) {
                assertEquals(body.length, at + 4, "nothing after the close delimiter");
                return parts;
            }
            assertTrue(text.startsWith("\r\n", at));
            at += 2;
        }
    }

    /** Asserts the parts are these ranges ({@code first, last} pairs) of the large file, in this order. */
    private static void assertParts(List<Part> parts, String contentType, long... firstLast) {
        assertEquals(firstLast.length / 2, parts.size(), "parts");
        byte[] file = contentType.startsWith("text/") ? readHello() : large;
        for (int i = 0; i < parts.size(); i++) {
            Part part = parts.get(i);
            int first = (int) firstLast[2 * i];
            int last = (int) firstLast[2 * i + 1];
            assertEquals(contentType, part.contentType(), "part " + i);
            assertEquals(first, part.first(), "part " + i);
            assertEquals(file.length, part.size(), "part " + i);
            assertArrayEquals(Arrays.copyOfRange(file, first, last + 1), part.bytes(), "part " + i);
        }
    }

    private static byte[] readHello() {
        try {
            return Files.readAllBytes(root.resolve("hello.txt"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
