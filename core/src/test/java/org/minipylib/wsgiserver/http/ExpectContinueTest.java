package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minipylib.wsgiserver.BodyWriter;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.ascii;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.assertLastResponse;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.await;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.textPlain;

/**
 * {@code Expect: 100-continue} (RFC 9110 section 10.1.1): the interim 100 goes out when the application
 * first reads wsgi.input, never when it answers without reading; then the connection closes, because
 * the client may or may not send the body it announced (unless all of it has arrived already: a
 * client that did not wait).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ExpectContinueTest {

    private static final String HEAD_WITH_EXPECT = "POST /%s HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
            + "Content-Length: %d\r\n\r\n";

    private static String expecting(String path, int length) {
        return String.format(HEAD_WITH_EXPECT, path, length);
    }

    private static void assertContinue(RawClient client) throws IOException {
        assertEquals("HTTP/1.1 100 Continue", client.readLine());
        assertEquals("", client.readLine());
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void continueIsSentWhenTheApplicationFirstReadsInput(WorkerMode mode) throws Exception {
        CountDownLatch called = new CountDownLatch(1);
        CountDownLatch mayRead = new CountDownLatch(1);
        WsgiApp app = (env, sr) -> {
            called.countDown();
            mayRead.await(10, TimeUnit.SECONDS);
            String body = new String(env.input().readAllBytes(), "ISO-8859-1");
            sr.start("200 OK", textPlain());
            return List.of(ascii("got " + body));
        };
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode)); RawClient client = server.connect()) {
            client.send(expecting("upload", 5));
            await(called);
            client.timeout(500);
            assertThrows(SocketTimeoutException.class, client::readLine, "no 100 Continue before the application reads");
            client.timeout(10_000);
            mayRead.countDown();
            assertContinue(client);
            RawClient.Response r = client.send("hello").read();
            assertEquals(200, r.status());
            assertEquals("got hello", r.bodyText());
            assertNull(r.header("Connection"));
            assertEquals("got ", client.send(get("/next")).read().bodyText(), "the connection stays usable");
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void continueIsSentForAChunkedBodyToo(WorkerMode mode) throws Exception {
        try (TestServer server = TestServer.start(WsgiTestApps.echo(), b -> b.workerMode(mode));
             RawClient client = server.connect()) {
            client.send("POST /chunked HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n");
            assertContinue(client);
            RawClient.Response r = client.send("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").read();
            assertEquals("POST /chunked:abcde", r.bodyText());
            assertEquals("GET /again:", client.send(get("/again")).read().bodyText());
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void noContinueWhenTheApplicationAnswersWithoutReading(WorkerMode mode) throws Exception {
        WsgiApp app = WsgiTestApps.text("413 Content Too Large", "too big for me");
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode)); RawClient client = server.connect()) {
            client.send(expecting("upload", 100_000));
            RawClient.Response r = client.read(); // the first thing on the wire is the final response
            assertEquals(413, r.status());
            assertLastResponse(client, r, "too big for me");
        }
    }

    /**
     * A client that sends the body right behind the head, not waiting for the 100 it asked for: all of
     * it has arrived when the application answers without reading it, so there is no doubt about
     * where the next request starts; the body is drained and the connection kept.
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aBodySentWithoutWaitingIsDrainedAndTheConnectionKept(WorkerMode mode) throws Exception {
        WsgiApp app = WsgiTestApps.text("403 Forbidden", "not for you");
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode)); RawClient client = server.connect()) {
            RawClient.Response r = client.send(expecting("upload", 5) + "hello").read();
            assertEquals(403, r.status());
            assertNull(r.header("Connection"), "keep-alive: the whole body is there");
            assertEquals(403, client.send(get("/next")).read().status(), "the next request is read where it starts");
            RawClient.Response chunked = client.send("POST /c HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n").read();
            assertNull(chunked.header("Connection"), "a chunked body all arrived too");
            assertEquals(403, client.send(get("/last")).read().status());
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aZeroLengthBodyGetsNoContinueAndKeepsTheConnection(WorkerMode mode) throws Exception {
        try (TestServer server = TestServer.start(WsgiTestApps.echo(), b -> b.workerMode(mode));
             RawClient client = server.connect()) {
            RawClient.Response r = client.send(expecting("empty", 0)).read();
            assertEquals(200, r.status());
            assertEquals("POST /empty:", r.bodyText());
            assertNull(r.header("Connection"));
            assertEquals("GET /next:", client.send(get("/next")).read().bodyText());
        }
    }

    @Test
    void http10ClientsNeverGetAnInterimResponse() throws Exception {
        CountDownLatch reading = new CountDownLatch(1);
        WsgiApp app = (env, sr) -> {
            reading.countDown();
            String body = new String(env.input().readAllBytes(), "ISO-8859-1");
            sr.start("200 OK", textPlain());
            return List.of(ascii("got " + body));
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.send("POST /old HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            await(reading);
            client.timeout(500);
            assertThrows(SocketTimeoutException.class, client::readLine, "no 100 Continue for HTTP/1.0 (RFC 9110 15.2)");
            client.timeout(10_000);
            RawClient.Response r = client.send("hello").read();
            assertEquals(200, r.status());
            assertEquals("got hello", r.bodyText());
        }
    }

    @Test
    void noContinueInsideAResponseTheApplicationAlreadyStarted() throws Exception {
        // An app that starts streaming its answer, then reads the body: a 100 Continue written now
        // would land in the middle of the chunked response body.
        WsgiApp app = (env, sr) -> {
            BodyWriter write = sr.start("200 OK", textPlain());
            write.write(ascii("started;"));
            String body = new String(env.input().readAllBytes(), "ISO-8859-1");
            return List.of(ascii("read " + body));
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.send(expecting("late-read", 5));
            assertEquals("HTTP/1.1 200 OK", client.readLine(), "the final response comes first");
            while (!client.readLine().isEmpty()) {
                // rest of the head
            }
            client.send("hello"); // a client that got a final status may still send the body
            StringBuilder rest = new StringBuilder();
            for (String line = client.readLine(); line != null && !line.equals("0"); line = client.readLine()) {
                rest.append(line).append('\n');
            }
            assertFalse(rest.toString().contains("100 Continue"), "an interim response inside the body: " + rest);
            assertTrue(rest.toString().contains("started;") && rest.toString().contains("read hello"), "the body, late read included: " + rest);
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void httpClientWithExpectContinueGetsItsBodyRead(WorkerMode mode) throws Exception {
        try (TestServer server = TestServer.start(WsgiTestApps.echo(), b -> b.workerMode(mode));
             HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                     .connectTimeout(Duration.ofSeconds(10)).build()) {
            HttpRequest request = HttpRequest.newBuilder(server.uri("/expect")).expectContinue(true)
                    .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString("payload")).build();
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertEquals("POST /expect:payload", r.body());
        }
    }
}
