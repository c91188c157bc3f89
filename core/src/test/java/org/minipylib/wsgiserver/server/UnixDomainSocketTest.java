package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.ListenOptions;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.WsgiServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.TimeoutWindow;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Listening on UNIX domain sockets: requests are served, the environ follows Cheroot's rules for
 * them, peer credentials when enabled, stale socket files are replaced, live ones and other files
 * are not, the file is removed on stop and gets the permissions asked for.
 */
class UnixDomainSocketTest {

    /** Answers with the address variables of its environ, one {@code KEY=value} line each. */
    private static final WsgiApp ADDRESSES = (env, sr) -> {
        TreeMap<String, Object> shown = new TreeMap<>();
        for (String key : List.of("SERVER_NAME", "SERVER_PORT", "REMOTE_ADDR", "REMOTE_PORT", "X_REMOTE_USER",
                "X_REMOTE_GROUP", "REMOTE_USER", "X_REMOTE_UID", "X_REMOTE_GID", "X_REMOTE_PID")) {
            if (env.containsKey(key)) shown.put(key, env.get(key));
        }
        StringBuilder sb = new StringBuilder();
        shown.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
        return List.of(sb.toString().getBytes(StandardCharsets.UTF_8));
    };

    @TempDir
    Path dir;

    /**
     * Sends a request over the socket and returns everything the server sends until it closes (the
     * request should ask to close); at most 10 s, then the channel is closed and the test fails.
     */
    static String exchange(Path socket, String request) throws Exception {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1)));
            CompletableFuture<byte[]> response = CompletableFuture.supplyAsync(() -> {
                try {
                    return readAll(ch);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            return new String(response.get(10, TimeUnit.SECONDS), StandardCharsets.ISO_8859_1);
        }
    }

    private static byte[] readAll(SocketChannel ch) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        while (ch.read(buf) >= 0) {
            out.write(buf.array(), 0, buf.position());
            buf.clear();
        }
        out.write(buf.array(), 0, buf.position());
        return out.toByteArray();
    }

    private static final String GET = "GET /x HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n";

    @Test
    void servesRequestsWithCherootsEnvironRules() throws Exception {
        Path socket = dir.resolve("app.sock");
        try (WsgiServer server = WsgiServer.builder(ADDRESSES).bind(UnixDomainSocketAddress.of(socket))
                .serverName("app.example").build().start()) {
            assertEquals(List.of(UnixDomainSocketAddress.of(socket)), server.listeningAddresses());
            String response = exchange(socket, GET);
            assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response);
            assertTrue(response.endsWith("\r\n\r\nREMOTE_ADDR=\nREMOTE_PORT=\nSERVER_NAME=app.example\nSERVER_PORT=\n"), response);
        }
        assertFalse(Files.exists(socket), "the socket file is removed on stop");
    }

    /** Without a configured name, SERVER_NAME over a UNIX socket is the host's name (there is no address to report), as Cheroot does. */
    @Test
    void serverNameDefaultsToTheHostName() throws Exception {
        Path socket = dir.resolve("named.sock");
        String hostName;
        try {
            hostName = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            hostName = "localhost";
        }
        try (WsgiServer server = WsgiServer.builder(ADDRESSES).bind(UnixDomainSocketAddress.of(socket)).build().start()) {
            String response = exchange(socket, GET);
            assertTrue(response.contains("\nSERVER_NAME=" + hostName + "\nSERVER_PORT=\n"), response);
        }
    }

    @Test
    void aBodyThatComesLaterIsReadAndOneThatNeverComesTimesOut() throws Exception {
        Path socket = dir.resolve("body.sock");
        WsgiApp echo = (env, sr) -> {
            byte[] body = env.input().readAllBytes();
            sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of(body);
        };
        Duration bodyRead = Duration.ofMillis(300);
        try (WsgiServer server = WsgiServer.builder(echo).bind(UnixDomainSocketAddress.of(socket))
                .timeouts(HttpTimeouts.defaults().withBodyRead(bodyRead)).build().start();
             SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            String head = "POST /echo HTTP/1.1\r\nHost: app\r\nContent-Length: 5\r\nConnection: close\r\n\r\n";
            ch.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.ISO_8859_1)));
            long lastSend = System.nanoTime(); // before: the server's last wait for body bytes starts after it
            ch.write(ByteBuffer.wrap("he".getBytes(StandardCharsets.ISO_8859_1)));
            CompletableFuture<TimeoutWindow.Timed<byte[]>> response = TimeoutWindow.inBackground(() -> readAll(ch));
            // the rest never comes: the server's timed body read gives up and answers 408
            TimeoutWindow.Timed<byte[]> answer = response.get(10, TimeUnit.SECONDS);
            String text = new String(answer.value(), StandardCharsets.ISO_8859_1);
            assertTrue(text.startsWith("HTTP/1.1 408 "), text);
            TimeoutWindow.assertFiredInWindow(bodyRead, lastSend, answer.atNanos(), "the 408 and the close came");
        }
        try (WsgiServer server = WsgiServer.builder(echo).bind(UnixDomainSocketAddress.of(socket)).build().start()) {
            String response = exchange(socket, "POST /echo HTTP/1.1\r\nHost: app\r\nContent-Length: 5\r\n"
                    + "Connection: close\r\n\r\nhello");
            assertTrue(response.startsWith("HTTP/1.1 200 OK") && response.endsWith("\r\n\r\nhello"), response);
        }
    }

    @Test
    void peerCredentialsWhenEnabled() throws Exception {
        Path socket = dir.resolve("creds.sock");
        String user = System.getProperty("user.name");
        try (WsgiServer server = WsgiServer.builder(ADDRESSES).bind(UnixDomainSocketAddress.of(socket))
                .listenOptions(ListenOptions.defaults().withPeerCredentials(true)).build().start()) {
            String response = exchange(socket, GET);
            assertTrue(response.contains("\nX_REMOTE_USER=" + user + "\n"), response);
            assertTrue(response.contains("\nREMOTE_USER=" + user + "\n"), response);
            assertTrue(response.contains("\nX_REMOTE_GROUP="), response);
            // the client is this process: its ids are those of a file it creates
            Path own = Files.createFile(dir.resolve("own-ids"));
            assertTrue(response.contains("\nX_REMOTE_UID=" + Files.getAttribute(own, "unix:uid") + "\n"), response);
            assertTrue(response.contains("\nX_REMOTE_GID=" + Files.getAttribute(own, "unix:gid") + "\n"), response);
            assertFalse(response.contains("X_REMOTE_PID"), response);
        }
    }

    @Test
    void aStaleSocketFileIsReplacedALiveOneIsNot() throws Exception {
        Path socket = dir.resolve("stale.sock");
        try (ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            old.bind(UnixDomainSocketAddress.of(socket));
            IOException e = assertThrows(IOException.class,
                    () -> WsgiServer.builder(ADDRESSES).bind(UnixDomainSocketAddress.of(socket)).build().start());
            assertTrue(e.getMessage().contains("another server is listening"), e.getMessage());
        } // closed: the file stays behind, as after a crash
        assertTrue(Files.exists(socket));
        try (WsgiServer server = WsgiServer.builder(ADDRESSES).bind(UnixDomainSocketAddress.of(socket)).build().start()) {
            assertTrue(exchange(socket, GET).startsWith("HTTP/1.1 200 OK"));
        }
    }

    /**
     * Only a refused connection proves a socket file stale. A datagram socket in use (syslog's
     * /dev/log, say, named by mistake) answers a stream connect with another error, and must be left
     * alone, as must one this process may not connect to.
     */
    @Test
    void aSocketFileThatDoesNotRefuseIsNeverReplaced() throws Exception {
        Assumptions.assumeTrue(commandExists("python3"), "python3 holds a datagram socket here");
        Path socket = dir.resolve("dgram.sock");
        Process holder = new ProcessBuilder("python3", "-c", String.join("\n",
                "import socket, sys",
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
                "s.bind(sys.argv[1])",
                "print('bound', flush=True)",
                "sys.stdin.read()"), socket.toString()).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("bound", out.readLine());
            IOException e = assertThrows(IOException.class,
                    () -> WsgiServer.builder(ADDRESSES).bind(UnixDomainSocketAddress.of(socket)).build().start());
            assertTrue(e.getMessage().contains("cannot tell whether"), e.getMessage());
            assertTrue(Files.exists(socket), "the datagram socket's file is still there");
        } finally {
            holder.destroyForcibly();
            assertTrue(holder.waitFor(10, TimeUnit.SECONDS));
        }
    }

    private static boolean commandExists(String name) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(d -> Files.isExecutable(Path.of(d, name)));
    }

    @Test
    void anOrdinaryFileIsNeverReplaced() throws Exception {
        Path file = dir.resolve("data.txt");
        Files.writeString(file, "precious");
        IOException e = assertThrows(IOException.class,
                () -> WsgiServer.builder(ADDRESSES).bind(UnixDomainSocketAddress.of(file)).build().start());
        assertTrue(e.getMessage().contains("not a socket"), e.getMessage());
        assertEquals("precious", Files.readString(file));
    }

    @Test
    void socketFileGetsThePermissionsAskedFor() throws Exception {
        Path socket = dir.resolve("mode.sock");
        try (WsgiServer server = WsgiServer.builder(ADDRESSES).bind(UnixDomainSocketAddress.of(socket))
                .listenOptions(ListenOptions.defaults().withUnixSocketPermissions(ListenOptions.permissions("660")))
                .build().start()) {
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        }
    }

    /**
     * A path near the limit (the JDK binds and connects to paths of up to 106 bytes) gets its
     * permissions too: the temporary name it binds under first must not be longer (it used to add
     * ".PID.tmp" and fail).
     */
    @Test
    void aSocketPathNearTheSystemsLimitGetsThePermissionsToo() throws Exception {
        String base = dir.toString() + "/";
        Assumptions.assumeTrue(base.length() < 90, "the temporary directory leaves room for a name");
        for (int length : new int[] {100, 106}) { // 106: the longest the JDK binds and connects to
            Path socket = Path.of(base + "x".repeat(length - base.length()));
            try (WsgiServer server = WsgiServer.builder(ADDRESSES).bind(UnixDomainSocketAddress.of(socket))
                    .listenOptions(ListenOptions.defaults().withUnixSocketPermissions(ListenOptions.permissions("600")))
                    .build().start()) {
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)), length + " bytes");
                assertTrue(exchange(socket, "GET /long HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").startsWith("HTTP/1.1 200"));
            }
            try (var left = Files.list(dir)) {
                assertEquals(List.of(), left.toList(), "no temporary file left behind");
            }
        }
    }

    @Test
    void tcpAndUnixTogether() throws Exception {
        Path socket = dir.resolve("both.sock");
        try (WsgiServer server = WsgiServer.builder(ADDRESSES).bind("127.0.0.1", 0)
                .bind(UnixDomainSocketAddress.of(socket)).build().start()) {
            assertEquals(2, server.listeningAddresses().size());
            assertEquals(1, server.addresses().size());
            assertTrue(exchange(socket, GET).startsWith("HTTP/1.1 200 OK"));
            try (var client = new org.minipylib.wsgiserver.testing.RawClient("127.0.0.1", server.port())) {
                client.send(GET);
                String body = client.read().bodyText();
                assertTrue(body.contains("REMOTE_ADDR=127.0.0.1\n") && body.contains("SERVER_PORT=" + server.port() + "\n"), body);
            }
        }
    }

    /** Bodies read into and sent from direct buffers take the Unix socket's own buffer paths: same bytes. */
    @Test
    void aBodyReadIntoADirectBufferAndSentFromItComesBackWhole() throws Exception {
        Path socket = dir.resolve("buffers.sock");
        String body = "0123456789".repeat(30_000); // 300 000 bytes: beyond the input buffer and a write slice
        try (WsgiServer server = WsgiServer.builder(WsgiTestApps.directBufferEcho()).bind(UnixDomainSocketAddress.of(socket))
                .build().start()) {
            String response = exchange(socket, "POST /echo HTTP/1.1\r\nHost: app\r\nContent-Length: " + body.length()
                    + "\r\nConnection: close\r\n\r\n" + body);
            assertTrue(response.startsWith("HTTP/1.1 200 OK") && response.contains("\r\nContent-Length: 300000\r\n"),
                    response.substring(0, Math.min(200, response.length())));
            assertTrue(response.endsWith("\r\n\r\n" + body), "the body came back whole");
        }
    }
}
