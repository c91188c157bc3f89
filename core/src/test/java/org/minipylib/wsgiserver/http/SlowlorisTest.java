package org.minipylib.wsgiserver.http;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.TimeoutWindow;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A slowloris client: its head trickles in one byte at a time, often enough that no single read
 * ever waits long. The head deadline still cuts it off (408, closed), and meanwhile other clients
 * are served.
 */
class SlowlorisTest {

    private static final WsgiApp OK = (environ, startResponse) -> {
        startResponse.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
        return List.of(("ok " + environ.pathInfo()).getBytes(StandardCharsets.ISO_8859_1));
    };

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aHeadTricklingInByteByByteIsCutOffAtTheDeadlineWith408(WorkerMode mode) throws Exception {
        byte[] endless = ("GET /slow HTTP/1.1\r\nHost: a\r\nX-Pad: " + "p".repeat(400)).getBytes(StandardCharsets.ISO_8859_1);
        Duration headTimeout = Duration.ofMillis(500);
        try (TestServer server = TestServer.start(OK, b -> b.workerMode(mode).maxThreads(1)
                .timeouts(HttpTimeouts.defaults().withRequestHead(headTimeout)));
             RawClient slow = server.connect()) {
            OutputStream out = slow.socket().getOutputStream();
            InputStream in = slow.socket().getInputStream();
            int sent = 0;
            long firstByte = System.nanoTime(); // the head deadline starts at the head's first byte
            // one byte every 25 ms: 400+ bytes would take over 10 s, twenty times the deadline
            while (sent < endless.length && in.available() == 0) {
                try {
                    out.write(endless[sent++]);
                    out.flush();
                } catch (java.net.SocketException closed) {
                    break; // the server already answered and closed (seen late on a very busy machine)
                }
                if (sent == 5) {
                    try (RawClient other = server.connect()) {
                        assertEquals("ok /other", other.send("GET /other HTTP/1.1\r\nHost: a\r\n\r\n").read().bodyText(),
                                "another client is served while the head trickles in (with a single worker)");
                    }
                }
                Thread.sleep(25);
            }
            assertTrue(sent < endless.length, "the server answered before the head could complete");
            RawClient.Response response = slow.read();
            long answered = System.nanoTime();
            assertEquals(408, response.status());
            TimeoutWindow.assertFiredInWindow(headTimeout, firstByte, answered, "the 408 came");
            assertEquals("close", response.header("Connection"));
            assertTrue(slow.isClosedByServer());
        }
    }
}
