package org.minipylib.wsgiserver.cli;

import org.minipylib.wsgiserver.InheritedSocketAddress;
import org.minipylib.wsgiserver.ListenOptions;
import org.minipylib.wsgiserver.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The options for deploying behind proxies and service managers: --bind unix:PATH and fd:0,
 * --backlog, --reuse-port, --defer-accept, --unix-socket-mode, --peer-credentials, --proxy-protocol (on every listener
 * or on some), --forwarded-allow-ips; each reaches the server, and bad values are usage errors.
 */
class DeploymentOptionsTest {

    @TempDir
    Path dir;

    @Test
    void servesOnAUnixSocketWithTheModeAskedFor() throws Exception {
        Path socket = dir.resolve("cli.sock");
        try (CliRun cli = CliRun.start("--bind", "unix:" + socket, "--unix-socket-mode", "660", "--peer-credentials")) {
            assertTrue(cli.out().contains("serving on unix:" + socket), cli.out());
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                ch.write(ByteBuffer.wrap("GET /environ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII)));
                String response = new String(readAll(ch), StandardCharsets.UTF_8);
                assertTrue(response.startsWith("HTTP/1.1 200 OK"), response);
                assertTrue(response.contains("X_REMOTE_USER"), response);
            }
        }
        assertFalse(Files.exists(socket), "the socket file is removed on stop");
    }

    @Test
    void listenAndProxyOptionsReachTheServer() {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--backlog", "77", "--reuse-port", "--proxy-protocol")) {
            ServerConfig config = cli.server().config();
            assertEquals(77, config.acceptBacklog());
            assertEquals(ListenOptions.defaults().withReusePort(true).withProxyProtocol(true), config.listenOptions());
        }
    }

    @Test
    void directSocketCallsAreOnByDefaultAndOffWhenAskedTo() {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0")) {
            assertTrue(cli.server().config().directSocketCalls());
        }
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--no-direct-socket-calls")) {
            assertFalse(cli.server().config().directSocketCalls());
        }
    }

    @Test
    void deferAcceptIsOneSecondByDefaultAndTakesSecondsOrZero() {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0")) {
            assertEquals(Duration.ofSeconds(1), cli.server().config().listenOptions().deferAccept());
        }
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--defer-accept", "0")) {
            assertEquals(Duration.ZERO, cli.server().config().listenOptions().deferAccept());
        }
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--defer-accept", "2.5")) {
            assertEquals(3, cli.server().config().listenOptions().deferAcceptSeconds(), "whole seconds, rounded up");
        }
        CliRun.usageError("--defer-accept: at most 3600 seconds", "--bind", "127.0.0.1:0", "--defer-accept", "3601");
        CliRun.usageError("seconds must not be negative", "--bind", "127.0.0.1:0", "--defer-accept", "-1");
        CliRun.usageError("exclude each other", "--bind", "127.0.0.1:0", "--bind", "127.0.0.2:0", "--proxy-protocol",
                "--proxy-protocol=127.0.0.2:0");
        CliRun.usageError("exclude each other", "--bind", "127.0.0.1:0", "--proxy-protocol=127.0.0.1:0", "--proxy-protocol");
        CliRun.usageError("--bind", "--bind", "*");
    }

    /** The PROXY protocol's client is a trusted proxy: its forwarded client is the application's, and the access log's. */
    @Test
    void proxyProtocolAndTrustedForwardingEndToEnd() throws Exception {
        Path log = dir.resolve("access.log");
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--proxy-protocol", "--forwarded-allow-ips", "192.0.2.0/24",
                "--access-log", log.toString());
             Socket s = new Socket("127.0.0.1", cli.server().port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("PROXY TCP4 192.0.2.10 192.0.2.1 5555 443\r\nGET /environ HTTP/1.1\r\nHost: x\r\n"
                    + "X-Forwarded-For: 198.51.100.77\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 200 OK"), response);
            assertTrue(response.contains("REMOTE_ADDR") && response.contains("198.51.100.77"), response);
            assertTrue(response.contains("https"), response);
        }
        String logged = Files.readString(log); // complete once the server has stopped
        assertTrue(logged.startsWith("198.51.100.77 - - ["), logged);
    }

    @Test
    void proxyProtocolWithoutAValueLeavesTheApplicationArgumentAlone() {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--proxy-protocol", HelloApp.class.getName())) {
            assertEquals(ListenOptions.defaults().withProxyProtocol(true), cli.server().config().listenOptions());
            assertTrue(cli.out().contains("serving on"), cli.out());
        }
    }

    /** A PROXY protocol listener for the balancer and a plain one for probes, in one server. */
    @Test
    void proxyProtocolOnOneBindOnly() throws Exception {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--bind", "127.0.0.2:0", "--proxy-protocol=127.0.0.1:0")) {
            assertEquals(ListenOptions.defaults().withProxyProtocol(new InetSocketAddress("127.0.0.1", 0)),
                    cli.server().config().listenOptions());
            List<InetSocketAddress> addresses = cli.server().addresses();
            String proxied = get(addresses.get(0), "PROXY TCP4 192.0.2.10 192.0.2.1 5555 443\r\n");
            assertTrue(proxied.startsWith("HTTP/1.1 200 OK") && proxied.contains("192.0.2.10"), proxied);
            String plain = get(addresses.get(1), "");
            assertTrue(plain.startsWith("HTTP/1.1 200 OK") && !plain.contains("192.0.2.10"), plain);
            assertEquals("", get(addresses.get(0), ""), "no header on the PROXY listener: closed unanswered");
        }
    }

    @Test
    void proxyProtocolRepeatsAndTakesEveryBindForm() {
        Path socket = dir.resolve("pp.sock");
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--bind", "unix:" + socket,
                "--proxy-protocol", "unix:" + socket, "--proxy-protocol", "127.0.0.1:0")) {
            ListenOptions options = cli.server().config().listenOptions();
            assertFalse(options.proxyProtocol());
            assertEquals(Set.of(UnixDomainSocketAddress.of(socket), new InetSocketAddress("127.0.0.1", 0)),
                    options.proxyProtocolAddresses());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1:9", "localhost:9", "[::1]:0", "unix:/run/nowhere.sock", "fd:0"})
    void proxyProtocolOnAnAddressNotBoundIsAUsageErrorNamingIt(String address) {
        try (CliRun cli = CliRun.run("--bind", "127.0.0.1:0", "--proxy-protocol=" + address)) {
            assertEquals(2, cli.exitCode(), cli.err());
            assertTrue(cli.err().contains("--proxy-protocol=" + address + " is not an address the server listens on"),
                    cli.err());
        }
    }

    @Test
    void proxyProtocolOnTheDefaultBindAddressNeedsNoBind() {
        // nothing is started: only the usage check, against the default 127.0.0.1:8080
        try (CliRun cli = CliRun.run("--proxy-protocol=127.0.0.1:8081")) {
            assertEquals(2, cli.exitCode(), cli.err());
            assertTrue(cli.err().contains("127.0.0.1:8081"), cli.err());
        }
    }

    /** A GET /environ with Connection: close to {@code address}, after {@code preamble}; the whole answer. */
    private static String get(InetSocketAddress address, String preamble) throws IOException {
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write((preamble + "GET /environ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void forwardedHeadersChoosesTheOneFamilyBelieved() throws Exception {
        String request = "GET /environ HTTP/1.1\r\nHost: x\r\nForwarded: for=198.51.100.8\r\n"
                + "X-Forwarded-For: 198.51.100.77\r\nConnection: close\r\n\r\n";
        for (String family : new String[] {"x-forwarded", "forwarded"}) {
            try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--forwarded-allow-ips", "127.0.0.1",
                    "--forwarded-headers", family);
                 Socket s = new Socket("127.0.0.1", cli.server().port())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                String believed = family.equals("forwarded") ? "198.51.100.8" : "198.51.100.77";
                String ignored = family.equals("forwarded") ? "198.51.100.77" : "198.51.100.8";
                assertTrue(response.contains("REMOTE_ADDR") && response.contains(believed), response);
                // the other header is still visible as HTTP_*, but not as REMOTE_ADDR
                assertTrue(response.lines().noneMatch(l -> l.startsWith("REMOTE_ADDR") && l.contains(ignored)), response);
            }
        }
    }

    /**
     * Static files and monitoring pages sit behind --forwarded-allow-ips as the main application
     * does: each request's environ and access-log line name the client the proxy forwards.
     */
    @Test
    void everyMountedApplicationSeesTheForwardedClient() throws Exception {
        Path log = dir.resolve("access.log");
        Path files = Files.createDirectory(dir.resolve("files"));
        Files.writeString(files.resolve("hello.txt"), "hello\n");
        List<String> paths = List.of("/plaintext", "/s/hello.txt", "/health", "/metrics", "/status");
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--forwarded-allow-ips", "127.0.0.1", "--access-log", log.toString(),
                "--static", "/s=" + files, "--health-path", "/health", "--metrics-path", "/metrics", "--status-path", "/status")) {
            for (String path : paths) {
                try (Socket s = new Socket("127.0.0.1", cli.server().port())) {
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.77\r\n"
                            + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    assertTrue(response.startsWith("HTTP/1.1 200 OK"), path + ": " + response);
                }
            }
        }
        List<String> lines = Files.readAllLines(log); // complete once the server has stopped
        assertEquals(paths.size(), lines.size(), lines.toString());
        for (int i = 0; i < paths.size(); i++) {
            assertTrue(lines.get(i).startsWith("198.51.100.77 - - [") && lines.get(i).contains("GET " + paths.get(i) + " "), lines.get(i));
        }
    }

    @Test
    void fdZeroIsTheInheritedSocket() {
        assertEquals(InheritedSocketAddress.INSTANCE, new BindAddressConverter().convert("fd:0"));
        assertEquals(InheritedSocketAddress.INSTANCE, new BindAddressConverter().convert("fd://0"));
        assertEquals(UnixDomainSocketAddress.of("/run/x.sock"), new BindAddressConverter().convert("unix:/run/x.sock"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"--bind=fd:3", "--bind=unix:", "--unix-socket-mode=999", "--forwarded-allow-ips=localhost",
        "--backlog=0", "--forwarded-headers=both", "--forwarded-headers=forwarded", "--proxy-protocol=8080",
        "--proxy-protocol=", "--proxy-protocol=fd:3"})
    void badValuesAreUsageErrors(String option) {
        try (CliRun cli = CliRun.run("--bind", "127.0.0.1:0", option)) {
            assertEquals(2, cli.exitCode(), cli.err());
        }
    }

    /** Reads a channel to its end (the server closes: Connection: close), at most 10 s. */
    private static byte[] readAll(SocketChannel ch) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return Channels.newInputStream(ch).readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).get(10, TimeUnit.SECONDS);
    }
}
