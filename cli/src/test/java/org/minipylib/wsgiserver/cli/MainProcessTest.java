package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.minipylib.wsgiserver.testing.Poll;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@link Main#main} in its own JVM: prints where it listens, serves, and stops cleanly on SIGTERM. */
@Timeout(60)
class MainProcessTest {

    private static final Pattern SERVING = Pattern.compile("^wsgiserver \\S+ serving on (http://127\\.0\\.0\\.1:\\d+)$");

    @TempDir
    Path dir;

    @Test
    void servesUntilSigtermThenStopsGracefully() throws Exception {
        Path stdout = dir.resolve("stdout.txt");
        Path stderr = dir.resolve("stderr.txt");
        Process process = startMain(stdout, stderr, "--bind", "127.0.0.1:0");
        try {
            String url = awaitServingUrl(process, stdout);
            try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build()) {
                HttpRequest request = get(url, "/plaintext");
                HttpResponse<String> response = client.send(request, BodyHandlers.ofString());
                assertEquals(200, response.statusCode());
                assertEquals("Hello, World!", response.body());
            }
            MainJvm.stopsOnSigterm(process, stdout, stderr);
        } finally {
            process.destroyForcibly();
        }
    }

    /**
     * An application that calls {@code System.exit} while it is loaded ends the process with its
     * status at once: the shutdown hook waited for the launch, which waited in that very call, and
     * the process hung for good (no port, no exit status, only SIGKILL ended it).
     */
    @Test
    void anApplicationThatExitsWhileLoadedEndsTheProcessWithItsStatus() throws Exception {
        Process process = startMain(dir.resolve("stdout.txt"), dir.resolve("stderr.txt"), "--bind", "127.0.0.1:0",
                TestApps.class.getName() + "::exitsWhileLoaded");
        try {
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the process must end");
            assertEquals(7, process.exitValue());
        } finally {
            process.destroyForcibly();
        }
    }

    /**
     * Out of file descriptors, accept() fails for every connection waiting in the backlog, 20 times
     * a second: the log says so once per 10 s (with the count), not at every attempt; once
     * descriptors are free again the server serves.
     */
    @Test
    void acceptFailingForWantOfDescriptorsIsWarnedOfOnceNotAtEveryAttempt() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "needs bash for ulimit");
        Path stdout = dir.resolve("stdout.txt");
        Path stderr = dir.resolve("stderr.txt");
        List<String> command = new ArrayList<>(List.of("/bin/bash", "-c", "ulimit -n 128 && exec \"$@\"", "bash"));
        command.addAll(MainJvm.command(List.of(), List.of("--bind", "127.0.0.1:0")));
        Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        List<java.net.Socket> held = new ArrayList<>();
        try {
            URI url = URI.create(awaitServingUrl(process, stdout));
            for (int i = 0; i < 150; i++) { // more than the descriptors left
                java.net.Socket socket = new java.net.Socket();
                socket.connect(new java.net.InetSocketAddress("127.0.0.1", url.getPort()), 5000); // into the backlog at least
                held.add(socket);
            }
            String failed = ProcessOutput.awaitLine(process, stderr, line -> line.contains("accept() on "));
            assertTrue(failed.contains("Too many open files") && failed.contains("(logged at most every 10 s)"), failed);
            Thread.sleep(2000); // some 40 more failed attempts
            long warnings = Files.readAllLines(stderr).stream().filter(line -> line.contains("accept() on ")).count();
            assertEquals(1, warnings, () -> "stderr: " + read(stderr));
            for (java.net.Socket socket : held) socket.close();
            held.clear();
            try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build()) {
                HttpResponse<String> response = client.send(get(url.toString(), "/plaintext"), BodyHandlers.ofString());
                assertEquals(200, response.statusCode());
            }
            process.destroy();
            assertTrue(process.waitFor(10, TimeUnit.SECONDS), "exited within 10 s of SIGTERM");
        } finally {
            for (java.net.Socket socket : held) socket.close();
            process.destroyForcibly();
        }
    }

    /**
     * A SIGTERM that comes as soon as the server listens (systemd or Kubernetes stopping an instance
     * that just started, while it still registers its JMX bean) is a graceful stop too: not the JVM's
     * bare exit, which would drop requests already accepted and leave the socket file behind.
     */
    @Test
    void sigtermRightAfterListeningStillStopsGracefully() throws Exception {
        Path stdout = dir.resolve("stdout.txt");
        Path stderr = dir.resolve("stderr.txt");
        Path socket = dir.resolve("app.sock");
        Process process = startMain(stdout, stderr, "--bind", "unix:" + socket, "--jmx");
        try {
            ProcessOutput.awaitLine(process, stderr, line -> line.contains("Listening on"));
            process.destroy(); // SIGTERM
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "exited within 20 s of SIGTERM");
            String output = Files.readString(stdout);
            assertTrue(output.contains("wsgiserver stopped"), () -> "stdout: " + output + "\nstderr: " + read(stderr));
            assertTrue(Files.notExists(socket), "the socket file is removed");
        } finally {
            process.destroyForcibly();
        }
    }

    /**
     * The first SIGTERM stops gracefully and only then exits: what the server logs while it stops
     * (the drain, "Stopped") reaches standard error (java.util.logging's own exit hook used to close
     * its handlers meanwhile). A second SIGTERM cuts the drain delay short.
     */
    @Test
    void sigtermLogsTheWholeStopAndASecondOneCutsItShort() throws Exception {
        Path stdout = dir.resolve("stop-out.txt");
        Path stderr = dir.resolve("stop-err.txt");
        Process process = startMain(stdout, stderr, "--bind", "127.0.0.1:0", "--drain-delay", "1");
        try {
            awaitServingUrl(process, stdout);
            process.destroy(); // SIGTERM
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "exited within 20 s of SIGTERM");
            assertEquals(143, process.exitValue());
            String log = read(stderr);
            assertTrue(log.contains("Draining") && log.contains("Stopped"), () -> "stderr: " + log);
        } finally {
            process.destroyForcibly();
        }

        Process slow = startMain(dir.resolve("slow-stop-out.txt"), dir.resolve("slow-stop-err.txt"), "--bind", "127.0.0.1:0",
                "--drain-delay", "60");
        try {
            awaitServingUrl(slow, dir.resolve("slow-stop-out.txt"));
            slow.destroy();
            ProcessOutput.awaitLine(slow, dir.resolve("slow-stop-out.txt"), line -> line.startsWith("wsgiserver stopping"));
            long start = System.nanoTime();
            slow.destroy(); // again
            assertTrue(slow.waitFor(15, TimeUnit.SECONDS), "a second SIGTERM ends the 60 s drain delay");
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(15));
            assertEquals(143, slow.exitValue());
            assertTrue(read(dir.resolve("slow-stop-err.txt")).contains("again"), () -> read(dir.resolve("slow-stop-err.txt")));
        } finally {
            slow.destroyForcibly();
        }
    }

    /**
     * Ctrl-C (SIGINT) and SIGHUP stop gracefully as SIGTERM does, and the exit status is 128 + that
     * signal's number (README: 130 and 129), not SIGTERM's 143.
     */
    @ParameterizedTest(name = "SIG{0} -> {1}")
    @CsvSource({"INT, 130", "HUP, 129"})
    void sigintAndSighupStopGracefullyWithTheirOwnExitStatus(String signal, int status) throws Exception {
        Path stdout = dir.resolve("sig-out.txt");
        Path stderr = dir.resolve("sig-err.txt");
        Process process = startMain(stdout, stderr, "--bind", "127.0.0.1:0");
        try {
            awaitServingUrl(process, stdout);
            assumeNotIgnored(process, signal, status - 128);
            kill(process, signal);
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "exited within 20 s of SIG" + signal);
            assertEquals(status, process.exitValue(), () -> "stderr: " + read(stderr));
            String output = read(stdout);
            assertTrue(output.contains("wsgiserver stopping") && output.contains("wsgiserver stopped"),
                    () -> "stdout: " + output + "\nstderr: " + read(stderr));
        } finally {
            process.destroyForcibly();
        }
    }

    /**
     * A third stop signal ends the process at once, whatever still holds it. Here the first SIGTERM
     * starts a 60 s drain delay, the second cuts it short and the server stops, and then an
     * application's shutdown hook that hangs for 60 s keeps the JVM from exiting: the third ends the
     * process within seconds, with 128 + its number.
     */
    @Test
    void aThirdSignalEndsTheProcessAtOnce() throws Exception {
        Path stdout = dir.resolve("third-out.txt");
        Path stderr = dir.resolve("third-err.txt");
        Process process = startMain(stdout, stderr, "--bind", "127.0.0.1:0", "--drain-delay", "60",
                TestApps.class.getName() + "::hangingShutdownHook");
        try {
            awaitServingUrl(process, stdout);
            kill(process, "TERM");
            ProcessOutput.awaitLine(process, stdout, line -> line.startsWith("wsgiserver stopping"));
            kill(process, "TERM");
            ProcessOutput.awaitLine(process, stderr, line -> line.equals("test app: shutdown hook hanging"));
            assertTrue(read(stdout).contains("wsgiserver stopped"), () -> read(stdout));
            assertTrue(read(stderr).contains("again"), () -> read(stderr));
            assertTrue(process.isAlive(), "after two signals the hanging hook still holds the process");

            kill(process, "TERM");
            assertTrue(process.waitFor(5, TimeUnit.SECONDS), "a third SIGTERM ends the process within 5 s, not after the hook's 60 s");
            assertEquals(143, process.exitValue(), () -> "stderr: " + read(stderr));
            assertTrue(read(stderr).contains("SIGTERM a third time: exiting now"), () -> read(stderr));
        } finally {
            process.destroyForcibly();
        }
    }

    /** SIGUSR1 reopens the access log file under its name: log rotation by renaming (logrotate's default) loses nothing. */
    @Test
    void sigusr1ReopensTheAccessLogAfterARotation() throws Exception {
        Path stdout = dir.resolve("rot-out.txt");
        Path stderr = dir.resolve("rot-err.txt");
        Path log = dir.resolve("access.log");
        Path rotated = dir.resolve("access.log.1");
        Process process = startMain(stdout, stderr, "--bind", "127.0.0.1:0", "--access-log", log.toString());
        try {
            String url = awaitServingUrl(process, stdout);
            try (HttpClient client = HttpClient.newHttpClient()) {
                assertEquals(200, client.send(get(url, "/plaintext?before"), BodyHandlers.discarding()).statusCode());
                // its line is written once the response has gone out, as the client may already read it
                Poll.until(() -> read(log), text -> text.contains("/plaintext?before"), "the request before the rotation logged");
                Files.move(log, rotated);
                Process kill = new ProcessBuilder("kill", "-USR1", Long.toString(process.pid())).start();
                assertEquals(0, kill.waitFor());
                Poll.until(() -> Files.exists(log), exists -> exists, "a new file under the log's name after SIGUSR1");
                assertEquals(200, client.send(get(url, "/plaintext?after"), BodyHandlers.discarding()).statusCode());
            }
            Poll.until(() -> read(log), text -> text.contains("/plaintext?after"), "the request after the rotation in the new file");
            assertTrue(Files.readString(rotated).contains("/plaintext?before"), () -> "rotated: " + read(rotated));
            assertTrue(process.isAlive(), "SIGUSR1 does not stop the server");
            ProcessOutput.awaitLine(process, stderr, line -> line.endsWith(" INFO Reopened the access log " + log));
        } finally {
            process.destroyForcibly();
        }
    }

    /**
     * A reopen that fails (here the log's directory was renamed away) is a warning in the server's log,
     * with the file and the reason in words, and the lines go on into the old file.
     */
    @Test
    void sigusr1ThatCannotReopenTheAccessLogWarnsAndGoesOnInTheOldFile() throws Exception {
        Path stdout = dir.resolve("rot-out.txt");
        Path stderr = dir.resolve("rot-err.txt");
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Path log = logs.resolve("access.log");
        Process process = startMain(stdout, stderr, "--bind", "127.0.0.1:0", "--access-log", log.toString());
        try {
            String url = awaitServingUrl(process, stdout);
            Path moved = Files.move(logs, dir.resolve("logs.old"));
            kill(process, "USR1");
            String warning = ProcessOutput.awaitLine(process, stderr, line -> line.contains("Could not reopen the access log"));
            assertTrue(warning.endsWith(" WARNING Could not reopen the access log " + log + ": no such file; it goes on in"
                    + " the old file"), warning);
            try (HttpClient client = HttpClient.newHttpClient()) {
                assertEquals(200, client.send(get(url, "/plaintext?after"), BodyHandlers.discarding()).statusCode());
            }
            Path old = moved.resolve("access.log");
            Poll.until(() -> read(old), text -> text.contains("/plaintext?after"), "the request after the failed reopen in the old file");
        } finally {
            process.destroyForcibly();
        }
    }

    /**
     * With the access log on standard output, standard output holds access log entries only (a log
     * collector parses every line of it): the server's own lines go to standard error.
     */
    @Test
    void accessLogOnStandardOutputHasItAlone() throws Exception {
        Path stdout = dir.resolve("stdout.txt");
        Path stderr = dir.resolve("stderr.txt");
        Process process = startMain(stdout, stderr, "--bind", "127.0.0.1:0", "--access-log", "-");
        try {
            String url = awaitServingUrl(process, stderr);
            try (HttpClient client = HttpClient.newHttpClient()) {
                assertEquals(200, client.send(get(url, "/plaintext?one"), BodyHandlers.discarding()).statusCode());
            }
            process.destroy(); // SIGTERM
            assertTrue(process.waitFor(10, TimeUnit.SECONDS), "exited within 10 s of SIGTERM");
            List<String> lines = Files.readAllLines(stdout);
            assertEquals(1, lines.size(), () -> "stdout: " + lines);
            assertTrue(lines.get(0).matches("127\\.0\\.0\\.1 - - \\[.*\\] \"GET /plaintext\\?one HTTP/1\\.1\" 200 13 .*"), lines.get(0));
            String errors = Files.readString(stderr);
            assertTrue(errors.contains("wsgiserver stopped"), () -> "stderr: " + errors);
        } finally {
            process.destroyForcibly();
        }
    }

    /**
     * What starting leaves alive goes to the old generation before load comes (one full collection),
     * so that the first young collections under load do not copy it again and again.
     */
    @Test
    void collectsOnceAfterStartingSoThatStartupObjectsAreOld() throws Exception {
        Path stdout = dir.resolve("stdout.txt");
        Path stderr = dir.resolve("stderr.txt");
        Path gcLog = dir.resolve("gc.log");
        Process process = startMain(List.of("-Xlog:gc:file=" + gcLog), stdout, stderr, "--bind", "127.0.0.1:0");
        try {
            awaitServingUrl(process, stdout);
            Poll.until(() -> Files.exists(gcLog) ? read(gcLog) : "", log -> log.contains("System.gc()"), Duration.ofSeconds(20),
                    "a collection caused by System.gc() in the GC log");
        } finally {
            process.destroyForcibly();
        }
    }

    /**
     * Slow clients declaring large bodies to the demo app's /echo hold memory for the bytes they
     * sent, not for what they declared: 40 of them declaring 60 MB each, against a 64 MB heap,
     * leave the server serving (it allocated each declared size up front before).
     */
    @Test
    void slowEchoClientsDeclaringLargeBodiesDoNotRunTheHeapOut() throws Exception {
        Path stdout = dir.resolve("slow-out.txt");
        Path stderr = dir.resolve("slow-err.txt");
        Process process = startMain(List.of("-Xmx64m"), stdout, stderr, "--bind", "127.0.0.1:0", "--metrics-path", "/metrics");
        List<java.net.Socket> slow = new ArrayList<>();
        try {
            String url = awaitServingUrl(process, stdout);
            int port = URI.create(url).getPort();
            byte[] request = ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 60000000\r\n\r\n"
                    + "x".repeat(1000)).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            for (int i = 0; i < 40; i++) {
                java.net.Socket socket = new java.net.Socket("127.0.0.1", port);
                slow.add(socket);
                socket.getOutputStream().write(request);
            }
            try (HttpClient client = HttpClient.newHttpClient()) {
                long sent = 40L * request.length;
                Poll.until(() -> bytesRead(client, url), n -> n >= sent, Duration.ofSeconds(20),
                        "the server read the heads and first body bytes of all 40 clients (" + sent + " bytes)");
                HttpResponse<String> r = client.send(get(url, "/plaintext"), BodyHandlers.ofString());
                assertEquals(200, r.statusCode());
            }
            assertTrue(process.isAlive());
            assertFalse(read(stderr).contains("OutOfMemoryError"), () -> read(stderr));
        } finally {
            for (java.net.Socket socket : slow) socket.close();
            process.destroyForcibly();
        }
    }

    /** An OutOfMemoryError a request runs into is that request's 500: the process serves on. */
    @Test
    void anOutOfMemoryErrorInARequestIsA500AndTheServerGoesOn() throws Exception {
        Path stdout = dir.resolve("req-oom-out.txt");
        Path stderr = dir.resolve("req-oom-err.txt");
        Process process = startMain(stdout, stderr, "--bind", "127.0.0.1:0",
                TestApps.class.getName() + "::outOfMemoryInTheRequest");
        try {
            String url = awaitServingUrl(process, stdout);
            try (HttpClient client = HttpClient.newHttpClient()) {
                for (int i = 0; i < 3; i++) {
                    assertEquals(500, client.send(get(url, "/oom"), BodyHandlers.discarding()).statusCode());
                }
                assertEquals("fine", client.send(get(url, "/ok"), BodyHandlers.ofString()).body());
            }
            assertTrue(process.isAlive(), () -> read(stderr));
        } finally {
            process.destroyForcibly();
        }
    }

    /**
     * A thread that dies of an OutOfMemoryError (the JDK's poller, an accept loop) would leave the
     * port open with nothing behind it: the process exits with status 3 instead, for a supervisor
     * to restart it.
     */
    @Test
    void anOutOfMemoryErrorEscapingAThreadEndsTheProcessWithStatus3() throws Exception {
        Path stdout = dir.resolve("oom-out.txt");
        Path stderr = dir.resolve("oom-err.txt");
        Process process = startMain(stdout, stderr, "--bind", "127.0.0.1:0",
                TestApps.class.getName() + "::outOfMemoryInAThread");
        try {
            String url = awaitServingUrl(process, stdout);
            try (HttpClient client = HttpClient.newHttpClient()) {
                client.send(get(url, "/"),
                        BodyHandlers.discarding());
            } catch (IOException e) {
                // the process may exit before the response arrives
            }
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the process must exit");
            assertEquals(Main.OUT_OF_MEMORY_EXIT, process.exitValue(), () -> read(stderr));
            assertTrue(read(stderr).contains("out of memory in a server thread"), () -> read(stderr));
        } finally {
            process.destroyForcibly();
        }
    }

    /** Runs {@link Main} with {@code args} in a new JVM (see {@link MainJvm#start}). */
    private static Process startMain(Path stdout, Path stderr, String... args) throws IOException {
        return MainJvm.start(List.of(), stdout, stderr, args);
    }

    private static Process startMain(List<String> jvmOptions, Path stdout, Path stderr, String... args) throws IOException {
        return MainJvm.start(jvmOptions, stdout, stderr, args);
    }

    /**
     * Waits (up to 30 s) for the line saying where the server listens, in {@code output} (standard
     * output, or standard error with the access log on standard output); returns its URL.
     */
    private static String awaitServingUrl(Process process, Path output) throws Exception {
        Matcher serving = SERVING.matcher(ProcessOutput.awaitLine(process, output, line -> SERVING.matcher(line).matches()));
        assertTrue(serving.matches());
        return serving.group(1);
    }

    /** Sends {@code signal} (a name such as TERM) to {@code process} with kill(1). */
    private static void kill(Process process, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS), "kill ran");
        assertEquals(0, kill.exitValue(), "kill -" + signal);
    }

    /**
     * Skips the test if {@code process} started with {@code signal} ignored: it inherits that (a
     * background job of a non-interactive shell ignores SIGINT, nohup SIGHUP), and the JVM then
     * leaves the signal ignored, as any program should. Linux's /proc says; elsewhere, no skip.
     */
    private static void assumeNotIgnored(Process process, String signal, int number) throws IOException {
        Path status = Path.of("/proc", Long.toString(process.pid()), "status");
        if (!Files.isReadable(status)) return;
        for (String line : Files.readAllLines(status)) {
            if (!line.startsWith("SigIgn:")) continue;
            long ignored = Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16);
            assumeTrue((ignored & (1L << (number - 1))) == 0,
                    "SIG" + signal + " is ignored in the process started here (inherited), so the JVM does not handle it");
        }
    }

    /** The server's count of bytes read from clients, from its JSON statistics at /metrics/json. */
    private static long bytesRead(HttpClient client, String url) {
        try {
            String json = client.send(get(url, "/metrics/json"), BodyHandlers.ofString()).body();
            Matcher m = Pattern.compile("\"bytesRead\":(\\d+)").matcher(json);
            if (!m.find()) throw new AssertionError("no bytesRead in " + json);
            return Long.parseLong(m.group(1));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A GET of {@code path} on the server at {@code url}, given up after 10 s. */
    private static HttpRequest get(String url, String path) {
        return HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(10)).build();
    }

    private static String read(Path file) {
        return ProcessOutput.read(file);
    }
}
