package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.minipylib.wsgiserver.ServerConfig;
import org.minipylib.wsgiserver.Version;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.http.ComplianceViolation;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.Poll;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The command line's options, run in this JVM: what they do to the server, and the errors they give. */
@Timeout(60)
class OptionsTest {

    @TempDir
    Path dir;

    private static String get(CliRun cli, String path) throws IOException, InterruptedException {
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build()) {
            return client.send(HttpRequest.newBuilder(cli.uri(path)).timeout(Duration.ofSeconds(10)).build(),
                    BodyHandlers.ofString()).body();
        }
    }

    @Test
    void optionsNotGivenLeaveTheLibraryDefaults() {
        InetSocketAddress anyPort = new InetSocketAddress("127.0.0.1", 0);
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0")) {
            assertEquals(ServerConfig.builder().bind(anyPort).build(), cli.server().config());
        }
    }

    @Test
    void printsEachAddressItServesOn() {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--bind", "127.0.0.1:0")) {
            List<InetSocketAddress> addresses = cli.server().addresses();
            assertEquals(2, addresses.size());
            for (InetSocketAddress address : addresses) {
                String line = "wsgiserver " + Version.VERSION + " serving on http://127.0.0.1:" + address.getPort();
                assertTrue(cli.out().lines().anyMatch(line::equals), cli.out());
            }
            assertTrue(cli.out().lines().anyMatch(("wsgiserver " + Version.VERSION + " application: the demo app")::equals), cli.out());
        }
    }

    @Test
    void namesTheApplicationItServes() {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", HelloApp.class.getName())) {
            String line = "wsgiserver " + Version.VERSION + " application: " + HelloApp.class.getName();
            assertTrue(cli.out().lines().anyMatch(line::equals), cli.out());
        }
    }

    @Test
    void bindsIpv6LoopbackInBrackets() throws IOException {
        assumeTrue(ipv6LoopbackWorks(), "no IPv6 loopback here");
        try (CliRun cli = CliRun.start("--bind", "[::1]:0")) {
            InetSocketAddress address = cli.server().addresses().get(0);
            assertTrue(address.getAddress() instanceof Inet6Address && address.getAddress().isLoopbackAddress(),
                    address::toString);
            assertTrue(cli.out().contains("serving on http://[::1]:" + address.getPort()), cli.out());
        }
    }

    /** Whether this machine can listen on ::1 (some containers have no IPv6 loopback). */
    static boolean ipv6LoopbackWorks() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void poolWorkersWithThreadCounts() {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--workers", "pool", "--threads", "2", "--max-threads", "4")) {
            ServerConfig config = cli.server().config();
            assertEquals(WorkerMode.POOL, config.workerMode());
            assertEquals(2, config.minThreads());
            assertEquals(4, config.maxThreads());
        }
    }

    /** Pool-only options with virtual workers (the default) are ignored with a warning, never a contradiction. */
    @Test
    void poolOnlyOptionsWithVirtualWorkersAreIgnoredWithAWarning() {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--threads", "500", "--max-threads", "50")) {
            assertEquals(WorkerMode.VIRTUAL, cli.server().config().workerMode());
            assertEquals(50, cli.server().config().maxThreads());
            assertTrue(cli.err().contains("apply to --workers pool only"), cli.err());
        }
    }

    @Test
    void virtualWorkersInAnyCase() throws Exception {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--workers", "VIRTUAL", "--max-threads", "50")) {
            assertEquals(WorkerMode.VIRTUAL, cli.server().config().workerMode());
            assertEquals(50, cli.server().config().maxThreads());
            assertEquals("Hello, World!", get(cli, "/plaintext"));
        }
    }

    @Test
    void timeoutsServerNameAndShutdownTimeout() throws Exception {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--timeout", "2.5", "--shutdown-timeout", "0",
                "--drain-delay", "0.25", "--server-name", "example.org")) {
            ServerConfig config = cli.server().config();
            assertEquals(HttpTimeouts.all(Duration.ofMillis(2500)), config.timeouts());
            assertEquals(Duration.ZERO, config.shutdownTimeout());
            assertEquals(Duration.ofMillis(250), config.drainDelay());
            assertEquals("example.org", config.serverName());
            assertTrue(get(cli, "/environ").lines().anyMatch("SERVER_NAME = example.org"::equals));
        }
    }

    @Test
    void relaxNamesViolationsTheParserThenAccepts() throws Exception {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--relax", "bare-lf-line-endings,OBS_FOLD")) {
            assertEquals(Set.of(ComplianceViolation.BARE_LF_LINE_ENDINGS, ComplianceViolation.OBS_FOLD),
                    cli.server().config().limits().compliance().relaxed());
        }
    }

    @Test
    void accessLogToAFile() throws Exception {
        Path log = dir.resolve("access.log");
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--access-log", log.toString())) {
            get(cli, "/plaintext");
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!(Files.exists(log) && Files.readString(log).contains("\"GET /plaintext HTTP/1.1\" 200 13"))) {
                assertTrue(System.nanoTime() < deadline, "the request was logged within 5 s");
                Thread.sleep(10);
            }
        }
    }

    @Test
    void accessLogInJson() throws Exception {
        Path log = dir.resolve("access.json");
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--access-log", log.toString(), "--access-log-format", "json")) {
            get(cli, "/plaintext");
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!(Files.exists(log) && Files.readString(log).endsWith("\n"))) {
                assertTrue(System.nanoTime() < deadline, "the request was logged within 5 s");
                Thread.sleep(10);
            }
            String line = Files.readString(log).strip();
            assertTrue(line.matches("\\{\"time\":\"[-0-9T:.]+Z\",\"remote_addr\":\"127\\.0\\.0\\.1\",\"request\":\"GET /plaintext HTTP/1\\.1\","
                    + "\"status\":200,\"body_bytes_sent\":13,\"http_referer\":null,\"http_user_agent\":.*,\"http_host\":\"127\\.0\\.0\\.1:[0-9]+\",\"request_time\":[0-9]+\\.[0-9]{3}}"), line);
        }
    }

    /**
     * {@code --access-log-buffer}: lines wait in the buffer, for {@code --access-log-flush} at most,
     * and those still there are written at stop.
     */
    @Test
    void accessLogBufferedLinesAreWrittenAfterTheFlushIntervalAndAtStop() throws Exception {
        Path log = dir.resolve("access.log");
        String line = "\"GET /plaintext HTTP/1.1\" 200 13";
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--access-log", log.toString(), "--access-log-buffer", "64k",
                "--access-log-flush", "3600")) {
            get(cli, "/plaintext");
            get(cli, "/plaintext");
            assertEquals("", Files.readString(log), "held in the buffer");
        }
        assertEquals(2, Files.readString(log).lines().filter(l -> l.contains(line)).count(), "written at stop");
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--access-log", log.toString(), "--access-log-buffer", "64k",
                "--access-log-flush", "0.2")) {
            get(cli, "/plaintext");
            Poll.until(() -> read(log), text -> text.lines().filter(l -> l.contains(line)).count() == 3, "the flush after 0.2 s");
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code --access-log -}: the entries go to the process's standard output (System.out, replaced
     * here while the server runs), and the server's own lines ("serving on") to the command's
     * standard error instead, so that standard output holds the access log alone.
     * MainProcessTest.accessLogOnStandardOutputHasItAlone checks the same on a real process.
     */
    @Test
    void accessLogToStandardOutput() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8);
        System.setOut(capture);
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--access-log", "-")) {
            get(cli, "/plaintext?stdout");
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!captured(capture, captured).contains("\"GET /plaintext?stdout HTTP/1.1\" 200 13")) {
                assertTrue(System.nanoTime() < deadline, () -> "the request was logged to System.out within 5 s: "
                        + captured(capture, captured));
                Thread.sleep(10);
            }
            assertEquals("", cli.out(), "nothing of the server's on the command's standard output");
            assertTrue(cli.err().contains("serving on http://127.0.0.1:" + cli.server().port()), cli.err());
        } finally {
            System.setOut(original);
        }
        List<String> lines = captured(capture, captured).lines().toList();
        assertEquals(1, lines.size(), () -> "System.out: " + lines);
        assertTrue(lines.get(0).matches("127\\.0\\.0\\.1 - - \\[.*\\] \"GET /plaintext\\?stdout HTTP/1\\.1\" 200 13 .*"),
                lines.get(0));
    }

    /** What was written to {@code capture} so far (read under its lock, which the access log writes under). */
    private static String captured(PrintStream capture, ByteArrayOutputStream bytes) {
        synchronized (capture) {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void helpListsTheOptionsAndTheLibraryDefaults() {
        try (CliRun cli = CliRun.run("--help")) {
            assertNull(cli.server());
            assertEquals(0, cli.exitCode());
            for (String option : List.of("--bind", "--threads", "--max-threads", "--workers", "--server-name",
                    "--timeout", "--shutdown-timeout", "--drain-delay", "--access-log", "--version", "APP")) {
                assertTrue(cli.out().contains(option), option);
            }
            ServerConfig defaults = ServerConfig.builder().build();
            assertTrue(cli.out().contains("--threads " + defaults.minThreads() + ","), cli.out());
            assertTrue(cli.out().contains("--max-threads " + defaults.maxThreads() + ","), cli.out());
            assertTrue(cli.out().contains("--backlog " + defaults.acceptBacklog() + ","), cli.out());
            assertTrue(cli.out().contains("--drain-delay " + defaults.drainDelay().toSeconds() + ";"), cli.out());
            assertTrue(cli.out().contains("--handshake-timeout " + defaults.timeouts().handshake().toSeconds() + ","), cli.out());
            // every signal that stops the server gracefully (README, Command line), and the rotation one
            assertTrue(cli.out().contains("Stop with Ctrl-C, SIGTERM or SIGHUP"), cli.out());
            assertTrue(cli.out().contains("SIGUSR1 reopens the --access-log file"), cli.out());
        }
    }

    @Test
    void versionPrintsTheLibraryVersion() {
        try (CliRun cli = CliRun.run("--version")) {
            assertNull(cli.server());
            assertEquals(0, cli.exitCode());
            assertTrue(cli.out().startsWith("wsgiserver " + Version.VERSION + System.lineSeparator()), cli.out());
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--bogus                      | Unknown option: '--bogus'",
        "--bind=localhost             | 'localhost' is not HOST:PORT",
        "--bind=::1:8080              | put an IPv6 address in brackets",
        "--bind=127.0.0.1:65536       | the port must be 0 to 65535",
        // a malformed IPv6 literal: refused as unknown without a DNS query (which a name would make)
        "--bind=[1::2::3]:80          | unknown host 1::2::3",
        "--workers=threads            | Invalid value for option '--workers'",
        "--threads=many               | Invalid value for option '--threads'",
        "--threads=0                  | Invalid settings: --threads must be >= 1",
        "--max-threads=0              | Invalid settings: --max-threads must be >= 1",
        "--readiness-loops=-1         | --readiness-loops must be 0 to 256, got -1",
        "--readiness-loops=300        | --readiness-loops must be 0 to 256, got 300",
        "--timeout=0                  | --timeout must be more than 0 seconds",
        "--timeout=-1                 | seconds must not be negative",
        "--shutdown-timeout=soon      | 'soon' is not a number of seconds",
        "--drain-delay=-2             | seconds must not be negative",
        "--access-log=/nonexistent-dir/x.log | Cannot open the access log: /nonexistent-dir/x.log: no such file",
        "--access-log-format=json     | --access-log-format needs --access-log",
        "--access-log-format=xml      | Invalid value for option '--access-log-format'",
        "--access-log-buffer=64k      | --access-log-buffer needs --access-log",
        "--access-log-flush=2         | --access-log-flush needs --access-log-buffer",
        "--relax=no-such-rule         | --relax: Unknown compliance violation: no-such-rule",
        "--relax=bare-cr              | cannot be relaxed: it enables request smuggling",
    })
    void badOptionsExitWith2AndSayWhy(String option, String expectedMessage) {
        assertUsageError(expectedMessage, "--bind", "127.0.0.1:0", option);
    }

    @Test
    void anAccessLogBufferIsAtMost64mAndItsFlushIntervalPositive() {
        assertUsageError("--access-log-buffer must be at most 64m, not 67109888",
                "--bind", "127.0.0.1:0", "--access-log", "/dev/null", "--access-log-buffer", "65537k");
        assertUsageError("--access-log-flush must be more than 0 seconds",
                "--bind", "127.0.0.1:0", "--access-log", "/dev/null", "--access-log-buffer", "64k", "--access-log-flush", "0");
    }

    @Test
    void theSameBindAddressTwiceIsAUsageError() {
        assertUsageError("--bind 127.0.0.1:8089 is given twice", "--bind", "127.0.0.1:8089", "--bind", "127.0.0.1:8089");
    }

    @Test
    void maxThreadsBelowThreadsIsAUsageErrorInPoolMode() {
        assertUsageError("Invalid settings: --max-threads must be >= --threads",
                "--bind", "127.0.0.1:0", "--workers", "pool", "--threads=8", "--max-threads=5");
    }

    @Test
    void maxThreadsAloneMayBeBelowTheDefaultMinimum() {
        try (CliRun cli = CliRun.run("--bind", "127.0.0.1:0", "--max-threads=5")) {
            assertEquals(0, cli.exitCode(), cli.err());
            assertEquals(5, cli.server().config().maxThreads());
            assertEquals(5, cli.server().config().minThreads());
        }
    }

    private static void assertUsageError(String expectedMessage, String... args) {
        String err = CliRun.usageError(expectedMessage, args);
        assertTrue(err.contains("Try 'wsgiserver --help'"), err);
    }

    @Test
    void twoAppsAreAUsageError() {
        try (CliRun cli = CliRun.run("--bind", "127.0.0.1:0", HelloApp.class.getName(), HelloApp.class.getName())) {
            assertEquals(2, cli.exitCode());
            assertTrue(cli.err().contains("Unmatched argument"), cli.err());
        }
    }

    @Test
    void anAddressInUseExitsWith1() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
             CliRun cli = CliRun.run("--bind", "127.0.0.1:" + taken.getLocalPort())) {
            assertNull(cli.server());
            assertEquals(1, cli.exitCode());
            assertTrue(cli.err().startsWith("wsgiserver: Cannot listen on"), cli.err());
        }
    }
}
