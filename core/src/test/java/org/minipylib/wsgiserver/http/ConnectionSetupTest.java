package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.server.ConnectionRegistry;
import org.minipylib.wsgiserver.server.MonitoringAdmission;
import org.minipylib.wsgiserver.server.ServerStatistics;
import org.minipylib.wsgiserver.server.SocketTransport;
import org.minipylib.wsgiserver.server.VirtualThreadScheduler;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TimeoutWindow;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connection setup steps (the hook TLS and the PROXY protocol use) run before HTTP on the
 * connection's own thread: they may replace the transport, they are bounded by the handshake
 * timeout, a failing step closes only its own connection, and draining closes connections still in
 * setup. Runs a small accept loop over real loopback sockets.
 */
class ConnectionSetupTest {

    private static final InetSocketAddress CLAIMED_CLIENT = new InetSocketAddress("203.0.113.7", 4242);

    private ServerSocketChannel listener;
    private Thread acceptor;
    private Thread watchdog;
    private ConnectionRegistry registry;
    private VirtualThreadScheduler scheduler;

    /** Answers every request with the client address the connection reports. */
    private static final Gateway ECHO_REMOTE = exchange -> {
        byte[] body = String.valueOf(exchange.remoteAddress()).getBytes(StandardCharsets.UTF_8);
        HttpResponse response = exchange.response();
        response.begin(200, "OK", List.of(Header.of("Content-Type", "text/plain")), body.length);
        response.write(body, 0, body.length);
        response.finish();
    };

    /** Reads a "HELLO\r\n" preamble byte by byte, then claims the connection comes from CLAIMED_CLIENT. */
    private static final ConnectionSetup PREAMBLE = (transport, deadline) -> {
        byte[] expected = "HELLO\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] one = new byte[1];
        for (byte b : expected) {
            if (transport.read(one, 0, 1, 0) != 1 || one[0] != b) {
                byte[] no = "NO\r\n".getBytes(StandardCharsets.US_ASCII);
                transport.write(no, 0, no.length);
                throw new IOException("bad preamble");
            }
        }
        return new ClaimedAddressTransport(transport, CLAIMED_CLIENT);
    };

    private int start(List<ConnectionSetup> setups, Duration handshake) throws IOException {
        HttpTimeouts timeouts = HttpTimeouts.defaults().withHandshake(handshake);
        HttpSettings settings = new HttpSettings(HttpLimits.defaults(), timeouts, null, null);
        registry = new ConnectionRegistry(100);
        scheduler = new VirtualThreadScheduler(10, 10, Duration.ofSeconds(5), new MonitoringAdmission(List.of()),
                new ServerStatistics(), false);
        listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        acceptor = Thread.ofPlatform().daemon().start(() -> {
            while (listener.isOpen()) {
                try {
                    SocketChannel channel = listener.accept();
                    HttpConnection c = new HttpConnection(SocketTransport.blocking(channel), setups, ECHO_REMOTE, settings, registry);
                    if (registry.add(c)) scheduler.start(c);
                    else c.refuseOverLimit(false);
                } catch (IOException e) {
                    return;
                }
            }
        });
        watchdog = Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                registry.checkTimeouts();
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        return ((InetSocketAddress) listener.getLocalAddress()).getPort();
    }

    @AfterEach
    void stop() throws Exception {
        if (listener != null) listener.close();
        if (watchdog != null) watchdog.interrupt();
        if (registry != null) registry.abortAll();
        if (scheduler != null) scheduler.shutdown();
        if (acceptor != null) acceptor.join(5000);
    }

    @Test
    void aStepCanReplaceTheTransportAndBytesAfterItsPreambleAreTheFirstRequest() throws Exception {
        int port = start(List.of(PREAMBLE), Duration.ofSeconds(10));
        try (RawClient client = new RawClient("127.0.0.1", port)) {
            client.send("HELLO\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n");
            RawClient.Response first = client.read();
            assertEquals(200, first.status());
            assertEquals(CLAIMED_CLIENT.toString(), first.bodyText());
            client.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n"); // keep-alive: setup ran once
            assertEquals(CLAIMED_CLIENT.toString(), client.read().bodyText());
        }
    }

    @Test
    void stepsRunInOrder() throws Exception {
        ConnectionSetup second = (transport, deadline) -> new ClaimedAddressTransport(transport,
                new InetSocketAddress("198.51.100.1", 1));
        int port = start(List.of(PREAMBLE, second), Duration.ofSeconds(10));
        try (RawClient client = new RawClient("127.0.0.1", port)) {
            client.send("HELLO\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(new InetSocketAddress("198.51.100.1", 1).toString(), client.read().bodyText());
        }
    }

    @Test
    void aSilentClientIsClosedAtTheHandshakeDeadlineWhileOthersAreServed() throws Exception {
        Duration handshake = Duration.ofMillis(300);
        int port = start(List.of(PREAMBLE), handshake);
        long connecting = System.nanoTime(); // before: the deadline starts when the server has the connection
        try (RawClient silent = new RawClient("127.0.0.1", port)) {
            // watched from now on, so serving the other client cannot delay seeing the close
            var closed = TimeoutWindow.inBackground(silent::isClosedByServer);
            awaitTrue(() -> registry.size() == 1);
            try (RawClient other = new RawClient("127.0.0.1", port)) {
                other.send("HELLO\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
                assertEquals(200, other.read().status());
            }
            TimeoutWindow.Timed<Boolean> close = closed.get(15, TimeUnit.SECONDS);
            assertTrue(close.value(), "the silent client is closed at the deadline");
            TimeoutWindow.assertFiredInWindow(handshake, connecting, close.atNanos(), "the silent client was closed");
            awaitTrue(() -> registry.size() == 0);
        }
    }

    @Test
    void aFailingStepClosesOnlyItsOwnConnection() throws Exception {
        int port = start(List.of(PREAMBLE), Duration.ofSeconds(10));
        try (RawClient good = new RawClient("127.0.0.1", port);
             RawClient bad = new RawClient("127.0.0.1", port)) {
            good.send("HELLO\r\n");
            bad.send("HELP!\r\n");
            assertEquals("NO", bad.readLine());
            assertTrue(bad.isClosedByServer());
            good.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, good.read().status());
        }
        awaitTrue(() -> registry.size() == 0);
    }

    @Test
    void drainingClosesConnectionsStillInSetup() throws Exception {
        // the step reads "HEL" and blocks on the next byte; draining must wait until it has read
        // them (bytes still unread count as a client that is talking, and such a connection stays)
        CountDownLatch partRead = new CountDownLatch(3);
        ConnectionSetup readsPreamble = (transport, deadline) -> {
            byte[] one = new byte[1];
            while (transport.read(one, 0, 1, 0) == 1) partRead.countDown();
            throw new IOException("preamble cut short");
        };
        int port = start(List.of(readsPreamble), Duration.ofSeconds(30));
        try (RawClient silent = new RawClient("127.0.0.1", port)) {
            silent.send("HEL"); // part of a preamble: the step is blocked reading
            assertTrue(partRead.await(10, TimeUnit.SECONDS), "the step read what was sent");
            awaitTrue(() -> registry.size() == 1);
            registry.startDraining();
            assertTrue(silent.isClosedByServer());
            awaitTrue(() -> registry.size() == 0);
        }
    }

    @Test
    void drainingLetsAConnectionInSetupWhoseBytesAreAlreadyThereProceed() throws Exception {
        // Accepted just before a stop: preamble and request are in the socket, but the connection's
        // thread has not run its setup yet. Draining must not close it unanswered.
        CountDownLatch bytesThere = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        ConnectionSetup notYetRun = (transport, deadline) -> {
            try {
                long giveUp = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (!transport.hasPendingInput()) {
                    if (System.nanoTime() - giveUp > 0) throw new IOException("no bytes within 10 s");
                    Thread.sleep(1);
                }
                bytesThere.countDown();
                go.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            return PREAMBLE.setUp(transport, deadline);
        };
        int port = start(List.of(notYetRun), Duration.ofSeconds(30));
        try (RawClient client = new RawClient("127.0.0.1", port)) {
            client.send("HELLO\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertTrue(bytesThere.await(10, TimeUnit.SECONDS));
            registry.startDraining();
            assertEquals(1, registry.size(), "not closed: its bytes are there");
            go.countDown();
            RawClient.Response response = client.read();
            assertEquals(200, response.status());
            assertEquals("close", response.header("Connection"), "served as the server drains");
            assertTrue(client.isClosedByServer());
        }
        awaitTrue(() -> registry.size() == 0);
    }

    private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("condition not met within 10 s");
            Thread.sleep(10);
        }
    }

    /** A transport that reports another client address, as a PROXY protocol step would. */
    private record ClaimedAddressTransport(Transport inner, SocketAddress claimed) implements Transport {
        @Override
        public int read(byte[] b, int off, int len, int timeoutMillis) throws IOException {
            return inner.read(b, off, len, timeoutMillis);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            inner.write(b, off, len);
        }

        @Override
        public boolean hasPendingInput() {
            return inner.hasPendingInput();
        }

        @Override
        public void shutdownOutput() throws IOException {
            inner.shutdownOutput();
        }

        @Override
        public SocketAddress localAddress() {
            return inner.localAddress();
        }

        @Override
        public SocketAddress remoteAddress() {
            return claimed;
        }

        @Override
        public String scheme() {
            return inner.scheme();
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
