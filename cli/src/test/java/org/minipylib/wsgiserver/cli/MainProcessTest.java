package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Main#main} in its own JVM: prints where it listens, serves, and stops cleanly on SIGTERM. */
@Timeout(60)
class MainProcessTest {

    private static final Pattern SERVING = Pattern.compile("^wsgiserver \\S+ serving on (http://127\\.0\\.0\\.1:\\d+)$");

    @TempDir
    Path dir;

    @Test
    void servesUntilSigtermThenStopsGracefully() throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // Output goes to files: Process.destroy() closes the pipes, and we want what is printed after it.
        Path stdout = dir.resolve("stdout.txt");
        Path stderr = dir.resolve("stderr.txt");
        Process process = new ProcessBuilder(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                Main.CLASS_NAME, "--bind", "127.0.0.1:0")
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        try {
            String url = awaitServingUrl(process, stdout, stderr);
            try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build()) {
                HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/plaintext"))
                        .timeout(Duration.ofSeconds(10)).build();
                HttpResponse<String> response = client.send(request, BodyHandlers.ofString());
                assertEquals(200, response.statusCode());
                assertEquals("Hello, World!", response.body());
            }

            process.destroy(); // SIGTERM
            assertTrue(process.waitFor(10, TimeUnit.SECONDS), "exited within 10 s of SIGTERM");
            assertTrue(List.of(0, 143).contains(process.exitValue()), "exit code " + process.exitValue());
            String output = Files.readString(stdout);
            assertTrue(output.contains("wsgiserver stopped"), () -> "stdout: " + output + "\nstderr: " + read(stderr));
        } finally {
            process.destroyForcibly();
        }
    }

    /** Waits (up to 30 s) for the line saying where the server listens; returns its URL. */
    private static String awaitServingUrl(Process process, Path stdout, Path stderr) throws Exception {
        Matcher serving = SERVING.matcher(ProcessOutput.awaitLine(process, stdout, line -> SERVING.matcher(line).matches()));
        assertTrue(serving.matches());
        return serving.group(1);
    }

    private static String read(Path file) {
        return ProcessOutput.read(file);
    }
}
