package org.minipylib.wsgiserver.apps;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.http.HttpDate;
import org.minipylib.wsgiserver.testing.OpenDescriptors;
import org.minipylib.wsgiserver.testing.OptionalTool;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.request;

/**
 * StaticFilesApp mounted at {@code /files} next to a main application, over real sockets: files and
 * their headers, HEAD, content types, methods, directories, what must never be served (traversal,
 * encoded slashes, links out of the root, dot files, NULs, pipes), conditional requests, byte
 * ranges, and that every file it opens is closed again.
 */
@Timeout(60)
class StaticFilesAppTest {

    private static final String HELLO = "Hello, static world!\n";
    private static final Instant MODIFIED = Instant.parse("2024-01-02T03:04:05.678Z");
    private static final String LAST_MODIFIED = "Tue, 02 Jan 2024 03:04:05 GMT";
    private static final String SECRET = "the secret outside the root";

    @TempDir
    static Path dir;
    private static Path root;
    private static byte[] large;
    private static TestServer server;

    @BeforeAll
    static void setUp() throws IOException {
        root = Files.createDirectory(dir.resolve("root"));
        Path outside = Files.createDirectory(dir.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), SECRET);
        Files.writeString(root.resolve("hello.txt"), HELLO);
        Files.setLastModifiedTime(root.resolve("hello.txt"), FileTime.from(MODIFIED));
        Files.writeString(root.resolve("index.html"), "<p>root index</p>");
        Files.createDirectories(root.resolve("sub"));
        Files.writeString(root.resolve("sub/index.html"), "<p>sub index</p>");
        Files.createDirectories(root.resolve("empty"));
        Files.writeString(root.resolve(".env"), "PASSWORD=" + SECRET);
        Files.createDirectories(root.resolve(".git"));
        Files.writeString(root.resolve(".git/config"), SECRET);
        Files.writeString(root.resolve("sub/.hidden"), SECRET);
        Files.writeString(root.resolve("caf\u00e9 50%.txt"), "accented");
        Files.writeString(root.resolve("a%2Fb"), "a literal percent-2F name");
        Files.writeString(root.resolve("a%b"), "a percent sign");
        Files.createDirectories(root.resolve("a"));
        Files.writeString(root.resolve("a/b"), "b in a");
        Files.createSymbolicLink(root.resolve("link-inside.txt"), root.resolve("hello.txt"));
        Files.createSymbolicLink(root.resolve("link-outside.txt"), outside.resolve("secret.txt"));
        Files.createSymbolicLink(root.resolve("dir-outside"), outside);
        large = new byte[1 << 20];
        new Random(7).nextBytes(large);
        Files.write(root.resolve("large.bin"), large);
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

    private static String etag() throws IOException {
        return send(get("/files/hello.txt")).header("ETag");
    }

    @Test
    void aFileWithItsRepresentationHeaders() throws Exception {
        RawClient.Response r = send(get("/files/hello.txt"));
        assertEquals(200, r.status());
        assertEquals(HELLO, r.bodyText());
        assertEquals(Integer.toString(HELLO.length()), r.header("Content-Length"));
        assertEquals("text/plain; charset=utf-8", r.header("Content-Type"));
        assertEquals("nosniff", r.header("X-Content-Type-Options"));
        assertEquals("bytes", r.header("Accept-Ranges"));
        assertEquals(LAST_MODIFIED, r.header("Last-Modified"));
        assertTrue(r.header("ETag").matches("\"[0-9a-f]+-[0-9a-f]+\""), r.header("ETag"));
        assertNull(r.header("Cache-Control"), "none unless configured");
    }

    @Test
    void theEtagChangesWithTheFile() throws Exception {
        Path file = Files.writeString(root.resolve("changing.txt"), "one");
        Files.setLastModifiedTime(file, FileTime.from(MODIFIED));
        String before = send(get("/files/changing.txt")).header("ETag");
        Files.setLastModifiedTime(file, FileTime.from(MODIFIED.plusMillis(1)));
        String touched = send(get("/files/changing.txt")).header("ETag");
        Files.writeString(file, "two!");
        Files.setLastModifiedTime(file, FileTime.from(MODIFIED));
        String resized = send(get("/files/changing.txt")).header("ETag");
        assertNotEquals(before, touched, "a newer modification time (within the same second) is a new ETag");
        assertNotEquals(before, resized, "another size is a new ETag");
    }

    @Test
    void aFileDatedInTheFutureIsLastModifiedNow() throws Exception {
        Path file = Files.writeString(root.resolve("future.txt"), "from the future");
        Files.setLastModifiedTime(file, FileTime.from(Instant.parse("2100-01-01T00:00:00Z")));
        RawClient.Response r = send(get("/files/future.txt"));
        assertEquals(200, r.status());
        Instant lastModified = HttpDate.parse(r.header("Last-Modified"));
        assertTrue(!lastModified.isAfter(HttpDate.parse(r.header("Date"))),
                "RFC 9110 section 8.8.2.1: never later than the Date, got " + r.header("Last-Modified") + " at " + r.header("Date"));
        String tomorrow = HttpDate.format(Instant.now().plusSeconds(86_400).getEpochSecond());
        assertEquals(304, send(get("/files/future.txt", "If-Modified-Since: " + tomorrow + "\r\n")).status(),
                "not modified since tomorrow: it counts as modified now");
    }

    @Test
    void aFileReplacedJustBeforeItIsOpenedIsDescribedAsTheOneSent() throws Exception {
        Path file = Files.writeString(root.resolve("replaced.txt"), "old content");
        Files.setLastModifiedTime(file, FileTime.from(MODIFIED));
        Path next = Files.writeString(dir.resolve("replacement.txt"), "new content"); // the same size
        Files.setLastModifiedTime(next, FileTime.from(MODIFIED.plusSeconds(3600)));
        AtomicBoolean replaced = new AtomicBoolean();
        StaticFilesApp app = StaticFilesApp.of(root).withOpener((realRoot, relative) -> {
            if (relative.getFileName().toString().equals("replaced.txt") && replaced.compareAndSet(false, true)) {
                Files.move(next, realRoot.resolve(relative), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            return BeneathOpener.open(realRoot, relative);
        });
        try (TestServer own = TestServer.start(app); RawClient client = own.connect()) {
            RawClient.Response r = client.send(get("/replaced.txt")).read();
            assertTrue(replaced.get());
            assertEquals("new content", r.bodyText());
            assertEquals(HttpDate.format(MODIFIED.plusSeconds(3600).getEpochSecond()), r.header("Last-Modified"),
                    "the time of the file sent, not of the one looked up");
            RawClient.Response again = client.send(get("/replaced.txt")).read();
            assertEquals(again.header("ETag"), r.header("ETag"), "the ETag of the file sent");
        }
    }

    @Test
    void aFileTruncatedJustBeforeItIsOpenedIsSentWithItsNewLength() throws Exception {
        Path file = Files.writeString(root.resolve("truncated.txt"), "0123456789");
        StaticFilesApp app = StaticFilesApp.of(root).withOpener((realRoot, relative) -> {
            if (relative.getFileName().toString().equals("truncated.txt")) Files.writeString(realRoot.resolve(relative), "0123");
            return BeneathOpener.open(realRoot, relative);
        });
        try (TestServer own = TestServer.start(app); RawClient client = own.connect()) {
            RawClient.Response r = client.send(get("/truncated.txt")).read();
            assertEquals("4", r.header("Content-Length"));
            assertEquals("0123", r.bodyText());
            assertEquals("bytes 2-3/4", client.send(get("/truncated.txt", "Range: bytes=2-9\r\n")).read().header("Content-Range"),
                    "ranges of the length opened");
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void aFileReplacedAroundEveryOpenIsUnavailable() throws Exception {
        Path file = Files.writeString(root.resolve("churning.txt"), "churn");
        StaticFilesApp app = StaticFilesApp.of(root).withOpener((realRoot, relative) -> {
            Path next = Files.writeString(dir.resolve("churn-next.txt"), "churn");
            FileChannel channel = BeneathOpener.open(realRoot, relative);
            Files.move(next, realRoot.resolve(relative), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE); // a new file at once
            return channel;
        });
        try (TestServer own = TestServer.start(app); RawClient client = own.connect()) {
            RawClient.Response r = client.send(get("/churning.txt")).read();
            assertEquals(503, r.status());
            assertEquals("1", r.header("Retry-After"));
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void headAnswersAsGetWithoutTheBody() throws Exception {
        try (RawClient client = server.connect()) {
            RawClient.Response r = client.send(request("HEAD", "/files/hello.txt")).read(true);
            assertEquals(200, r.status());
            assertEquals(Integer.toString(HELLO.length()), r.header("Content-Length"));
            assertEquals("text/plain; charset=utf-8", r.header("Content-Type"));
            assertEquals(LAST_MODIFIED, r.header("Last-Modified"));
            client.send(get("/files/sub/"));
            assertEquals("<p>sub index</p>", client.read().bodyText(), "no body bytes were left on the connection");
        }
    }

    @Test
    void largeFileWholeAndInARange() throws Exception {
        assertArrayEquals(large, send(get("/files/large.bin")).body());
        RawClient.Response r = send(get("/files/large.bin", "Range: bytes=1000-500999\r\n"));
        assertEquals(206, r.status());
        assertArrayEquals(Arrays.copyOfRange(large, 1000, 501000), r.body());
    }

    @ParameterizedTest
    @CsvSource({
        "page.html, text/html; charset=utf-8", "page.htm, text/html; charset=utf-8", "style.CSS, text/css; charset=utf-8",
        "app.js, text/javascript; charset=utf-8", "module.mjs, text/javascript; charset=utf-8",
        "data.json, application/json; charset=utf-8", "app.js.map, application/json; charset=utf-8",
        "logo.svg, image/svg+xml; charset=utf-8", "photo.jpg, image/jpeg", "photo.jpeg, image/jpeg",
        "image.png, image/png", "anim.gif, image/gif", "pic.webp, image/webp", "pic.avif, image/avif",
        "favicon.ico, image/x-icon", "feed.xml, application/xml; charset=utf-8", "doc.pdf, application/pdf",
        "mod.wasm, application/wasm", "font.woff2, font/woff2", "font.woff, font/woff", "font.ttf, font/ttf",
        "font.otf, font/otf", "clip.mp4, video/mp4", "clip.webm, video/webm", "song.mp3, audio/mpeg",
        "pack.zip, application/zip", "pack.tar.gz, application/gzip", "table.csv, text/csv; charset=utf-8",
        "README.md, text/markdown; charset=utf-8", "notes.txt, text/plain; charset=utf-8",
        "blob.xyz, application/octet-stream", "Makefile, application/octet-stream"})
    void contentTypeFromTheExtension(String name, String type) throws Exception {
        Files.writeString(root.resolve(name), "x");
        RawClient.Response r = send(get("/files/" + name));
        assertEquals(200, r.status());
        assertEquals(type, r.header("Content-Type"));
        assertEquals("nosniff", r.header("X-Content-Type-Options"));
    }

    @Test
    void typesGivenByExtensionAddToAndReplaceTheBuiltInOnes() throws Exception {
        Files.writeString(root.resolve("config.YAML"), "a: 1\n");
        Files.writeString(root.resolve("legacy.txt"), "x");
        Files.writeString(root.resolve("page.html"), "<p>");
        StaticFilesApp app = StaticFilesApp.of(root).withContentType("yaml", "application/yaml")
                .withContentType("TXT", "text/plain; charset=iso-8859-1");
        try (TestServer typed = TestServer.start(app); RawClient client = typed.connect()) {
            assertEquals("application/yaml", client.send(get("/config.YAML")).read().header("Content-Type"), "any case");
            assertEquals("text/plain; charset=iso-8859-1", client.send(get("/legacy.txt")).read().header("Content-Type"));
            assertEquals("text/html; charset=utf-8", client.send(get("/page.html")).read().header("Content-Type"), "the others kept");
        }
        assertEquals("text/plain; charset=utf-8", send(get("/files/legacy.txt")).header("Content-Type"), "the original app unchanged");
        for (String[] bad : new String[][] {{"", "text/plain"}, {".txt", "text/plain"}, {"a/b", "text/plain"}, {"txt", ""},
                {"txt", "text/plain\r\nX: y"}}) {
            assertThrows(IllegalArgumentException.class, () -> StaticFilesApp.of(root).withContentType(bad[0], bad[1]),
                    bad[0] + "=" + bad[1]);
        }
    }

    @Test
    void theTypeIsTheNameAsked() throws Exception {
        Files.createSymbolicLink(root.resolve("styles.css"), root.resolve("hello.txt"));
        RawClient.Response r = send(get("/files/styles.css"));
        assertEquals(HELLO, r.bodyText());
        assertEquals("text/css; charset=utf-8", r.header("Content-Type"), "a link's own name, not its target's");
    }

    @ParameterizedTest
    @ValueSource(strings = {"POST", "PUT", "DELETE", "OPTIONS", "PATCH"})
    void onlyGetAndHead(String method) throws Exception {
        String body = method.equals("OPTIONS") ? "" : "Content-Length: 0\r\n";
        RawClient.Response r = send(request(method, "/files/hello.txt", body));
        assertEquals(405, r.status());
        assertEquals("GET, HEAD", r.header("Allow"));
    }

    @Test
    void aDirectoryServesItsIndexAndIsRedirectedToItsSlash() throws Exception {
        assertEquals("<p>sub index</p>", send(get("/files/sub/")).bodyText());
        assertEquals("text/html; charset=utf-8", send(get("/files/sub/")).header("Content-Type"));
        assertEquals("<p>root index</p>", send(get("/files/")).bodyText());
        RawClient.Response redirect = send(get("/files/sub"));
        assertEquals(301, redirect.status());
        assertEquals("/files/sub/", redirect.header("Location"));
        assertEquals("/files/sub/?a=1&b=%20", send(get("/files/sub?a=1&b=%20")).header("Location"));
        assertEquals("/files/", send(get("/files")).header("Location"));
        assertEquals(404, send(get("/files/empty/")).status(), "no index.html, and no listing");
        assertEquals(404, send(get("/files/hello.txt/")).status(), "a file is not a directory");
    }

    @Test
    void aRedirectEncodesTheDirectoryName() throws Exception {
        Files.createDirectories(root.resolve("d\u00e9j\u00e0 vu%"));
        RawClient.Response r = send(get("/files/d%C3%A9j%C3%A0%20vu%25"));
        assertEquals(301, r.status());
        assertEquals("/files/d%C3%A9j%C3%A0%20vu%25/", r.header("Location"));
    }

    @Test
    void namesAreUtf8AndPercentSignsLiteral() throws Exception {
        assertEquals("accented", send(get("/files/caf%C3%A9%2050%25.txt")).bodyText());
        assertEquals(404, send(get("/files/caf%E9%2050%25.txt")).status(), "not UTF-8");
        assertEquals("a literal percent-2F name", send(get("/files/a%252Fb")).bodyText(), "%25 is a literal %");
        assertEquals("a percent sign", send(get("/files/a%25b")).bodyText());
        assertEquals("b in a", send(get("/files/a/b")).bodyText());
        // neither a/b, nor a%2Fb, nor a%b: an encoded slash names no file
        assertEquals(404, send(get("/files/a%2Fb")).status());
        assertEquals(404, send(get("/files/a%2fb")).status());
    }

    @Test
    void nothingOutsideTheRoot() throws Exception {
        assertEquals(400, send(get("/../etc/passwd")).status());
        assertEquals(400, send(get("/files/../../etc/passwd")).status());
        // resolved by the server before any application sees it: the main application's path
        assertEquals("main", send(get("/files/%2e%2e/outside/secret.txt")).bodyText());
        assertEquals("main", send(get("/files/sub/%2E%2E/%2e%2e/outside/secret.txt")).bodyText());
        for (String target : new String[] {"/files/..%2Foutside%2Fsecret.txt", "/files/..%2F..%2Fetc%2Fpasswd",
                "/files/sub%2F..%2F..%2Foutside/secret.txt", "/files/%2F..%2Foutside/secret.txt",
                "/files/link-outside.txt", "/files/dir-outside/secret.txt",
                "/files/dir-outside/", "/files/..%5Coutside%5Csecret.txt", "/files/%2Fetc/passwd"}) {
            RawClient.Response r = send(get(target));
            assertEquals(404, r.status(), target);
            assertTrue(!r.bodyText().contains(SECRET) && !r.bodyText().contains("root:"), target);
        }
        assertEquals(HELLO, send(get("/files/link-inside.txt")).bodyText(), "a link to a file inside the root is fine");
    }

    @Test
    void aNulIsRefusedByTheServer() throws Exception {
        assertEquals(400, send(get("/files/hello.txt%00")).status());
        assertEquals(400, send(get("/files/hello.txt%00.png")).status());
    }

    /**
     * What this server never passes on (it refuses a NUL, resolves dot segments), another gateway or
     * a middleware might: the application refuses such paths itself.
     */
    @Test
    void pathsNoServerShouldPassAreRefusedToo() throws Exception {
        StaticFilesApp files = StaticFilesApp.of(root);
        WsgiApp rewriting = (env, sr) -> {
            env.put("PATH_INFO", env.pathInfo().replace("NUL", "\0").replace("DOTS", ".."));
            return files.call(env, sr);
        };
        try (TestServer lax = TestServer.start(rewriting); RawClient client = lax.connect()) {
            assertEquals(HELLO, client.send(get("/hello.txt")).read().bodyText(), "the rewriting app serves files");
            for (String target : new String[] {"/hello.txtNUL", "/hello.txtNUL.png", "/DOTS/outside/secret.txt",
                    "/sub/DOTS/DOTS/outside/secret.txt", "/sub/DOTS/hello.txt"}) {
                RawClient.Response r = client.send(get(target)).read();
                assertEquals(404, r.status(), target);
            }
        }
    }

    @Test
    void dotFilesAreNotServedUnlessAsked() throws Exception {
        for (String target : new String[] {"/files/.env", "/files/.git/config", "/files/.git/", "/files/sub/.hidden"}) {
            assertEquals(404, send(get(target)).status(), target);
        }
        try (TestServer withDots = TestServer.start(StaticFilesApp.of(root).withDotFiles(true))) {
            try (RawClient client = withDots.connect()) {
                assertEquals("PASSWORD=" + SECRET, client.send(get("/.env")).read().bodyText());
                assertEquals(SECRET, client.send(get("/sub/.hidden")).read().bodyText());
            }
        }
    }

    @Test
    void onlyRegularFiles() throws Exception {
        Path fifo = root.resolve("pipe.txt");
        boolean made;
        try {
            made = new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor(10, TimeUnit.SECONDS) && Files.exists(fifo);
        } catch (IOException e) {
            made = false;
        }
        OptionalTool.assumeInstalled(made, "mkfifo");
        RawClient.Response r = send(get("/files/pipe.txt")); // opening it would wait for a writer
        assertEquals(404, r.status());
    }

    @Test
    void anUnreadableFileIsForbidden() throws Exception {
        assumeFalse("root".equals(System.getProperty("user.name")), "root may read any file");
        Path file = Files.writeString(root.resolve("private.txt"), SECRET);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        RawClient.Response r = send(get("/files/private.txt"));
        assertEquals(403, r.status());
        assertTrue(!r.bodyText().contains(SECRET));
    }

    @Test
    void cacheControlWhenConfigured() throws Exception {
        try (TestServer cached = TestServer.start(StaticFilesApp.of(root).withCacheControl("public, max-age=3600"))) {
            try (RawClient client = cached.connect()) {
                RawClient.Response r = client.send(get("/hello.txt")).read();
                assertEquals("public, max-age=3600", r.header("Cache-Control"));
                RawClient.Response notModified = client.send(get("/hello.txt", "If-None-Match: " + r.header("ETag") + "\r\n")).read();
                assertEquals(304, notModified.status());
                assertEquals("public, max-age=3600", notModified.header("Cache-Control"));
            }
        }
    }

    @Test
    void ifNoneMatchIsNotModified() throws Exception {
        String etag = etag();
        for (String field : new String[] {etag, "W/" + etag, "*", "\"other\", " + etag, "\"x,y\",W/" + etag}) {
            RawClient.Response r = send(get("/files/hello.txt", "If-None-Match: " + field + "\r\n"));
            assertEquals(304, r.status(), field);
            assertEquals(etag, r.header("ETag"));
            assertEquals(LAST_MODIFIED, r.header("Last-Modified"));
            assertEquals(0, r.body().length);
        }
        assertEquals(304, send(request("HEAD", "/files/hello.txt", "If-None-Match: " + etag + "\r\n")).status());
        assertEquals(200, send(get("/files/hello.txt", "If-None-Match: \"other\"\r\n")).status());
        assertEquals(200, send(get("/files/hello.txt", "If-None-Match: " + etag.substring(0, etag.length() - 2) + "\"\r\n")).status());
        assertEquals(200, send(get("/files/hello.txt", "If-None-Match: \"other\"\r\n",
                "If-Modified-Since: " + LAST_MODIFIED + "\r\n")).status(), "If-Modified-Since is not used with If-None-Match");
        // a list that stops being entity tags is read no further, the tag before the bad element included
        for (String field : new String[] {etag + "garbage", etag + " " + etag, "\"a b\", " + etag, "\"other\"x, " + etag}) {
            assertEquals(200, send(get("/files/hello.txt", "If-None-Match: " + field + "\r\n")).status(), field);
        }
    }

    @Test
    void ifModifiedSinceIsNotModified() throws Exception {
        for (String date : new String[] {LAST_MODIFIED, "Wed, 01 Jan 2025 00:00:00 GMT",
                "Tuesday, 02-Jan-24 03:04:05 GMT", "Tue Jan  2 03:04:05 2024"}) {
            RawClient.Response r = send(get("/files/hello.txt", "If-Modified-Since: " + date + "\r\n"));
            assertEquals(304, r.status(), date);
            assertEquals(LAST_MODIFIED, r.header("Last-Modified"));
            assertEquals(0, r.body().length);
        }
        assertEquals(200, send(get("/files/hello.txt", "If-Modified-Since: Tue, 02 Jan 2024 03:04:04 GMT\r\n")).status());
        assertEquals(200, send(get("/files/hello.txt", "If-Modified-Since: yesterday\r\n")).status(), "not a date: ignored");
    }

    @Test
    void failedPreconditionsAre412() throws Exception {
        String etag = etag();
        assertEquals(412, send(get("/files/hello.txt", "If-Match: \"other\"\r\n")).status());
        assertEquals(412, send(get("/files/hello.txt", "If-Match: W/" + etag + "\r\n")).status(), "If-Match compares strongly");
        assertEquals(200, send(get("/files/hello.txt", "If-Match: " + etag + "\r\n")).status());
        assertEquals(200, send(get("/files/hello.txt", "If-Match: *\r\n")).status());
        assertEquals(412, send(get("/files/hello.txt", "If-Unmodified-Since: Tue, 02 Jan 2024 03:04:04 GMT\r\n")).status());
        assertEquals(200, send(get("/files/hello.txt", "If-Unmodified-Since: " + LAST_MODIFIED + "\r\n")).status());
        assertEquals(200, send(get("/files/hello.txt", "If-Match: " + etag + "\r\n",
                "If-Unmodified-Since: Tue, 02 Jan 2024 03:04:04 GMT\r\n")).status(), "If-Unmodified-Since is not used with If-Match");
        assertEquals(412, send(get("/files/hello.txt", "If-Match: \"other\"\r\n", "If-None-Match: *\r\n")).status(),
                "If-Match comes first");
    }

    @ParameterizedTest
    @CsvSource({"bytes=0-4, 0, 4", "bytes=7-, 7, 20", "bytes=-6, 15, 20", "bytes=3-3, 3, 3", "bytes=15-999, 15, 20",
            "BYTES=2-5, 2, 5", "bytes=-999, 0, 20"})
    void oneRangeIsPartialContent(String range, int first, int last) throws Exception {
        RawClient.Response r = send(get("/files/hello.txt", "Range: " + range + "\r\n"));
        assertEquals(206, r.status(), range);
        assertEquals("bytes " + first + "-" + last + "/" + HELLO.length(), r.header("Content-Range"));
        assertEquals(HELLO.substring(first, last + 1), r.bodyText());
        assertEquals(Integer.toString(last - first + 1), r.header("Content-Length"));
        assertEquals("text/plain; charset=utf-8", r.header("Content-Type"));
        RawClient.Response head = send(request("HEAD", "/files/hello.txt", "Range: " + range + "\r\n"));
        assertEquals(200, head.status(), "HEAD ignores Range (RFC 9110 section 14.2)");
        assertNull(head.header("Content-Range"));
        assertEquals(Integer.toString(HELLO.length()), head.header("Content-Length"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"bytes=21-", "bytes=21-30", "bytes=-0", "bytes=99999999999999999999-"})
    void anUnsatisfiableRangeIs416(String range) throws Exception {
        RawClient.Response r = send(get("/files/hello.txt", "Range: " + range + "\r\n"));
        assertEquals(416, r.status(), range);
        assertEquals("bytes */" + HELLO.length(), r.header("Content-Range"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"bytes=5-2", "bytes=x-3", "bytes=3", "items=0-3", "bytes=-", "bytes=1-2-3", "0-3", "bytes=0-1,5-2", "bytes=,"})
    void malformedRangesGetTheWholeFile(String range) throws Exception {
        RawClient.Response r = send(get("/files/hello.txt", "Range: " + range + "\r\n"));
        assertEquals(200, r.status(), range);
        assertEquals(HELLO, r.bodyText());
        assertNull(r.header("Content-Range"));
    }

    @Test
    void ifRangeDecidesBetweenThePartAndTheWhole() throws Exception {
        String etag = etag();
        String range = "Range: bytes=0-4\r\n";
        assertEquals(206, send(get("/files/hello.txt", range, "If-Range: " + etag + "\r\n")).status());
        assertEquals(206, send(get("/files/hello.txt", range, "If-Range: " + LAST_MODIFIED + "\r\n")).status());
        for (String ifRange : new String[] {"\"other\"", "W/" + etag, "Tue, 02 Jan 2024 03:04:04 GMT", "Wed, 01 Jan 2025 00:00:00 GMT"}) {
            RawClient.Response r = send(get("/files/hello.txt", range, "If-Range: " + ifRange + "\r\n"));
            assertEquals(200, r.status(), ifRange);
            assertEquals(HELLO, r.bodyText());
        }
    }

    @Test
    void everyOpenedFileIsClosed() throws Exception {
        String etag = etag();
        String[] requests = {get("/files/hello.txt"), get("/files/large.bin", "Range: bytes=10-20\r\n"),
                request("HEAD", "/files/hello.txt"), get("/files/hello.txt", "If-None-Match: " + etag + "\r\n"),
                get("/files/hello.txt", "If-Match: \"x\"\r\n"), get("/files/hello.txt", "Range: bytes=99-\r\n"),
                get("/files/sub/"), get("/files/.env"), get("/files/large.bin")};
        try (RawClient client = server.connect()) {
            for (int i = 0; i < 300; i++) {
                String request = requests[i % requests.length];
                RawClient.Response r = client.send(request).read(request.startsWith("HEAD "));
                assertTrue(r.status() < 500, request + " -> " + r.status());
            }
        }
        Poll.until(() -> OpenDescriptors.onFilesUnder(root), n -> n == 0, "files under the root to be closed");
    }

    @Test
    void servedAsTheWholeApplicationToo() throws Exception {
        WsgiApp app = StaticFilesApp.of(root);
        try (TestServer whole = TestServer.start(app); RawClient client = whole.connect()) {
            assertEquals("<p>root index</p>", client.send(get("/")).read().bodyText());
            assertEquals(HELLO, client.send(get("/hello.txt?v=2")).read().bodyText());
            assertEquals("/sub/", client.send(get("/sub")).read().header("Location"));
        }
    }

    @Test
    void theRootMustBeADirectory() {
        assertThrows(IllegalArgumentException.class, () -> StaticFilesApp.of(root.resolve("hello.txt")));
        assertThrows(IllegalArgumentException.class, () -> StaticFilesApp.of(root.resolve("missing")));
    }
}
