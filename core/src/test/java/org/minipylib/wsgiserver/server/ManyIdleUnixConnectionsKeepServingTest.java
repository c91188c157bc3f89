package org.minipylib.wsgiserver.server;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.testing.OpenDescriptors;
import org.minipylib.wsgiserver.testing.UnixClient;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * More idle keep-alive connections over a UNIX socket than the JDK adds carriers for blocked
 * virtual threads (256 by default) leave the server answering, in both worker modes. Before JDK 24
 * a virtual thread waiting in a selector blocks its carrier (the JDK makes up for it with another,
 * up to that limit): UNIX connections that each waited on a selector of their own stopped the
 * server at the 257th. They now wait on a loop on a platform thread.
 */
class ManyIdleUnixConnectionsKeepServingTest {

    private static final int IDLE_CONNECTIONS = 300;
    private static final int ANSWER_WITHIN_SECONDS = 5;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void moreIdleConnectionsThanCompensatingCarriersLeaveTheServerAnswering(WorkerMode mode) throws Exception {
        assumeTrue(OpenDescriptors.limit() - OpenDescriptors.count() >= 2L * IDLE_CONNECTIONS + 200,
                "descriptors for both ends of every connection");
        Path socket = dir.resolve("idle.sock");
        List<UnixClient> clients = new ArrayList<>();
        try (WsgiServer server = WsgiServer.builder(WsgiTestApps.pathRecordingThreads(new ConcurrentHashMap<>()))
                .bind(UnixDomainSocketAddress.of(socket)).workerMode(mode).build().start()) {
            for (int i = 0; i < IDLE_CONNECTIONS; i++) {
                UnixClient client = UnixClient.connect(socket);
                clients.add(client);
                assertAnswered(client, "/idle" + i, "a new connection while " + i + " connections wait idle", mode);
            }
            try (UnixClient another = UnixClient.connect(socket)) {
                assertAnswered(another, "/new", "a new connection while " + IDLE_CONNECTIONS + " wait idle", mode);
            }
            assertAnswered(clients.get(0), "/again", "the first idle connection", mode);
            assertAnswered(clients.get(IDLE_CONNECTIONS - 1), "/again", "the last idle connection", mode);
        } finally {
            for (UnixClient client : clients) client.close();
        }
    }

    /** Sends a request for {@code path} and expects the path back within {@value #ANSWER_WITHIN_SECONDS} s. */
    private static void assertAnswered(UnixClient client, String path, String what, WorkerMode mode) throws Exception {
        client.send("GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n");
        CompletableFuture<UnixClient.Response> response = CompletableFuture.supplyAsync(() -> {
            try {
                return client.read();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, task -> Thread.ofPlatform().daemon(true).start(task));
        try {
            assertEquals(path, response.get(ANSWER_WITHIN_SECONDS, TimeUnit.SECONDS).body(), what);
        } catch (TimeoutException e) {
            client.close(); // ends the read
            fail("no answer within " + ANSWER_WITHIN_SECONDS + " s on " + what + " (Java " + Runtime.version().feature()
                    + ", " + mode + " workers)");
        } catch (ExecutionException e) {
            fail(what + ": " + e.getCause());
        }
    }
}
