package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * systemd socket activation, done as systemd does it: a launcher (python3 here) creates the
 * listening socket, puts it on standard input, sets LISTEN_PID to its own pid and LISTEN_FDS=1, and
 * execs the server, which keeps that pid. {@code --bind fd:0} serves on the inherited socket; a
 * LISTEN_PID meant for another process is refused.
 */
@Timeout(60)
class SocketActivationTest {

    private static final String LAUNCHER = String.join("\n",
            "import os, socket, sys",
            "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)",
            "s.bind(('127.0.0.1', 0))",
            "s.listen(16)",
            "print('PORT=%d' % s.getsockname()[1], flush=True)",
            "os.dup2(s.fileno(), 0)",
            "pid = os.getpid() + int(sys.argv[1])",
            "env = dict(os.environ, LISTEN_PID=str(pid), LISTEN_FDS='1')",
            "os.execve(sys.argv[2], sys.argv[2:], env)");

    @TempDir
    Path dir;

    private Process launch(int pidOffset, Path stdout) throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return new ProcessBuilder("python3", "-c", LAUNCHER, Integer.toString(pidOffset), java, "-Xmx128m", "-cp",
                System.getProperty("java.class.path"), Main.CLASS_NAME, "--bind", "fd:0")
                .redirectErrorStream(true).redirectOutput(stdout.toFile()).start();
    }

    @Test
    void servesOnTheSocketSystemdPassedAndStopsOnSigterm() throws Exception {
        Path stdout = dir.resolve("out.txt");
        Process process = launch(0, stdout);
        try {
            String port = ProcessOutput.awaitLine(process, stdout, l -> l.startsWith("PORT=")).substring("PORT=".length());
            String serving = ProcessOutput.awaitLine(process, stdout, l -> l.startsWith("wsgiserver "));
            assertTrue(serving.endsWith("serving on http://127.0.0.1:" + port), serving);
            try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build()) {
                var response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/plaintext"))
                        .timeout(Duration.ofSeconds(10)).build(), BodyHandlers.ofString());
                assertEquals(200, response.statusCode());
            }
            process.destroy(); // SIGTERM
            assertTrue(process.waitFor(20, TimeUnit.SECONDS));
            assertTrue(List.of(0, 143).contains(process.exitValue()), "exit code " + process.exitValue());
            assertTrue(Files.readString(stdout).contains("wsgiserver stopped"), Files.readString(stdout));
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void socketsMeantForAnotherProcessAreRefused() throws Exception {
        Path stdout = dir.resolve("out.txt");
        Process process = launch(1, stdout);
        try {
            assertTrue(process.waitFor(30, TimeUnit.SECONDS));
            assertEquals(1, process.exitValue());
            String output = Files.readString(stdout);
            assertTrue(output.contains("meant for another process"), output);
        } finally {
            process.destroyForcibly();
        }
    }
}
