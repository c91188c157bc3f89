package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.ListenOptions;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code TCP_DEFER_ACCEPT} on TCP listeners (Linux; the tests run with the two JVM flags it needs,
 * see the surefire {@code argLine} in the parent pom): a connection stays with the kernel until its
 * first bytes arrive and is then served at once; one that stays silent is handed over after about the
 * defer time, never held for good; turned off, it is not tried; without the JVM's consent the server
 * says which flags are missing and serves as before, with no warning from the JVM. (Linux and Java 22+.)
 */
@Timeout(60)
class DeferredAcceptTest {

    private static final String REQUEST = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

    @BeforeAll
    static void linuxAndJava22() {
        assumeTrue(DeferredAccept.supportedBySystem(), "TCP_DEFER_ACCEPT is Linux's");
        assumeTrue(Runtime.version().feature() >= 22, "set through the foreign function API of Java 22");
    }

    @Test
    void aConnectionStaysWithTheKernelUntilItsRequestArrivesThenIsServedAtOnce() throws Exception {
        Duration deferTime = Duration.ofSeconds(30);
        try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "hello"),
                b -> b.listenOptions(ListenOptions.defaults().withDeferAccept(deferTime)));
             RawClient client = new RawClient("127.0.0.1", server.port())) {
            // the absence of an accept can only be watched for a while: half a second here
            Thread.sleep(500);
            assertEquals(0, server.server().statistics().accepts(), "accepted before any byte arrived");
            long sent = System.nanoTime();
            client.send(REQUEST);
            RawClient.Response response = client.read();
            assertEquals(200, response.status());
            assertEquals("hello", response.bodyText());
            assertTrue(System.nanoTime() - sent < deferTime.toNanos() / 2, "served at once, not after the defer time");
            assertEquals(1, server.server().statistics().accepts());
        }
    }

    @Test
    void aSilentConnectionIsHandedOverAfterAboutTheDeferTime() throws Exception {
        try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "hello"),
                b -> b.listenOptions(ListenOptions.defaults().withDeferAccept(Duration.ofSeconds(1))))) {
            long connecting = System.nanoTime(); // before the handshake: a stall can only lengthen the wait seen
            try (RawClient client = new RawClient("127.0.0.1", server.port())) {
                Poll.until(() -> server.server().statistics().accepts(), n -> n == 1, "the silent connection accepted");
                long waited = System.nanoTime() - connecting;
                // the kernel hands it over when the client answers the SYN-ACK it repeats after one second
                assertTrue(waited > TimeUnit.MILLISECONDS.toNanos(900), "accepted after " + waited / 1_000_000 + " ms");
                // and it is an ordinary connection from then on
                client.send(REQUEST);
                assertEquals(200, client.read().status());
            }
        }
    }

    @Test
    void setByDefaultAndNotAtAllWhenTurnedOff() throws Exception {
        try (LogCapture log = LogCapture.from(Level.FINE)) {
            try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "hello"))) {
                assertEquals(List.of("TCP_DEFER_ACCEPT {0} s on {1} [1, 127.0.0.1:" + server.port() + "]"), deferLines(log));
            }
            log.clear();
            try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "hello"),
                    b -> b.listenOptions(ListenOptions.defaults().withDeferAccept(Duration.ZERO)));
                 RawClient client = new RawClient("127.0.0.1", server.port())) {
                assertEquals(List.of(), deferLines(log), "neither set nor tried");
                Poll.until(() -> server.server().statistics().accepts(), n -> n == 1, "the silent connection accepted");
                client.send(REQUEST);
                assertEquals(200, client.read().status());
            }
        }
    }

    private static List<String> deferLines(LogCapture log) {
        return log.startingWith("TCP_DEFER_ACCEPT").stream()
                .map(r -> r.getMessage() + " " + Arrays.toString(r.getParameters())).toList();
    }

    @Test
    void trySetSaysNullOnAListenerAndWhyNotElsewhere() throws IOException {
        assertNull(DeferredAccept.unavailableReason(), "the test JVM has the flags");
        try (ServerSocketChannel tcp = ServerSocketChannel.open();
             ServerSocketChannel unix = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            tcp.bind(new InetSocketAddress("127.0.0.1", 0));
            assertNull(DeferredAccept.trySet(tcp, 1));
            // a UNIX socket has no TCP options: the kernel's error number comes back as the reason
            String notSet = DeferredAccept.trySet(unix, 1);
            assertNotNull(notSet);
            assertTrue(notSet.startsWith("setsockopt failed with errno "), notSet);
            tcp.close();
            assertEquals("the listener is closed", DeferredAccept.trySet(tcp, 1));
        }
    }

    @Test
    void withoutTheFlagsTheServerSaysWhichAndServes() throws Exception {
        String stderr = serveInChildJvm(List.of());
        assertTrue(stderr.contains("TCP_DEFER_ACCEPT not set on 127.0.0.1:"), stderr);
        assertTrue(stderr.contains("--add-exports=java.base/sun.nio.ch=ALL-UNNAMED"), stderr);
        assertTrue(stderr.contains("--enable-native-access=ALL-UNNAMED"), stderr);
    }

    @Test
    void withoutNativeAccessTheServerSaysSoWithoutTheJvmsWarning() throws Exception {
        String stderr = serveInChildJvm(List.of("--add-exports=java.base/sun.nio.ch=ALL-UNNAMED"));
        assertTrue(stderr.contains("start the JVM with --enable-native-access=ALL-UNNAMED to set it"), stderr);
        assertFalse(stderr.contains("restricted method"), stderr);
        assertFalse(stderr.contains("WARNING"), stderr);
    }

    /** Runs {@link ChildServer} in a JVM with {@code flags}, makes three requests on one connection, and returns its standard error. */
    private static String serveInChildJvm(List<String> flags) throws Exception {
        Path stderr = Files.createTempFile("deferred-accept", ".err");
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "-Xmx64m"));
        command.addAll(flags);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), ChildServer.class.getName()));
        Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII))) {
            String port = out.readLine();
            assertNotNull(port, () -> "the child printed no port; stderr: " + read(stderr));
            try (RawClient client = new RawClient("127.0.0.1", Integer.parseInt(port))) {
                for (int i = 0; i < 3; i++) { // from the second on, read and written where direct socket calls would serve
                    client.send(REQUEST);
                    assertEquals(200, client.read().status());
                }
            }
            process.getOutputStream().close(); // the child stops at the end of its input
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the child stopped");
            return read(stderr);
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(stderr);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** A server with the default listen options in its own JVM: prints its port, stops when its input ends. */
    public static final class ChildServer {
        public static void main(String[] args) throws Exception {
            try (WsgiServer server = WsgiServer.builder(WsgiTestApps.text("200 OK", "hello")).bind("127.0.0.1", 0)
                    .build().start()) {
                System.out.println(server.port());
                System.out.flush();
                while (System.in.read() >= 0) {
                    // until the parent closes our input
                }
            }
        }
    }
}
