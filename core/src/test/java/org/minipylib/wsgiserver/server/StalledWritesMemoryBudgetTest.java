package org.minipylib.wsgiserver.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

/**
 * Connections whose writes wait for clients that stopped reading may hold only so much memory
 * together (maxStalledWriteMemory): beyond it, those stalled longest are reset long before their
 * write timeout, and the others go on.
 */
class StalledWritesMemoryBudgetTest {

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void theWritesStalledLongestAreResetOnceStalledWritesHoldMoreThanTheBudget(WorkerMode mode) throws Exception {
        // room for two plain connections' stalled writes (8 KiB each), not three; a write timeout far away
        TestServer server = TestServer.start(WsgiTestApps.large(), b -> b.workerMode(mode)
                .maxStalledWriteMemory(20 * 1024).timeouts(org.minipylib.wsgiserver.http.HttpTimeouts.defaults()
                        .withWrite(Duration.ofSeconds(60))));
        List<RawClient> clients = new ArrayList<>();
        try (LogCapture log = LogCapture.from(Level.WARNING)) {
            for (int i = 0; i < 4; i++) {
                RawClient client = server.connect();
                clients.add(client);
                client.socket().setReceiveBufferSize(16 * 1024);
                client.send("GET /large/" + i + " HTTP/1.1\r\nHost: a\r\n\r\n"); // and not read
                assertEquals("HTTP/1.1 200 OK", client.readLine());
                Thread.sleep(300); // not synchronisation: the writes stall one after the other, in this order
            }
            Poll.until(() -> log.startingWith("Writes to clients that stopped reading held more than"), l -> !l.isEmpty(),
                    Duration.ofSeconds(10), "the warning that stalled writes were reset");
            Poll.until(() -> server.server().openConnections(), n -> n == 2, Duration.ofSeconds(10),
                    "two of the four stalled connections reset");

            for (int i = 0; i < 2; i++) { // the longest stalled: what their buffers held, then the reset
                RawClient reset = clients.get(i);
                reset.timeout(10_000);
                assertThrows(SocketException.class, () -> drain(reset.socket().getInputStream()), "connection " + i + " reset");
            }
            for (int i = 2; i < 4; i++) { // the others go on: their responses flow once they read
                RawClient kept = clients.get(i);
                kept.timeout(10_000);
                InputStream in = kept.socket().getInputStream();
                byte[] buf = new byte[64 * 1024];
                long read = 0;
                while (read < 8L << 20) read += Math.max(0, in.read(buf));
                assertTrue(read >= 8L << 20, "connection " + i + " still delivers its response");
            }
            try (RawClient probe = server.connect()) {
                assertEquals(200, probe.send("GET /probe HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").read().status());
            }
        } finally {
            for (RawClient c : clients) c.close();
            server.close();
        }
    }

    /** Reads to the end of the stream (bounded: the server's response is 64 MiB). */
    private static void drain(InputStream in) throws java.io.IOException {
        byte[] buf = new byte[64 * 1024];
        for (long read = 0; read < 64L << 20; ) {
            int n = in.read(buf);
            if (n < 0) return;
            read += n;
        }
    }
}
