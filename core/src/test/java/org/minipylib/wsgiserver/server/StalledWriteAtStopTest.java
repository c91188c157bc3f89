package org.minipylib.wsgiserver.server;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.SocketException;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

/**
 * A response that stop() cuts while its write waits for a client that does not read ends in a
 * reset, as one cut by the write timeout does: not in a FIN queued behind what the kernel still
 * holds for that client (megabytes), which would outlive the server.
 */
class StalledWriteAtStopTest {

    private static final WsgiApp LARGE = WsgiTestApps.large();

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aResponseWaitingForAClientThatDoesNotReadEndsInAResetAtStop(WorkerMode mode) throws Exception {
        TestServer server = TestServer.start(LARGE, b -> b.workerMode(mode).shutdownTimeout(Duration.ofMillis(200)));
        try (RawClient client = server.connect()) {
            client.socket().setReceiveBufferSize(16 * 1024);
            client.send("GET /large HTTP/1.1\r\nHost: a\r\n\r\n"); // and not read: the server's write waits
            client.timeout(10_000);
            InputStream in = client.socket().getInputStream();
            // the response has begun: a stop before the server read the request would end an idle connection cleanly
            assertTrue(in.read() >= 0, "the response begins");
            server.close(); // its shutdown timeout passes with the write blocked (the socket buffers hold far less)
            byte[] buf = new byte[64 * 1024];
            long[] read = {1};
            // what the client's buffer holds, then the reset; with a FIN, all the server's kernel held, then the end
            assertThrows(SocketException.class, () -> {
                for (int n; (n = in.read(buf)) >= 0 && read[0] < 64L << 20; ) read[0] += n;
            }, () -> "the stream ended cleanly after " + read[0] + " bytes");
            assertTrue(read[0] < 64L << 20, "the response was cut: " + read[0] + " bytes");
        } finally {
            server.close();
        }
    }
}
