package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** --static URL_PREFIX=DIR mounts the files under DIR next to the application; a bad value is a usage error. */
@Timeout(60)
class StaticOptionTest {

    @TempDir
    Path dir;

    /** Gives back the permissions some tests take away, so that the temporary directory can be deleted. */
    @AfterEach
    void restorePermissions() throws IOException {
        try (var children = Files.list(dir)) {
            for (Path child : children.filter(Files::isDirectory).toList()) {
                Files.setPosixFilePermissions(child, PosixFilePermissions.fromString("rwx------"));
            }
        }
    }

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

    /**
     * A directory the server's user may not enter (no execute, search, permission) would answer 404 to
     * everything: a usage error instead. Root is not held back by permission bits, so as root the
     * command runs in a JVM without the capabilities that let it pass them (CAP_DAC_OVERRIDE and
     * CAP_DAC_READ_SEARCH), as a server run by systemd with a CapabilityBoundingSet would.
     */
    @Test
    void aDirectoryTheServerMayNotEnterIsAUsageError() throws Exception {
        Path locked = Files.createDirectories(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rw-------")); // readable, not searchable
        String expected = "--static /assets=" + locked + ": the server's user (" + System.getProperty("user.name")
                + ") may not enter the directory: it needs execute (search) permission on it";
        if (!Files.isExecutable(locked)) { // permission bits hold this JVM back
            CliRun.usageError(expected, "--bind", "127.0.0.1:0", "--static", "/assets=" + locked);
            return;
        }
        Path stderr = dir.resolve("err.txt");
        Process process = startWithoutPermissionOverride("--bind", "127.0.0.1:0", "--static", "/assets=" + locked);
        try {
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "a usage error ends the process");
            assertEquals(2, process.exitValue(), () -> ProcessOutput.read(stderr));
            assertTrue(ProcessOutput.read(stderr).contains(expected), () -> ProcessOutput.read(stderr));
        } finally {
            process.destroyForcibly();
        }
    }

    /**
     * A directory the server may enter but not list is served: files are opened by name, and no
     * listing is ever sent. Checked only where permission bits can hold the server back (see above).
     */
    @Test
    void aDirectoryTheServerMayEnterButNotListIsServed() throws Exception {
        Path searchOnly = Files.createDirectories(dir.resolve("search-only"));
        Files.writeString(searchOnly.resolve("site.css"), "p {}");
        Files.setPosixFilePermissions(searchOnly, PosixFilePermissions.fromString("--x--x--x"));
        if (!Files.isReadable(searchOnly)) { // permission bits hold this JVM back
            try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--static", "/assets=" + searchOnly)) {
                assertEquals("p {}", cli.get("/assets/site.css").body());
            }
            return;
        }
        Process process = startWithoutPermissionOverride("--bind", "127.0.0.1:0", "--static", "/assets=" + searchOnly);
        try {
            String serving = ProcessOutput.awaitLine(process, dir.resolve("out.txt"), line -> line.contains("serving on http://"));
            URI url = URI.create(serving.substring(serving.indexOf("http://")) + "/assets/site.css");
            try (HttpClient client = HttpClient.newHttpClient()) {
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode());
                assertEquals("p {}", response.body());
            }
        } finally {
            process.destroyForcibly();
        }
    }

    private static final List<String> WITHOUT_PERMISSION_OVERRIDE = List.of("setpriv",
            "--bounding-set", "-dac_override,-dac_read_search", "--inh-caps", "-dac_override,-dac_read_search");

    /**
     * Starts {@link Main} with {@code args} in a new JVM that permission bits hold back even as root,
     * its output in out.txt and err.txt; skips the test if there can be none.
     */
    private Process startWithoutPermissionOverride(String... args) throws Exception {
        assumeTrue(permissionBitsHoldBack(), "cannot run a process that permission bits hold back (setpriv)");
        List<String> command = new ArrayList<>(WITHOUT_PERMISSION_OVERRIDE);
        command.addAll(MainJvm.command(List.of(), List.of(args)));
        return new ProcessBuilder(command).redirectOutput(dir.resolve("out.txt").toFile())
                .redirectError(dir.resolve("err.txt").toFile()).start();
    }

    /** Whether a process run {@link #startWithoutPermissionOverride} may not list a directory of mode 000 (false if setpriv cannot run). */
    private boolean permissionBitsHoldBack() throws Exception {
        Path probe = Files.createDirectories(dir.resolve("probe"));
        Files.setPosixFilePermissions(probe, Set.of());
        List<String> command = new ArrayList<>(WITHOUT_PERMISSION_OVERRIDE);
        command.addAll(List.of("test", "-r", probe.toString()));
        try {
            Process test = new ProcessBuilder(command).redirectErrorStream(true).start();
            test.getInputStream().transferTo(OutputStream.nullOutputStream());
            return test.waitFor(10, TimeUnit.SECONDS) && test.exitValue() == 1;
        } catch (IOException e) { // no setpriv
            return false;
        }
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
