package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.assertLastResponse;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectionReuseLimitsReviewTest {

    /**
     * A request pipelined while the last allowed one is being served reaches the server's socket
     * after the server read the last one: the close must not be a reset (which can destroy the
     * response before the client reads it, and turns the client's clean end of stream into an error).
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aRequestPipelinedWhileTheLastOneRunsDoesNotTurnTheCloseIntoAReset(WorkerMode mode) throws Exception {
        WsgiApp slow = (environ, startResponse) -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            startResponse.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of(environ.pathInfo().getBytes(StandardCharsets.UTF_8));
        };
        try (TestServer server = TestServer.start(slow, b -> b.workerMode(mode).maxRequestsPerConnection(1));
             Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(get("/a").getBytes(StandardCharsets.ISO_8859_1));
            Thread.sleep(100); // the server has read /a and runs its application
            socket.getOutputStream().write(get("/b").getBytes(StandardCharsets.ISO_8859_1));
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[4096];
            try {
                for (int n; (n = in.read(buf)) >= 0; ) got.write(buf, 0, n);
            } catch (SocketException e) {
                throw new AssertionError("the close was a reset (" + e + ") after: " + got.toString(StandardCharsets.ISO_8859_1), e);
            }
            String text = got.toString(StandardCharsets.ISO_8859_1);
            assertTrue(text.startsWith("HTTP/1.1 200 OK"), text);
            assertTrue(text.contains("Connection: close"), text);
            assertTrue(text.endsWith("/a"), text);
        }
    }

    /** An age too long to count in nanoseconds (ChronoUnit.FOREVER's, or a few centuries) means no limit, not failing connections. */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void anAgeBeyondWhatNanosecondsHoldIsNoLimit(WorkerMode mode) throws Exception {
        for (Duration age : List.of(Duration.ofDays(365L * 300), ChronoUnit.FOREVER.getDuration())) {
            try (TestServer server = TestServer.start(WsgiTestApps.echo(), b -> b.workerMode(mode).maxConnectionAge(age));
                 RawClient client = server.connect()) {
                client.timeout(5_000);
                for (int i = 0; i < 3; i++) {
                    RawClient.Response r = client.send(get("/x" + i)).read();
                    assertEquals("GET /x" + i + ":", r.bodyText());
                    assertEquals(null, r.header("Connection"));
                }
            }
        }
    }

    /** A HEAD request, a server's 500 and a 100-continue exchange at the limit each say close and close. */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void otherResponsesAtTheLimitSayClose(WorkerMode mode) throws Exception {
        WsgiApp app = (environ, startResponse) -> {
            if (environ.pathInfo().equals("/fail")) throw new IllegalStateException("expected by the test");
            byte[] body = environ.input().readAllBytes();
            startResponse.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of(("got " + body.length).getBytes(StandardCharsets.UTF_8));
        };
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode).maxRequestsPerConnection(2));
             RawClient client = server.connect()) {
            client.timeout(5_000);
            client.send(get("/one")).read();
            RawClient.Response r = client.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n").read(true);
            assertEquals("close", r.header("Connection"));
            assertTrue(client.isClosedByServer());
        }
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode).maxRequestsPerConnection(2));
             RawClient client = server.connect()) {
            client.timeout(5_000);
            client.send(get("/one")).read();
            RawClient.Response r = client.send(get("/fail")).read();
            assertEquals(500, r.status());
            assertEquals("close", r.header("Connection"));
            assertTrue(client.isClosedByServer());
        }
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode).maxRequestsPerConnection(2));
             RawClient client = server.connect()) {
            client.timeout(5_000);
            client.send(get("/one")).read();
            client.send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
            assertEquals("HTTP/1.1 100 Continue", client.readLine());
            assertEquals("", client.readLine());
            assertLastResponse(client, client.send("abc").read(), "got 3");
        }
    }
}
