package org.minipylib.wsgiserver;

import org.minipylib.wsgiserver.testing.RawClient;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Starting and stopping: {@link WsgiServer#serve} starts a serving server in one call; stop()
 * ends a server whatever state it is in (never started, its start failed, its access log's close
 * throws), for good, closing the access log once, and a waiter in awaitStop() is released.
 */
class StartAndStopLifecycleTest {

    private static final WsgiApp HELLO = (env, sr) -> {
        sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
        return List.of(("hello from " + env.serverName() + ":" + env.serverPort()).getBytes(StandardCharsets.US_ASCII));
    };

    @Test
    void serveStartsInOneLine() throws Exception {
        try (WsgiServer server = WsgiServer.serve(HELLO, 0); RawClient client = new RawClient("127.0.0.1", server.port())) {
            assertTrue(server.isRunning());
            RawClient.Response response = client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read();
            assertEquals(200, response.status());
            assertEquals("hello from 127.0.0.1:" + server.port(), response.bodyText());
        }
    }

    @Test
    void anAccessLogWhoseCloseFailsStillLetsTheServerStop() throws Exception {
        AccessLog failingClose = new AccessLog() {
            @Override public void log(AccessLogEntry entry) { }
            @Override public void close() { throw new IllegalStateException("close fails (test)"); }
        };
        WsgiServer server = WsgiServer.builder(HELLO).bind("127.0.0.1", 0).accessLog(failingClose).build().start();
        server.stop();
        assertTrue(server.awaitStop(Duration.ofSeconds(5)), "stopped despite the log");
    }

    @Test
    void stoppingAServerThatNeverStartedEndsItForGood() throws Exception {
        AtomicInteger logCloses = new AtomicInteger();
        AccessLog log = new AccessLog() {
            @Override public void log(AccessLogEntry entry) { }
            @Override public void close() { logCloses.incrementAndGet(); }
        };
        WsgiServer server = WsgiServer.builder(HELLO).bind("127.0.0.1", 0).accessLog(log).build();
        assertEquals(ServerState.NEW, server.state());
        server.stop();
        assertTrue(server.awaitStop(Duration.ofSeconds(5)), "a waiter is not left waiting for a start that will not come");
        assertEquals(ServerState.STOPPED, server.state());
        assertEquals(1, logCloses.get(), "the access log is closed");
        assertThrows(IllegalStateException.class, server::start);
        server.stop();
        assertEquals(1, logCloses.get(), "idempotent");
    }

    @Test
    void aServerWhoseStartFailedIsStoppedByClose() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            WsgiServer server = WsgiServer.builder(HELLO).bind("127.0.0.1", taken.getLocalPort()).build();
            assertThrows(java.io.IOException.class, server::start);
            server.close();
            assertTrue(server.awaitStop(Duration.ofSeconds(5)));
            assertEquals(ServerState.STOPPED, server.state());
        }
    }
}
