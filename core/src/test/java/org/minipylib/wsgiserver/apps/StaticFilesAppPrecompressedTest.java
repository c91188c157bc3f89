package org.minipylib.wsgiserver.apps;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.minipylib.wsgiserver.http.HttpDate;
import org.minipylib.wsgiserver.testing.OptionalTool;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.request;

/**
 * StaticFilesApp's precompressed variants ({@code NAME.br}, {@code NAME.gz}) over real sockets:
 * chosen by Accept-Encoding and its weights, with the original's type and their own validators,
 * Vary on every answer for a file that has one, ranges of the variant's bytes, the same rules as any
 * file (nothing outside the root), and nothing of it unless enabled.
 */
@Timeout(60)
class StaticFilesAppPrecompressedTest {

    private static final String SCRIPT = "console.log('precompressed');\n".repeat(100);
    private static final Instant MODIFIED = Instant.parse("2024-03-04T05:06:07Z");
    /** Not real Brotli (the JDK has no encoder): the server sends a variant's bytes as they are. */
    private static final byte[] BROTLI = "pretend brotli bytes".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    static Path dir;
    private static byte[] gzipped;
    private static TestServer server;
    private static TestServer disabled;

    @BeforeAll
    static void setUp() throws IOException {
        Path root = Files.createDirectory(dir.resolve("root"));
        Path outside = Files.createDirectory(dir.resolve("outside"));
        gzipped = gzip(SCRIPT.getBytes(StandardCharsets.UTF_8));
        write(root.resolve("app.js"), SCRIPT.getBytes(StandardCharsets.UTF_8), MODIFIED);
        write(root.resolve("app.js.gz"), gzipped, MODIFIED.plusSeconds(1));
        write(root.resolve("app.js.br"), BROTLI, MODIFIED.plusSeconds(2));
        write(root.resolve("style.css"), "body{}".getBytes(StandardCharsets.US_ASCII), MODIFIED);
        write(root.resolve("style.css.gz"), gzip("body{}".getBytes(StandardCharsets.US_ASCII)), MODIFIED);
        write(root.resolve("plain.txt"), "no variant".getBytes(StandardCharsets.US_ASCII), MODIFIED);
        write(root.resolve("stale.js"), "// edited since it was compressed".getBytes(StandardCharsets.US_ASCII), MODIFIED);
        write(root.resolve("stale.js.gz"), gzip("// the old script".getBytes(StandardCharsets.US_ASCII)), MODIFIED.minusMillis(1));
        write(root.resolve("stale.js.br"), BROTLI, MODIFIED.minusSeconds(60));
        write(root.resolve("linked.txt"), "variant outside".getBytes(StandardCharsets.US_ASCII), MODIFIED);
        Files.write(outside.resolve("secret.gz"), gzip("secret".getBytes(StandardCharsets.US_ASCII)));
        Files.createSymbolicLink(root.resolve("linked.txt.gz"), outside.resolve("secret.gz"));
        write(root.resolve("dir.txt"), "variant a directory".getBytes(StandardCharsets.US_ASCII), MODIFIED);
        Files.createDirectory(root.resolve("dir.txt.gz"));
        Files.createDirectory(root.resolve("sub"));
        write(root.resolve("sub/index.html"), "<p>index</p>".getBytes(StandardCharsets.US_ASCII), MODIFIED);
        write(root.resolve("sub/index.html.gz"), gzip("<p>index</p>".getBytes(StandardCharsets.US_ASCII)), MODIFIED);
        server = TestServer.start(StaticFilesApp.of(root).withPrecompressed(true));
        disabled = TestServer.start(StaticFilesApp.of(root));
    }

    @AfterAll
    static void tearDown() {
        if (server != null) server.close();
        if (disabled != null) disabled.close();
    }

    private static void write(Path file, byte[] bytes, Instant modified) throws IOException {
        Files.write(file, bytes);
        Files.setLastModifiedTime(file, FileTime.from(modified));
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    private static RawClient.Response send(TestServer to, String request) throws IOException {
        try (RawClient client = to.connect()) {
            return client.send(request).read(request.startsWith("HEAD "));
        }
    }

    private static RawClient.Response accepting(String path, String acceptEncoding, String... more) throws IOException {
        String[] headers = Arrays.copyOf(more, more.length + 1);
        headers[more.length] = "Accept-Encoding: " + acceptEncoding + "\r\n";
        return send(server, get(path, headers));
    }

    @Test
    void brotliIsPreferredAndSentWithTheOriginalsType() throws Exception {
        RawClient.Response r = accepting("/app.js", "gzip, deflate, br, zstd");
        assertEquals(200, r.status());
        assertEquals("br", r.header("Content-Encoding"));
        assertArrayEquals(BROTLI, r.body());
        assertEquals(Integer.toString(BROTLI.length), r.header("Content-Length"));
        assertEquals("text/javascript; charset=utf-8", r.header("Content-Type"));
        assertEquals("Accept-Encoding", r.header("Vary"));
        assertEquals(HttpDate.format(MODIFIED.plusSeconds(2).getEpochSecond()), r.header("Last-Modified"), "the variant's");
    }

    @Test
    void gzipIsTheOriginalCompressed() throws Exception {
        RawClient.Response r = accepting("/app.js", "gzip");
        assertEquals("gzip", r.header("Content-Encoding"));
        assertArrayEquals(gzipped, r.body());
        try (GZIPInputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(r.body()))) {
            assertEquals(SCRIPT, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        assertEquals("text/css; charset=utf-8", accepting("/style.css", "br, gzip").header("Content-Type"));
        assertEquals("gzip", accepting("/style.css", "br, gzip").header("Content-Encoding"), "the variant there is");
        assertEquals("gzip", accepting("/sub/", "gzip").header("Content-Encoding"), "a directory's index too");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "none", value = {
            "br;q=0.5, gzip;q=0.8 | gzip", "br;q=0, gzip | gzip", "gzip;q=0 | none", "* | br", "*;q=0.5, gzip | gzip",
            "gzip;q=0.5, identity | none", "identity;q=0, gzip;q=0.1 | gzip", "x-gzip | gzip", "GZIP;Q=1.0 | gzip",
            "gzip;q=1.5 | none", "gzip;q=0.0001 | none", "gzip;q= | none", "br;q=0.001 | br", "'' | none",
            "deflate, zstd | none", "br;q=0.9;level=1, gzip;q=0.9 | br", "*, br;q=0 | gzip", "gzip ; q=0.7 , br;q=0.6 | gzip"})
    void weightsDecide(String acceptEncoding, String coding) throws Exception {
        RawClient.Response r = accepting("/app.js", acceptEncoding);
        assertEquals(200, r.status());
        assertEquals(coding, r.header("Content-Encoding"), acceptEncoding);
        assertEquals("Accept-Encoding", r.header("Vary"));
        if (coding == null) assertEquals(SCRIPT, r.bodyText());
    }

    @Test
    void everyAnswerForAFileWithAVariantVaries() throws Exception {
        RawClient.Response identity = send(server, get("/app.js"));
        assertNull(identity.header("Content-Encoding"));
        assertEquals(SCRIPT, identity.bodyText());
        assertEquals("Accept-Encoding", identity.header("Vary"), "identity too: a cache must not give it to every client");
        String etag = accepting("/app.js", "gzip").header("ETag");
        RawClient.Response notModified = accepting("/app.js", "gzip", "If-None-Match: " + etag + "\r\n");
        assertEquals(304, notModified.status());
        assertEquals("Accept-Encoding", notModified.header("Vary"));
        RawClient.Response failed = accepting("/app.js", "gzip", "If-Match: \"other\"\r\n");
        assertEquals(412, failed.status());
        assertEquals("Accept-Encoding", failed.header("Vary"));
        RawClient.Response unsatisfiable = accepting("/app.js", "gzip", "Range: bytes=99999-\r\n");
        assertEquals(416, unsatisfiable.status());
        assertEquals("Accept-Encoding", unsatisfiable.header("Vary"));
        assertEquals("bytes */" + gzipped.length, unsatisfiable.header("Content-Range"), "the variant's size");
        assertNull(accepting("/plain.txt", "gzip").header("Vary"), "no variant: the field made no difference");
    }

    @Test
    void eachVariantHasItsOwnEtag() throws Exception {
        String identity = send(server, get("/app.js")).header("ETag");
        String gzip = accepting("/app.js", "gzip").header("ETag");
        String br = accepting("/app.js", "br").header("ETag");
        assertEquals(3, new HashSet<>(List.of(identity, gzip, br)).size(), Set.of(identity, gzip, br).toString());
        RawClient.Response r = accepting("/app.js", "gzip", "If-None-Match: " + identity + "\r\n");
        assertEquals(200, r.status(), "the identity ETag does not validate the gzip bytes");
        assertArrayEquals(gzipped, r.body());
        assertEquals(206, accepting("/app.js", "gzip", "Range: bytes=0-1\r\n", "If-Range: " + gzip + "\r\n").status());
        assertEquals(200, accepting("/app.js", "gzip", "Range: bytes=0-1\r\n", "If-Range: " + identity + "\r\n").status());
    }

    @Test
    void rangesAreOfTheVariantsBytes() throws Exception {
        RawClient.Response one = accepting("/app.js", "gzip", "Range: bytes=0-9\r\n");
        assertEquals(206, one.status());
        assertEquals("gzip", one.header("Content-Encoding"));
        assertEquals("bytes 0-9/" + gzipped.length, one.header("Content-Range"));
        assertArrayEquals(Arrays.copyOf(gzipped, 10), one.body());

        RawClient.Response two = accepting("/app.js", "gzip", "Range: bytes=0-1,-4\r\n");
        assertEquals(206, two.status());
        List<StaticFilesAppRangesTest.Part> parts = StaticFilesAppRangesTest.parse(two.body(),
                two.header("Content-Type").substring("multipart/byteranges; boundary=".length()));
        assertEquals("text/javascript; charset=utf-8", parts.get(0).contentType());
        assertArrayEquals(Arrays.copyOf(gzipped, 2), parts.get(0).bytes());
        assertArrayEquals(Arrays.copyOfRange(gzipped, gzipped.length - 4, gzipped.length), parts.get(1).bytes());
        assertEquals(gzipped.length, parts.get(1).size());
    }

    /**
     * The multipart body itself is not gzip: Content-Encoding on the response would tell the client
     * to decode it (curl --compressed then fails: "Error while processing content unencoding"). Each
     * part says its bytes are a range of the gzip variant instead.
     */
    @Test
    void severalRangesOfAVariantNameTheCodingInEachPartNotOnTheResponse() throws Exception {
        RawClient.Response two = accepting("/app.js", "gzip", "Range: bytes=0-1,-4\r\n");
        assertEquals(206, two.status());
        assertNull(two.header("Content-Encoding"));
        assertEquals("Accept-Encoding", two.header("Vary"));
        List<StaticFilesAppRangesTest.Part> parts = StaticFilesAppRangesTest.parse(two.body(),
                two.header("Content-Type").substring("multipart/byteranges; boundary=".length()));
        assertEquals(List.of("gzip", "gzip"), parts.stream().map(StaticFilesAppRangesTest.Part::contentEncoding).toList());
        RawClient.Response identity = send(server, get("/app.js", "Range: bytes=0-1,-4\r\n"));
        List<StaticFilesAppRangesTest.Part> plainParts = StaticFilesAppRangesTest.parse(identity.body(),
                identity.header("Content-Type").substring("multipart/byteranges; boundary=".length()));
        assertNull(plainParts.get(0).contentEncoding());
    }

    @Test
    void curlDecodesNoMultipartBodyOfAVariant() throws Exception {
        Path curl = Path.of("/usr/bin/curl");
        OptionalTool.assumeInstalled(Files.isExecutable(curl), "curl is not installed");
        Process p = new ProcessBuilder(curl.toString(), "-sS", "--compressed", "--max-time", "20", "-r", "0-1,5-6", "-o", "/dev/null",
                server.uri("/app.js").toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), output);
    }

    @Test
    void headOfAVariantHasItsHeaders() throws Exception {
        RawClient.Response r = send(server, request("HEAD", "/app.js", "Accept-Encoding: gzip\r\n"));
        assertEquals("gzip", r.header("Content-Encoding"));
        assertEquals(Integer.toString(gzipped.length), r.header("Content-Length"));
        assertEquals(0, r.body().length);
    }

    @Test
    void variantsFollowTheRulesOfAnyFile() throws Exception {
        RawClient.Response linked = accepting("/linked.txt", "gzip");
        assertNull(linked.header("Content-Encoding"), "a variant outside the root is none");
        assertEquals("variant outside", linked.bodyText());
        assertNull(linked.header("Vary"));
        RawClient.Response directory = accepting("/dir.txt", "gzip");
        assertNull(directory.header("Content-Encoding"), "a directory is no variant");
        assertEquals("variant a directory", directory.bodyText());
        RawClient.Response byName = accepting("/app.js.gz", "gzip");
        assertEquals("application/gzip", byName.header("Content-Type"), "a variant asked for by name is a file like any other");
        assertNull(byName.header("Content-Encoding"));
    }

    /**
     * A variant older than its file was made from an earlier version of it (the file was edited or
     * deployed again, the variant not): it is passed over, as one that cannot be opened is. Tools
     * that make variants ({@code gzip -k}, {@code brotli -k}) give them the file's time, or a later one.
     */
    @Test
    void aVariantOlderThanItsFileIsNotServed() throws Exception {
        RawClient.Response r = accepting("/stale.js", "br, gzip");
        assertEquals(200, r.status());
        assertNull(r.header("Content-Encoding"));
        assertEquals("// edited since it was compressed", r.bodyText());
        assertNull(r.header("Vary"), "no variant that can be sent: the field makes no difference");
        assertEquals("gzip", accepting("/style.css", "gzip").header("Content-Encoding"), "a variant as old as its file is sent");
    }

    @Test
    void noVariantsUnlessEnabled() throws Exception {
        RawClient.Response r = send(disabled, get("/app.js", "Accept-Encoding: br, gzip\r\n"));
        assertNull(r.header("Content-Encoding"));
        assertNull(r.header("Vary"));
        assertEquals(SCRIPT, r.bodyText());
    }
}
