package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.http.HttpConnection;
import org.minipylib.wsgiserver.testing.LiveThreads;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.UnixClient;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * A connection refused over {@code maxConnections} lingers after its 503 as any refusal does: the
 * output is shut, and what the client still sends (an upload's body) is read and dropped until its
 * end, so that the client reads the whole 503 and a clean end rather than a reset. On a readiness
 * loop that wait holds no thread. At most {@link ConnectionRegistry#lingeringRefusalBudget} such
 * refusals linger at once, apart from the limit; beyond them a refusal closes at once, as before.
 * Each gives its place back when it closes, whichever way: its client's end or reset, the deadline,
 * the server's stop. Here the server takes one connection ({@code maxConnections} 1), which a
 * client holds throughout.
 */
class OverLimitRefusalLingersTest {

    private static final int BUDGET = ConnectionRegistry.lingeringRefusalBudget(1);
    private static final int UPLOAD_BYTES = 4 << 20;

    /** A server that takes one connection, and the client holding it. */
    private static final class Full implements AutoCloseable {
        final TestServer server;
        final RawClient kept;
        final List<RawClient> refused = new ArrayList<>();

        Full(WorkerMode mode) throws IOException {
            server = TestServer.start(WsgiTestApps.text("200 OK", "hi"), b -> b.workerMode(mode).maxConnections(1));
            kept = server.connect().timeout(10_000);
            assertEquals(200, kept.send(get("/")).read().status(), "the one connection the server takes");
        }

        int open() {
            return server.server().openConnections();
        }

        /** A new connection, refused: it reads a whole 503 and a clean end, and keeps its connection open. */
        RawClient refusedAndKeptOpen() throws IOException {
            RawClient client = server.connect().timeout(10_000);
            refused.add(client);
            RawClient.Response response = client.send(get("/over")).read();
            assertEquals(503, response.status());
            assertEquals("close", response.header("connection"));
            assertEquals("", client.readToCleanEnd(), "a clean end right after the 503");
            return client;
        }

        /** Refusals of clients that keep their connections open, until the budget is used up. */
        void fillTheBudget() throws Exception {
            int before = open();
            for (int i = 0; i < BUDGET; i++) refusedAndKeptOpen();
            Poll.until(this::open, n -> n == before + BUDGET, "the refusals linger, counted as open");
        }

        @Override
        public void close() throws IOException {
            for (RawClient client : refused) client.close();
            kept.close();
            server.close();
        }
    }

    /**
     * A client that sends a head with a 4 MiB Content-Length and then its body, over the limit,
     * reads the whole 503 and a clean end, and its upload is all taken: before, the refusal closed
     * with the body still arriving, and the client's writes and reads met a reset.
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void anUploadOverTheLimitReadsTheWhole503AndACleanEnd(WorkerMode mode) throws Exception {
        try (Full full = new Full(mode); RawClient uploader = full.server.connect().timeout(10_000)) {
            uploader.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + UPLOAD_BYTES + "\r\n\r\n");
            CompletableFuture<Void> body = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = uploader.socket().getOutputStream();
                    byte[] piece = new byte[16 * 1024];
                    for (int sent = 0; sent < UPLOAD_BYTES; sent += piece.length) out.write(piece);
                    out.flush();
                } catch (IOException e) {
                    throw new AssertionError("the upload was cut: " + e, e);
                }
            });
            RawClient.Response response = uploader.read();
            assertEquals(503, response.status());
            assertEquals("The server has too many connections; try again later.\n", response.bodyText());
            body.get(20, TimeUnit.SECONDS); // throws if a reset cut the upload
            assertEquals("", uploader.readToCleanEnd(), "a clean end after the 503, no reset");
            uploader.close();
            Poll.until(full::open, n -> n == 1, "the refusal closed at its client's end");
            assertEquals(200, full.kept.send(get("/")).read().status(), "the kept connection goes on");
        }
    }

    /**
     * Lingering refusals whose clients keep their connections open wait for them on the readiness
     * loop, without a thread, while counted as open connections.
     */
    @Test
    @EnabledIf("org.minipylib.wsgiserver.server.ReadinessLoop#supported")
    void lingeringRefusalsHoldNoThread() throws Exception {
        long threadsBefore = LiveThreads.runningIn(HttpConnection.class);
        try (Full full = new Full(WorkerMode.VIRTUAL)) {
            full.fillTheBudget();
            Poll.until(() -> LiveThreads.runningIn(HttpConnection.class), n -> n <= threadsBefore,
                    "no thread left in the connections");
            assertEquals(1 + BUDGET, full.open(), "while no thread runs for them, the refusals still linger");
            for (RawClient client : full.refused) client.close();
            Poll.until(full::open, n -> n == 1, "the refusals closed at their clients' end");
        }
    }

    /**
     * Over a UNIX socket too, lingering refusals wait on the readiness loop without a thread (before,
     * each held one, parked on a selector of its own until its client's end or the deadline); and
     * the connection kept idle holds none either.
     */
    @Test
    @EnabledIf("org.minipylib.wsgiserver.server.ReadinessLoop#supported")
    void lingeringRefusalsOverAUnixSocketHoldNoThread(@TempDir Path dir) throws Exception {
        long threadsBefore = LiveThreads.runningIn(HttpConnection.class);
        Path socket = dir.resolve("full.sock");
        List<UnixClient> clients = new ArrayList<>();
        try (WsgiServer server = WsgiServer.builder(WsgiTestApps.text("200 OK", "hi")).bind(UnixDomainSocketAddress.of(socket))
                .workerMode(WorkerMode.VIRTUAL).maxConnections(1).build().start()) {
            UnixClient kept = UnixClient.connect(socket);
            clients.add(kept);
            assertEquals("HTTP/1.1 200 OK", kept.send(get("/")).read().statusLine(), "the one connection the server takes");
            for (int i = 0; i < BUDGET; i++) {
                UnixClient refused = UnixClient.connect(socket);
                clients.add(refused);
                UnixClient.Response response = refused.send(get("/over")).read();
                assertTrue(response.statusLine().startsWith("HTTP/1.1 503 "), response.statusLine());
                assertEquals("close", response.connection());
                assertEquals("", refused.readToCleanEnd(), "a clean end right after the 503");
            }
            Poll.until(server::openConnections, n -> n == 1 + BUDGET, "the refusals linger, counted as open");
            Poll.until(() -> LiveThreads.runningIn(HttpConnection.class), n -> n <= threadsBefore,
                    "no thread left in the connections");
            assertEquals(1 + BUDGET, server.openConnections(), "while no thread runs for them, the refusals still linger");
            for (UnixClient client : clients.subList(1, clients.size())) client.close();
            Poll.until(server::openConnections, n -> n == 1, "the refusals closed at their clients' end");
            assertEquals("HTTP/1.1 200 OK", kept.send(get("/")).read().statusLine(), "the kept connection goes on");
        } finally {
            for (UnixClient client : clients) client.close();
        }
    }

    /**
     * Beyond the budget a refusal is answered and closed at once, as before: not counted as open,
     * and more sent into it meets a reset. The lingering ones are unaffected. Its client connects
     * once the budget is used up: where the listener does not defer accepts until data arrives
     * (below JDK 22), a connection is refused, and takes a place, when it is accepted.
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void beyondTheBudgetARefusalClosesAtOnce(WorkerMode mode) throws Exception {
        try (Full full = new Full(mode)) {
            full.fillTheBudget();
            RawClient beyond = full.server.connect().timeout(10_000);
            full.refused.add(beyond); // closed with them
            // Where accepts are deferred, the refusal waits for a request; else it comes at the accept,
            // and a request sent meanwhile may arrive after the close, whose reset can take the 503 along.
            if (DeferredAccept.unavailableReason() == null) beyond.send(get("/beyond"));
            assertEquals(503, beyond.read().status());
            assertEquals(-1, beyond.input().read(), "the end after the 503");
            assertEquals(1 + BUDGET, full.open(), "not lingering: not counted");
            assertThrows(IOException.class, () -> {
                for (int i = 0; i < 100; i++) { // the first write after the close is answered by a reset
                    beyond.send(get("/more"));
                    Thread.sleep(10);
                }
            }, "closed, not lingering");
            assertEquals(BUDGET + 1, full.server.server().statistics().refusedConnections(),
                    "every refusal counted, lingering or not");
        }
    }

    /**
     * The places are given back however a lingering refusal ends: its client's end, its client's
     * reset, the deadline the watchdog enforces for a client that neither closes nor sends; after
     * each, new refusals linger again, and the open connections are back to the one kept.
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void theBudgetIsGivenBackHoweverARefusalEnds(WorkerMode mode) throws Exception {
        try (Full full = new Full(mode)) {
            full.fillTheBudget();
            for (int i = 0; i < BUDGET; i++) {
                RawClient client = full.refused.get(i);
                if (i % 2 == 1) client.socket().setSoLinger(true, 0); // its close is a reset
                client.close();
            }
            full.refused.clear();
            Poll.until(full::open, n -> n == 1, "the refusals closed at their clients' end or reset");

            full.fillTheBudget(); // they linger again
            Poll.until(full::open, n -> n == 1, "the refusals closed at their deadline (the watchdog's)");
            for (RawClient client : full.refused) client.close(); // the clients' sockets, closed by the server already
            full.refused.clear();

            full.fillTheBudget(); // and again
            assertEquals(3 * BUDGET, full.server.server().statistics().refusedConnections());
        }
    }

    /** stop() closes lingering refusals as it closes other lingering connections. */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void stopClosesLingeringRefusals(WorkerMode mode) throws Exception {
        try (Full full = new Full(mode)) {
            full.fillTheBudget();
            full.server.server().stop();
            assertEquals(0, full.open(), "every connection closed, the refusals too");
        }
    }
}
