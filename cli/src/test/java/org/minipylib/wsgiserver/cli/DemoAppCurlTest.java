package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.OptionalTool;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo app as the benchmark's contract check sees it: through curl (skipped if curl is missing,
 * except on CI, {@code CI=true}, where that is a failure: {@link OptionalTool}).
 */
@Timeout(60)
class DemoAppCurlTest {

    private static final Path CURL = Path.of("/usr/bin/curl");

    private static CliRun cli;

    @TempDir
    Path dir;

    @BeforeAll
    static void startServer() {
        OptionalTool.assumeInstalled(Files.isExecutable(CURL), "curl is not installed at " + CURL + " (Debian: apt-get install -y curl)");
        cli = CliRun.start("--bind", "127.0.0.1:0");
    }

    @AfterAll
    static void stopServer() {
        if (cli != null) cli.close();
    }

    /** Runs curl with {@code args} (plus -s and a time limit); returns the HTTP status it printed. */
    private static int curl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(CURL.toString(), "-s", "--max-time", "20", "-w", "%{http_code}"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        boolean exited = process.waitFor(30, TimeUnit.SECONDS);
        if (!exited) process.destroyForcibly();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(exited, "curl finished");
        assertEquals(0, process.exitValue(), "curl's exit code; output: " + output);
        return Integer.parseInt(output.strip());
    }

    private Path requestBody() throws IOException {
        byte[] data = new byte[100_000];
        new Random(7).nextBytes(data);
        return Files.write(dir.resolve("request"), data);
    }

    @Test
    void plaintext() throws Exception {
        Path headers = dir.resolve("headers");
        Path body = dir.resolve("body");
        assertEquals(200, curl("-D", headers.toString(), "-o", body.toString(), cli.uri("/plaintext").toString()));
        assertEquals("Hello, World!", Files.readString(body));
        List<String> headerLines = Files.readAllLines(headers, StandardCharsets.ISO_8859_1);
        assertTrue(headerLines.contains("Content-Type: text/plain"), headerLines::toString);
        assertTrue(headerLines.contains("Content-Length: 13"), headerLines::toString);
    }

    @Test
    void echoWithContentLength() throws Exception {
        Path request = requestBody();
        Path body = dir.resolve("body");
        assertEquals(200, curl("-o", body.toString(), "-H", "Content-Type: application/octet-stream",
                "--data-binary", "@" + request, cli.uri("/echo").toString()));
        assertArrayEquals(Files.readAllBytes(request), Files.readAllBytes(body));
    }

    @Test
    void echoChunked() throws Exception {
        Path request = requestBody();
        Path body = dir.resolve("body");
        assertEquals(200, curl("-o", body.toString(), "-H", "Transfer-Encoding: chunked",
                "-H", "Content-Type: application/octet-stream", "--data-binary", "@" + request, cli.uri("/echo").toString()));
        assertArrayEquals(Files.readAllBytes(request), Files.readAllBytes(body));
    }
}
