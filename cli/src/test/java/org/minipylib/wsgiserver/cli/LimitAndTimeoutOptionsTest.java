package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.minipylib.wsgiserver.ServerConfig;
import org.minipylib.wsgiserver.http.HttpLimits;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.http.MinDataRate;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The options for each limit and timeout: each reaches {@link ServerConfig}, {@link HttpLimits} or
 * {@link HttpTimeouts}; a specific timeout wins over {@code --timeout}; bad values are usage errors;
 * and a limit of each kind, and a timeout, acts on a real connection.
 */
@Timeout(60)
class LimitAndTimeoutOptionsTest {

    @Test
    void eachLimitOptionReachesTheConfiguration() {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--max-connections", "77", "--accept-queue", "0",
                "--thread-idle-timeout", "2.5", "--max-request-line", "4k", "--max-header-size", "16K",
                "--max-headers", "50", "--max-body-size", "1m", "--max-drain-size", "0", "--max-chunk-extension", "256",
                "--max-pipelined-requests", "8", "--max-requests-per-connection", "500", "--max-connection-age", "90",
                "--max-head-memory", "3m")) {
            ServerConfig config = cli.server().config();
            assertEquals(500, config.maxRequestsPerConnection());
            assertEquals(Duration.ofSeconds(90), config.maxConnectionAge());
            assertEquals(77, config.maxConnections());
            assertEquals(0, config.acceptQueueSize());
            assertEquals(Duration.ofMillis(2500), config.threadIdleTimeout());
            HttpLimits expected = HttpLimits.builder().maxRequestLineLength(4096).maxHeaderSectionSize(16384)
                    .maxHeaderCount(50).maxBodySize(1 << 20).maxDrainSize(0).maxChunkExtensionLength(256)
                    .maxPipelinedRequestsPerTurn(8).maxHeadMemory(3 << 20).build();
            assertEquals(expected, config.limits());
            assertEquals(HttpTimeouts.defaults(), config.timeouts());
        }
    }

    @Test
    void eachTimeoutOptionReachesTheConfiguration() {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--request-head-timeout", "1", "--body-read-timeout", "2",
                "--write-timeout", "3", "--keep-alive-timeout", "4", "--handshake-timeout", "5", "--drain-timeout", "0.5",
                "--min-body-rate", "1k/2.5")) {
            assertEquals(HttpTimeouts.builder().requestHead(Duration.ofSeconds(1)).bodyRead(Duration.ofSeconds(2))
                    .write(Duration.ofSeconds(3)).keepAlive(Duration.ofSeconds(4)).handshake(Duration.ofSeconds(5))
                    .drain(Duration.ofMillis(500)).minBodyRate(new MinDataRate(1024, Duration.ofMillis(2500))).build(),
                    cli.server().config().timeouts());
            assertEquals(HttpLimits.defaults(), cli.server().config().limits());
        }
    }

    @Test
    void aSpecificTimeoutWinsOverTimeoutInEitherOrder() {
        HttpTimeouts expected = HttpTimeouts.all(Duration.ofSeconds(7)).withKeepAlive(Duration.ofSeconds(2));
        for (List<String> args : List.of(List.of("--timeout", "7", "--keep-alive-timeout", "2"),
                List.of("--keep-alive-timeout", "2", "--timeout", "7"))) {
            try (CliRun cli = CliRun.start(concat("--bind", "127.0.0.1:0", args))) {
                assertEquals(expected, cli.server().config().timeouts(), args::toString);
            }
        }
    }

    @Test
    void minBodyRateZeroTurnsItOffAndGraceDefaults() {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--min-body-rate", "0")) {
            assertEquals(MinDataRate.NONE, cli.server().config().timeouts().minBodyRate());
        }
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--min-body-rate", "500")) {
            assertEquals(new MinDataRate(500, MinDataRate.defaults().grace()), cli.server().config().timeouts().minBodyRate());
        }
    }

    @Test
    void limitsCombineWithRelax() {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--relax", "obs-fold", "--max-headers", "10")) {
            HttpLimits limits = cli.server().config().limits();
            assertEquals(10, limits.maxHeaderCount());
            assertEquals(1, limits.compliance().relaxed().size());
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--max-connections=0           | --max-connections must be at least 1, got 0",
        "--max-connections=-3          | --max-connections must be at least 1, got -3",
        "--accept-queue=-1             | --accept-queue must be at least 0, got -1",
        "--thread-idle-timeout=0       | --thread-idle-timeout must be more than 0 seconds",
        "--max-request-line=0          | --max-request-line must be at least 1, got 0",
        "--max-request-line=2g         | --max-request-line must be at most 2147483647 bytes",
        "--max-header-size=0           | --max-header-size must be at least 1, got 0",
        "--max-headers=0               | --max-headers must be at least 1, got 0",
        "--max-headers=many            | Invalid value for option '--max-headers'",
        "--max-body-size=0             | --max-body-size must be at least 1, got 0",
        "--max-body-size=-5            | '-5': bytes must not be negative",
        "--max-body-size=10x           | '10x' is not a number of bytes",
        "--max-drain-size=-1           | '-1': bytes must not be negative",
        "--max-chunk-extension=0       | --max-chunk-extension must be at least 1, got 0",
        "--max-pipelined-requests=0    | --max-pipelined-requests must be at least 1, got 0",
        "--max-head-memory=0           | --max-head-memory must be at least 1, got 0",
        "--max-requests-per-connection=-1 | --max-requests-per-connection must be at least 0, got -1",
        "--max-connection-age=-1       | seconds must not be negative",
        "--request-head-timeout=0      | --request-head-timeout must be more than 0 seconds",
        "--body-read-timeout=0         | --body-read-timeout must be more than 0 seconds",
        "--write-timeout=0             | --write-timeout must be more than 0 seconds",
        "--keep-alive-timeout=0        | --keep-alive-timeout must be more than 0 seconds",
        "--handshake-timeout=-1        | seconds must not be negative",
        "--drain-timeout=0             | --drain-timeout must be more than 0 seconds",
        "--min-body-rate=fast          | 'fast' is not a number of bytes",
        "--min-body-rate=100/-1        | seconds must not be negative",
    })
    void badValuesExitWith2AndSayWhy(String option, String expectedMessage) {
        String err = CliRun.usageError(expectedMessage, "--bind", "127.0.0.1:0", option);
        assertTrue(err.contains("Try 'wsgiserver --help'"), err);
    }

    @Test
    void helpListsEachDefaultFromTheLibrary() {
        try (CliRun cli = CliRun.run("--help")) {
            ServerConfig defaults = ServerConfig.builder().build();
            HttpLimits limits = defaults.limits();
            HttpTimeouts timeouts = defaults.timeouts();
            String help = cli.out().replaceAll("\\s+", " ");
            for (String expected : List.of(
                    "--max-connections " + defaults.maxConnections() + ",",
                    "--accept-queue " + defaults.acceptQueueSize() + ",",
                    "--thread-idle-timeout " + defaults.threadIdleTimeout().toSeconds() + ";",
                    "--max-request-line " + limits.maxRequestLineLength() / 1024 + "k,",
                    "--max-header-size " + limits.maxHeaderSectionSize() / 1024 + "k,",
                    "--max-headers " + limits.maxHeaderCount() + ",",
                    "--max-body-size " + limits.maxBodySize() / (1024 * 1024) + "m,",
                    "--max-drain-size " + limits.maxDrainSize() / 1024 + "k,",
                    "--max-chunk-extension " + limits.maxChunkExtensionLength() / 1024 + "k,",
                    "--max-pipelined-requests " + limits.maxPipelinedRequestsPerTurn() + ",",
                    "--max-head-memory " + ByteSizeConverter.format(limits.maxHeadMemory()) + " and",
                    "--max-stalled-write-memory " + ByteSizeConverter.format(defaults.maxStalledWriteMemory())
                            + " (each a quarter of the heap),",
                    "--ssl-max-handshakes " + org.minipylib.wsgiserver.tls.TlsConfig.DEFAULT_MAX_HANDSHAKES + " (64 KiB each",
                    "--max-requests-per-connection " + defaults.maxRequestsPerConnection() + ",",
                    "--max-connection-age " + defaults.maxConnectionAge().toSeconds() + " (0: no limit);",
                    "--request-head-timeout " + timeouts.requestHead().toSeconds() + ",",
                    "--body-read-timeout " + timeouts.bodyRead().toSeconds() + ",",
                    "--write-timeout " + timeouts.write().toSeconds() + ",",
                    "--keep-alive-timeout " + timeouts.keepAlive().toSeconds() + ",",
                    "--handshake-timeout " + timeouts.handshake().toSeconds() + ",",
                    "--drain-timeout " + timeouts.drain().toSeconds() + ",",
                    "--min-body-rate " + timeouts.minBodyRate().bytesPerSecond() + "/"
                            + timeouts.minBodyRate().grace().toSeconds() + " ")) {
                assertTrue(help.contains(expected), expected + " in " + cli.out());
            }
        }
    }

    @Test
    void maxBodySizeAnswers413OverTheLimit() throws IOException {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--max-body-size", "10")) {
            assertEquals("HTTP/1.1 200 OK", statusLine(cli, post("0123456789")));
            assertEquals("HTTP/1.1 413 Content Too Large", statusLine(cli, post("0123456789A")));
        }
    }

    @Test
    void maxRequestLineAnswers414OverTheLimit() throws IOException {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--max-request-line", "30")) {
            assertEquals("HTTP/1.1 200 OK", statusLine(cli, get("/plaintext")));
            assertEquals("HTTP/1.1 414 URI Too Long", statusLine(cli, get("/plaintext?" + "x".repeat(20))));
        }
    }

    @Test
    void maxHeadersAnswers431OverTheLimit() throws IOException {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--max-headers", "3")) {
            assertEquals("HTTP/1.1 200 OK", statusLine(cli, get("/plaintext")));
            String fourHeaders = "GET /plaintext HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nConnection: close\r\n\r\n";
            assertEquals("HTTP/1.1 431 Request Header Fields Too Large", statusLine(cli, fourHeaders));
        }
    }

    @Test
    void maxConnectionsRefusesTheNextConnectionWith503() throws IOException {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--max-connections", "1");
             Socket kept = servedAndKeptOpen(cli)) {
            assertEquals("HTTP/1.1 503 Service Unavailable", statusLine(cli, get("/plaintext")));
        }
    }

    @Test
    void keepAliveTimeoutClosesAnIdleConnection() throws IOException {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--keep-alive-timeout", "1")) {
            // Timed from before the request: the connection goes idle after the server wrote the
            // response, so this span holds the whole idle time, and a test thread descheduled
            // anywhere in it can only make it longer (timed from after reading the response, a
            // late reader shortened it, and a server that closed on time could fail the lower bound).
            long sinceRequest = System.nanoTime();
            try (Socket s = servedAndKeptOpen(cli)) {
                assertEquals(-1, s.getInputStream().read(), "the server closed the idle connection");
            }
            long millis = Duration.ofNanos(System.nanoTime() - sinceRequest).toMillis();
            // the server waits the 1 s given from the end of the exchange (800 ms: slack for clock
            // granularity), and closes long before the default keep-alive timeout (20 s)
            assertTrue(millis >= 800 && millis < 5000, millis + " ms");
        }
    }

    @Test
    void maxRequestsPerConnectionClosesAfterTheLastOnesResponse() throws IOException {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--max-requests-per-connection", "2");
             Socket s = servedAndKeptOpen(cli)) {
            s.getOutputStream().write("GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String head = readHead(in);
            assertTrue(head.startsWith("HTTP/1.1 200 OK") && head.contains("Connection: close"), head);
            assertEquals(13, in.readNBytes(13).length);
            assertEquals(-1, in.read(), "the server closed the connection after the second response");
        }
    }

    /** A connection that has been served GET /plaintext (its whole response read) and is kept alive. */
    private static Socket servedAndKeptOpen(CliRun cli) throws IOException {
        Socket s = new Socket("127.0.0.1", cli.server().port());
        s.setSoTimeout(10_000);
        s.getOutputStream().write("GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        InputStream in = s.getInputStream();
        String head = readHead(in);
        assertTrue(head.startsWith("HTTP/1.1 200 OK") && head.contains("Content-Length: 13"), head);
        assertEquals(13, in.readNBytes(13).length);
        return s;
    }

    private static String get(String target) {
        return "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    }

    private static String post(String body) {
        return "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body;
    }

    /** Sends {@code request} on a new connection and reads the status line of the response. */
    private static String statusLine(CliRun cli, String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", cli.server().port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        }
    }

    /** The response head, up to and without the empty line, read byte by byte so the body stays unread. */
    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) break;
            head.append((char) b);
        }
        return head.toString().strip();
    }

    private static String[] concat(String a, String b, List<String> rest) {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(a, b), rest.stream()).toArray(String[]::new);
    }
}
