package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** --static URL_PREFIX=DIR mounts the files under DIR next to the application; a bad value is a usage error. */
@Timeout(60)
class StaticOptionTest {

    @TempDir
    Path dir;

    @Test
    void filesAreServedAtTheirPrefixes() throws Exception {
        Path assets = Files.createDirectories(dir.resolve("public"));
        Files.writeString(assets.resolve("site.css"), "body { color: red }");
        Path docs = Files.createDirectories(dir.resolve("docs"));
        Files.writeString(docs.resolve("index.html"), "<h1>docs</h1>");
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--static", "/assets=" + assets,
                "--static", "/docs/=" + docs, "--health-path", "/health")) {
            HttpResponse<String> css = cli.get("/assets/site.css");
            assertEquals(200, css.statusCode());
            assertEquals("body { color: red }", css.body());
            assertEquals("text/css; charset=utf-8", css.headers().firstValue("Content-Type").orElseThrow());
            assertEquals("<h1>docs</h1>", cli.get("/docs/").body());
            assertEquals(404, cli.get("/assets/missing.css").statusCode());
            assertEquals("Hello, World!", cli.get("/plaintext").body(), "the demo app still serves its paths");
            assertEquals(200, cli.get("/health/livez").statusCode());
        }
    }

    @Test
    void precompressedVariantsAreSentOnlyWithTheOption() throws Exception {
        Files.writeString(dir.resolve("app.js"), "console.log(1)");
        byte[] gzipped = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0}; // gzip of nothing
        Files.write(dir.resolve("app.js.gz"), gzipped);
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--static", "/assets=" + dir, "--static-precompressed")) {
            HttpResponse<byte[]> variant = cli.getBytes("/assets/app.js", true);
            assertEquals(200, variant.statusCode());
            assertEquals("gzip", variant.headers().firstValue("Content-Encoding").orElseThrow());
            assertEquals("Accept-Encoding", variant.headers().firstValue("Vary").orElseThrow());
            assertEquals("text/javascript; charset=utf-8", variant.headers().firstValue("Content-Type").orElseThrow());
            assertArrayEquals(gzipped, variant.body());
            assertEquals("console.log(1)", cli.get("/assets/app.js").body(), "a client that does not accept gzip");
        }
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--static", "/assets=" + dir)) {
            HttpResponse<byte[]> plain = cli.getBytes("/assets/app.js", true);
            assertEquals("console.log(1)", new String(plain.body(), StandardCharsets.US_ASCII));
            assertTrue(plain.headers().firstValue("Content-Encoding").isEmpty(), "variants only with the option");
        }
        CliRun.usageError("--static-precompressed needs --static", "--bind", "127.0.0.1:0", "--static-precompressed");
    }

    @Test
    void typesAndCacheControlAreSentAsGiven() throws Exception {
        Files.writeString(dir.resolve("config.yaml"), "a: 1");
        Files.writeString(dir.resolve("legacy.txt"), "x");
        Files.writeString(dir.resolve("site.css"), "p {}");
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--static", "/assets=" + dir, "--static-type", "yaml=application/yaml",
                "--static-type", "txt=text/plain; charset=iso-8859-1", "--static-cache-control", "public, max-age=3600")) {
            HttpResponse<String> yaml = cli.get("/assets/config.yaml");
            assertEquals("application/yaml", yaml.headers().firstValue("Content-Type").orElseThrow());
            assertEquals("public, max-age=3600", yaml.headers().firstValue("Cache-Control").orElseThrow());
            assertEquals("text/plain; charset=iso-8859-1", cli.get("/assets/legacy.txt").headers().firstValue("Content-Type").orElseThrow());
            assertEquals("text/css; charset=utf-8", cli.get("/assets/site.css").headers().firstValue("Content-Type").orElseThrow());
            assertTrue(cli.get("/plaintext").headers().firstValue("Cache-Control").isEmpty(), "the files only");
        }
        CliRun.usageError("--static-type needs --static", "--bind", "127.0.0.1:0", "--static-type", "yaml=application/yaml");
        CliRun.usageError("--static-cache-control needs --static", "--bind", "127.0.0.1:0", "--static-cache-control", "no-cache");
        CliRun.usageError("--static-type must be EXT=TYPE", "--bind", "127.0.0.1:0", "--static", "/assets=" + dir, "--static-type", "yaml");
        CliRun.usageError("--static-type .yaml=application/yaml: not a file name extension", "--bind", "127.0.0.1:0",
                "--static", "/assets=" + dir, "--static-type", ".yaml=application/yaml");
        CliRun.usageError("--static-type yaml=: not a header value", "--bind", "127.0.0.1:0",
                "--static", "/assets=" + dir, "--static-type", "yaml=");
    }

    @Test
    void aDirectoryThatIsNoneIsAUsageError() throws Exception {
        Path file = Files.writeString(dir.resolve("file.txt"), "x");
        CliRun.usageError("--static /assets=" + dir.resolve("missing") + ": no such directory",
                "--bind", "127.0.0.1:0", "--static", "/assets=" + dir.resolve("missing"));
        CliRun.usageError("--static /assets=" + file + ": not a directory", "--bind", "127.0.0.1:0", "--static", "/assets=" + file);
        // not the working directory, served by accident
        CliRun.usageError("--static /assets=: no directory after '='", "--bind", "127.0.0.1:0", "--static", "/assets=");
    }

    @Test
    void aMalformedValueIsAUsageError() {
        CliRun.usageError("--static must be URL_PREFIX=DIR", "--bind", "127.0.0.1:0", "--static", dir.toString());
        CliRun.usageError("--static must be a path below / such as /assets, got '/'", "--bind", "127.0.0.1:0", "--static", "/=" + dir);
        CliRun.usageError("--static must be a path below /", "--bind", "127.0.0.1:0", "--static", "assets=" + dir);
        CliRun.usageError("--static must be a plain path", "--bind", "127.0.0.1:0", "--static", "/a b=" + dir);
        CliRun.usageError("\"/ops\" is mounted twice", "--bind", "127.0.0.1:0", "--static", "/ops=" + dir, "--metrics-path", "/ops");
    }
}
