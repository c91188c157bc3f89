package org.minipylib.wsgiserver.http;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.TestServer;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;


/**
 * docs/http-compliance.md, the write timeout: "a write (in slices) that makes no progress for this
 * long (a client that stopped reading, or reads a few bytes now and then): the connection is
 * closed". The second half, over a real socket: a slow-read client that keeps reading a few bytes
 * every 50 ms (so the connection is never quite still) is cut all the same, since no slice of the
 * response gets through within the timeout.
 */
class WriteTimeoutTricklingReaderTest {

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aClientReadingAFewBytesNowAndThenIsCutByTheWriteTimeout(WorkerMode mode) throws Exception {
        byte[] mib = new byte[1 << 20];
        WsgiApp endless = (env, sr) -> {
            sr.start("200 OK", List.of(Header.of("Content-Type", "application/octet-stream")));
            return () -> new Iterator<>() {
                public boolean hasNext() { return true; }
                public byte[] next() { return mib; }
            };
        };
        HttpTimeouts timeouts = HttpTimeouts.defaults().withWrite(Duration.ofSeconds(1));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong read = new AtomicLong();
        try (TestServer server = TestServer.start(endless, b -> b.workerMode(mode).timeouts(timeouts));
             Socket trickler = new Socket()) {
            trickler.setReceiveBufferSize(4096);
            trickler.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
            trickler.getOutputStream().write("GET /huge HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            Thread reader = Thread.ofVirtual().start(() -> {
                byte[] few = new byte[16];
                try (InputStream in = trickler.getInputStream()) {
                    while (!stop.get()) {
                        int n = in.read(few);
                        if (n < 0) return;
                        read.addAndGet(n);
                        Thread.sleep(50); // about 320 bytes a second: a 32 KiB slice would take 100 s
                    }
                } catch (IOException | InterruptedException e) {
                    // cut by the server: what the test waits for
                }
            });
            try {
                Poll.until(read::get, n -> n > 0, "the response started");
                Poll.until(() -> server.server().openConnections(), n -> n == 0,
                        "the trickling connection closed by the write timeout");
                Poll.until(() -> server.server().busyWorkers(), n -> n == 0, "nothing left serving it");
            } finally {
                stop.set(true);
                reader.join(10_000);
            }
        }
    }
}
