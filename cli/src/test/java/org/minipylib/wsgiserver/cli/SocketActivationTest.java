package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * systemd socket activation, done as systemd does it: a launcher (python3 here) creates the
 * listening socket, puts it on standard input ({@code StandardInput=socket}) or on descriptor 3
 * (systemd's default), sets LISTEN_PID to its own pid and LISTEN_FDS=1, and execs the server, which
 * keeps that pid. {@code --bind fd:0} serves on the inherited socket; a LISTEN_PID meant for another
 * process is refused. Descriptor 3 is moved to standard input by the README's
 * {@code /bin/sh -c 'exec ... 0<&3 3<&-'} (same pid); without that the server says how to fix it.
 * The inherited socket may be IPv4, IPv6 or a UNIX socket (whose peer credentials are read).
 * Without python3 the tests are skipped, as is the IPv6 one without an IPv6 loopback.
 */
@Timeout(60)
class SocketActivationTest {

    /**
     * argv: pid offset, the descriptor to pass the socket on (0 or 3), what to listen on (127.0.0.1,
     * ::1, or unix:PATH; or "connection": pass a connected socket instead), the command to exec. Prints {@code PORT=N} for TCP, {@code PATH=P} for UNIX.
     */
    private static final String LAUNCHER = String.join("\n",
            "import os, socket, sys",
            "where = sys.argv[3]",
            "if where == 'connection':",  // what systemd passes with Accept=yes: one connection, not a listener
            "    l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)",
            "    l.bind(('127.0.0.1', 0))",
            "    l.listen(1)",
            "    c = socket.create_connection(l.getsockname())",
            "    s = l.accept()[0]",
            "elif where.startswith('unix:'):",
            "    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)",
            "    s.bind(where[len('unix:'):])",
            "    s.listen(16)",
            "    print('PATH=%s' % s.getsockname(), flush=True)",
            "else:",
            "    s = socket.socket(socket.AF_INET6 if ':' in where else socket.AF_INET, socket.SOCK_STREAM)",
            "    s.bind((where, 0))",
            "    s.listen(16)",
            "    print('PORT=%d' % s.getsockname()[1], flush=True)",
            "fd = int(sys.argv[2])",
            "if fd == 3:",
            "    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)",
            "if s.fileno() != fd:",
            "    os.dup2(s.fileno(), fd)",
            "    s.close()",
            "os.set_inheritable(fd, True)",
            "pid = os.getpid() + int(sys.argv[1])",
            "env = dict(os.environ, LISTEN_PID=str(pid), LISTEN_FDS='1', LISTEN_FDNAMES='app.socket')",
            "os.execve(sys.argv[4], sys.argv[4:], env)");

    /** The README's ExecStart for systemd's usual descriptor 3: a shell that moves it to 0 and execs. */
    private static final String MOVE_FD_3_TO_STDIN = "exec \"$@\" 0<&3 3<&-";

    @TempDir
    Path dir;

    private Process launch(int pidOffset, Path stdout) throws IOException {
        return launch(pidOffset, 0, List.of(), stdout);
    }

    private Process launch(int pidOffset, int fd, List<String> wrapper, Path stdout) throws IOException {
        return launch(pidOffset, fd, "127.0.0.1", wrapper, List.of(), stdout);
    }

    /** Launches the server on a socket the launcher listens on at {@code where}, with {@code serverOptions}. */
    private Process launch(int pidOffset, int fd, String where, List<String> wrapper, List<String> serverOptions,
                           Path stdout) throws IOException {
        assumeTrue(commandExists("python3"), "python3 (the launcher standing in for systemd) is not installed");
        List<String> command = new ArrayList<>(List.of("python3", "-c", LAUNCHER, Integer.toString(pidOffset),
                Integer.toString(fd), where));
        command.addAll(wrapper);
        List<String> args = new ArrayList<>(List.of("--bind", "fd:0"));
        args.addAll(serverOptions);
        command.addAll(MainJvm.command(List.of(), args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(stdout.toFile()).start();
    }

    @Test
    void servesOnTheSocketSystemdPassedAndStopsOnSigterm() throws Exception {
        servesAndStops(launch(0, dir.resolve("out.txt")), dir.resolve("out.txt"));
    }

    @Test
    void servesOnSystemdsDescriptor3MovedToStandardInputByTheShell() throws Exception {
        Path stdout = dir.resolve("out.txt");
        servesAndStops(launch(0, 3, List.of("/bin/sh", "-c", MOVE_FD_3_TO_STDIN, "sh"), stdout), stdout);
    }

    @Test
    void descriptor3AloneIsRefusedWithTheFix() throws Exception {
        Path stdout = dir.resolve("out.txt");
        assertRefusedSaying(launch(0, 3, List.of(), stdout), stdout, "0<&3", "StandardInput=socket");
    }

    /** The server exits with status 1, its output naming each of {@code fixes}. */
    private static void assertRefusedSaying(Process process, Path stdout, String... fixes) throws Exception {
        try {
            assertTrue(process.waitFor(30, TimeUnit.SECONDS));
            assertEquals(1, process.exitValue());
            String output = Files.readString(stdout);
            for (String fix : fixes) assertTrue(output.contains(fix), output);
        } finally {
            process.destroyForcibly();
        }
    }

    /** systemd's Accept=yes (inetd style) passes each connection, not the listening socket: the message says so. */
    @Test
    void aConnectionInsteadOfAListeningSocketIsRefusedWithTheFix() throws Exception {
        Path stdout = dir.resolve("out.txt");
        assertRefusedSaying(launch(0, 0, "connection", List.of(), List.of(), stdout), stdout,
                "standard input is a connection", "Accept=no");
    }

    @Test
    void servesOnAnInheritedIpv6Socket() throws Exception {
        assumeTrue(OptionsTest.ipv6LoopbackWorks(), "no IPv6 loopback here");
        Path stdout = dir.resolve("out.txt");
        servesAndStops(launch(0, 0, "::1", List.of(), List.of(), stdout), stdout, "[::1]");
    }

    /** A UNIX socket made by the launcher: served, with the peer credentials of the client (this process). */
    @Test
    void servesOnAnInheritedUnixSocketWithPeerCredentials() throws Exception {
        Path stdout = dir.resolve("out.txt");
        Path socket = dir.resolve("activated.sock");
        Process process = launch(0, 0, "unix:" + socket, List.of(), List.of("--peer-credentials"), stdout);
        try {
            ProcessOutput.awaitLine(process, stdout, l -> l.equals("PATH=" + socket));
            String serving = ProcessOutput.awaitLine(process, stdout, l -> l.startsWith("wsgiserver "));
            assertTrue(serving.endsWith("serving on unix:" + socket), serving);
            String response = unixGet(socket, "/environ");
            assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response);
            Path own = Files.createFile(dir.resolve("own-ids"));
            assertTrue(response.contains("\nX_REMOTE_UID = " + Files.getAttribute(own, "unix:uid") + "\n"), response);
            assertTrue(response.contains("\nX_REMOTE_GID = " + Files.getAttribute(own, "unix:gid") + "\n"), response);
            stopsOnSigterm(process, stdout);
            assertTrue(Files.exists(socket), "the inherited socket's file is the launcher's: left in place");
        } finally {
            process.destroyForcibly();
        }
    }

    /** The PROXY protocol on the inherited socket only: a second, plain socket serves requests without a header. */
    @Test
    void proxyProtocolOnTheInheritedSocketOnly() throws Exception {
        Path stdout = dir.resolve("out.txt");
        Path socket = dir.resolve("activated.sock");
        Path plain = dir.resolve("plain.sock");
        Process process = launch(0, 0, "unix:" + socket, List.of(),
                List.of("--bind", "unix:" + plain, "--proxy-protocol=fd:0"), stdout);
        try {
            ProcessOutput.awaitLine(process, stdout, l -> l.equals("PATH=" + socket));
            ProcessOutput.awaitLine(process, stdout, l -> l.endsWith("serving on unix:" + plain));
            String proxied = unixGet(socket, "PROXY TCP4 192.0.2.10 192.0.2.1 5555 443\r\n", "/environ");
            assertTrue(proxied.startsWith("HTTP/1.1 200 OK\r\n") && proxied.contains("\nREMOTE_ADDR = 192.0.2.10\n"),
                    proxied);
            String direct = unixGet(plain, "", "/environ");
            assertTrue(direct.startsWith("HTTP/1.1 200 OK\r\n") && !direct.contains("192.0.2.10"), direct);
            assertEquals("", unixGet(socket, "", "/environ"), "no header on the inherited socket: closed unanswered");
            stopsOnSigterm(process, stdout);
        } finally {
            process.destroyForcibly();
        }
    }

    /** GET {@code path} with Connection: close over the UNIX socket; everything the server sent (10 s at most). */
    private static String unixGet(Path socket, String path) throws Exception {
        return unixGet(socket, "", path);
    }

    /** Like {@link #unixGet(Path, String)}, with {@code preamble} (a PROXY protocol header) sent first. */
    private static String unixGet(Path socket, String preamble, String path) throws Exception {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            channel.write(ByteBuffer.wrap((preamble + "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII)));
            Future<byte[]> response = Executors.newVirtualThreadPerTaskExecutor()
                    .submit(() -> Channels.newInputStream(channel).readAllBytes());
            try {
                return new String(response.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8);
            } finally {
                response.cancel(true);
            }
        }
    }

    private static void servesAndStops(Process process, Path stdout) throws Exception {
        servesAndStops(process, stdout, "127.0.0.1");
    }

    /** {@code host}: as in a URL (IPv6 in brackets). */
    private static void servesAndStops(Process process, Path stdout, String host) throws Exception {
        try {
            String port = ProcessOutput.awaitLine(process, stdout, l -> l.startsWith("PORT=")).substring("PORT=".length());
            String serving = ProcessOutput.awaitLine(process, stdout, l -> l.startsWith("wsgiserver "));
            assertTrue(serving.endsWith("serving on http://" + host + ":" + port), serving);
            try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build()) {
                var response = client.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/plaintext"))
                        .timeout(Duration.ofSeconds(10)).build(), BodyHandlers.ofString());
                assertEquals(200, response.statusCode());
            }
            stopsOnSigterm(process, stdout);
        } finally {
            process.destroyForcibly();
        }
    }

    /** The launcher exec'd the JVM (the same pid): the SIGTERM is the JVM's, and so is its status. */
    private static void stopsOnSigterm(Process process, Path stdout) throws Exception {
        MainJvm.stopsOnSigterm(process, stdout, stdout);
    }

    private static boolean commandExists(String name) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(d -> Files.isExecutable(Path.of(d, name)));
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
