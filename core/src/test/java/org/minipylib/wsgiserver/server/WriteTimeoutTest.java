package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A client that stops reading is cut off (reset) after the write timeout, and frees its worker. */
class WriteTimeoutTest {

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void clientThatStopsReadingIsDisconnected(WorkerMode mode) throws Exception {
        byte[] mib = new byte[1 << 20];
        java.util.concurrent.CountDownLatch hugeStarted = new java.util.concurrent.CountDownLatch(1);
        WsgiApp app = (env, sr) -> {
            if (env.pathInfo().equals("/huge")) {
                hugeStarted.countDown();
                sr.start("200 OK", List.of(Header.of("Content-Type", "application/octet-stream")));
                return () -> new Iterator<>() { // endless
                    public boolean hasNext() { return true; }
                    public byte[] next() { return mib; }
                };
            }
            sr.start("200 OK", List.of());
            return List.of("ok".getBytes(StandardCharsets.US_ASCII));
        };
        HttpTimeouts timeouts = HttpTimeouts.defaults().withWrite(Duration.ofMillis(500));
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode).minThreads(1).maxThreads(1)
                .acceptQueueSize(0).timeouts(timeouts))) {
            try (Socket stalled = new Socket("127.0.0.1", server.port())) {
                stalled.setReceiveBufferSize(4096);
                stalled.getOutputStream().write("GET /huge HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                // never read: the server's writes block, then the watchdog closes the connection
                // (the probes below only once it holds the one worker: else one of them may take it first, and
                // the stalled request get the busy 503)
                assertTrue(hugeStarted.await(10, TimeUnit.SECONDS), "the stalled request is served");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                int status = 0;
                while (System.nanoTime() < deadline) {
                    try (RawClient other = server.connect()) {
                        other.send("GET /small HTTP/1.1\r\nHost: t\r\n\r\n");
                        status = other.read().status();
                    }
                    if (status == 200) break;
                    Thread.sleep(100);
                }
                assertEquals(200, status, "the single worker was freed by the write timeout");
                Poll.until(server.server()::busyWorkers, n -> n == 0, "nothing left serving the stalled client");
                // and the stalled connection itself is closed once its blocked write passes the timeout
                Poll.until(server.server()::openConnections, n -> n == 0, "the stalled connection closed");
                // reset, not closed behind the unsent bytes (the kernel would keep them, and the socket, for minutes):
                // the client finds a reset, not the end of a stream after megabytes more
                stalled.setSoTimeout(10_000);
                InputStream in = stalled.getInputStream();
                byte[] buf = new byte[1 << 16];
                long read = 0;
                IOException ended = null;
                try {
                    for (int n; read < (64 << 20) && (n = in.read(buf)) >= 0; ) read += n;
                } catch (SocketException e) {
                    ended = e;
                }
                assertNotNull(ended, "a reset, after " + read + " bytes");
                assertTrue(ended.getMessage().toLowerCase(java.util.Locale.ROOT).contains("reset"), ended.toString());
            }
        }
    }
}
