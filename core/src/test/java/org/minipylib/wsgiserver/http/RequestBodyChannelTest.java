package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.PieceTransport;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.post;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.postChunked;

/**
 * {@link Environ#inputChannel()} reads the request body into {@link ByteBuffer}s (direct ones
 * straight from the socket once nothing is buffered): the same bytes as the stream, never past the
 * body's end into a pipelined request, with chunked bodies, {@code 100 Continue}, a truncated body,
 * and a middleware's own stream.
 */
class RequestBodyChannelTest {

    private static final List<Header> OCTETS = List.of(Header.of("Content-Type", "application/octet-stream"));

    /** Reads the whole body through the channel into a direct buffer of {@code bufferSize}, and sends it back. */
    private static WsgiApp channelEcho(int bufferSize) {
        return channelEcho(bufferSize, true);
    }

    /** As {@link #channelEcho(int)}, into a heap buffer unless {@code direct}. */
    private static WsgiApp channelEcho(int bufferSize, boolean direct) {
        return (env, sr) -> {
            ReadableByteChannel in = env.inputChannel();
            ByteBuffer buffer = direct ? ByteBuffer.allocateDirect(bufferSize) : ByteBuffer.allocate(bufferSize);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (in.read(buffer) >= 0) {
                buffer.flip();
                byte[] bytes = new byte[buffer.remaining()];
                buffer.get(bytes);
                body.write(bytes);
                buffer.clear();
            }
            sr.start("200 OK", OCTETS);
            return List.of(body.toByteArray());
        };
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] bytes = new byte[n];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static byte[] postHead(int length) {
        return ("POST /up HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aLargeBodyArrivesWholeInADirectBuffer(WorkerMode mode) throws Exception {
        byte[] body = randomBytes(3 * 1024 * 1024 + 17, 1);
        try (TestServer server = TestServer.start(channelEcho(256 * 1024), b -> b.workerMode(mode));
             RawClient client = server.connect()) {
            for (int i = 0; i < 3; i++) { // later requests come after an idle wait: in virtual-thread mode another path
                client.send(postHead(body.length));
                client.send(body);
                RawClient.Response r = client.read();
                assertEquals(200, r.status());
                assertArrayEquals(body, r.body(), "request " + i);
            }
        }
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"VIRTUAL, true", "VIRTUAL, false", "POOL, true", "POOL, false"})
    void everyByteReadIntoBuffersIsCounted(WorkerMode mode, boolean direct) throws Exception {
        byte[] body = randomBytes(500_000, 4);
        try (TestServer server = TestServer.start(channelEcho(128 * 1024, direct), b -> b.workerMode(mode))) {
            long sent = 0;
            try (RawClient client = server.connect()) {
                for (int i = 0; i < 2; i++) { // the second one on the readiness loop in virtual-thread mode
                    byte[] head = postHead(body.length);
                    client.send(head);
                    client.send(body);
                    sent += head.length + body.length;
                    assertEquals(body.length, client.read().body().length);
                }
            }
            var stats = org.minipylib.wsgiserver.testing.Poll.until(() -> server.server().statistics(),
                    st -> st.requests() == 2 && st.openConnections() == 0, "two responses, no open connection");
            assertEquals(sent, stats.bytesRead());
        }
    }

    /** A body large enough to be read straight from the socket, with the next request right behind it. */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aLargeDirectReadStopsAtTheBodysEndToo(WorkerMode mode) throws Exception {
        byte[] body = randomBytes(100_000, 5);
        try (TestServer server = TestServer.start(channelEcho(256 * 1024), b -> b.workerMode(mode));
             RawClient client = server.connect()) {
            client.send(get("/first")); // after it the connection waits idle: on the readiness loop in virtual-thread mode
            assertEquals(200, client.read().status());
            byte[] next = get("/next").getBytes(StandardCharsets.US_ASCII);
            byte[] head = postHead(body.length);
            byte[] all = new byte[head.length + body.length + next.length];
            System.arraycopy(head, 0, all, 0, head.length);
            System.arraycopy(body, 0, all, head.length, body.length);
            System.arraycopy(next, 0, all, head.length + body.length, next.length);
            client.send(all);
            assertArrayEquals(body, client.read().body());
            RawClient.Response r = client.read();
            assertEquals(200, r.status());
            assertEquals("", r.bodyText(), "the request behind the body was read as a request, not as body");
        }
    }

    /** A read-only buffer is refused before a byte is taken: the connection stays in step. */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aReadOnlyBufferIsRefusedBeforeAnyByteIsRead(WorkerMode mode) throws Exception {
        WsgiApp app = (env, sr) -> {
            String refused = "";
            for (ByteBuffer readOnly : List.of(ByteBuffer.allocate(70_000).asReadOnlyBuffer(),
                    ByteBuffer.allocateDirect(70_000).asReadOnlyBuffer())) {
                try {
                    env.inputChannel().read(readOnly);
                } catch (IllegalArgumentException e) {
                    refused += "refused ";
                }
            }
            byte[] body = env.input().readAllBytes(); // every byte is still there
            sr.start("200 OK", OCTETS);
            return List.of(refused.getBytes(StandardCharsets.US_ASCII), String.valueOf(body.length).getBytes(StandardCharsets.US_ASCII));
        };
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode)); RawClient client = server.connect()) {
            for (int i = 0; i < 2; i++) { // a fresh connection's blocking read, then the readiness loop's
                client.send(postHead(60_000));
                client.send(randomBytes(60_000, 6));
                assertEquals("refused refused 60000", client.read().bodyText());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aReadStopsAtTheBodysEndNotInTheNextRequest(WorkerMode mode) throws Exception {
        try (TestServer server = TestServer.start(channelEcho(64 * 1024), b -> b.workerMode(mode));
             RawClient client = server.connect()) {
            client.send(post("/up", "0123456789") + get("/next")); // one write: both requests are in the buffer
            assertEquals("0123456789", client.read().bodyText());
            RawClient.Response next = client.read();
            assertEquals(200, next.status());
            assertEquals("", next.bodyText(), "the second request had no body: the first read took none of its bytes");
        }
    }

    @Test
    void aChunkedBodyIsReadIntoADirectBuffer() throws Exception {
        String big = "x".repeat(40_000);
        try (TestServer server = TestServer.start(channelEcho(8192)); RawClient client = server.connect()) {
            client.send(postChunked("/up", "hello ", big, " world"));
            assertEquals("hello " + big + " world", client.read().bodyText());
        }
    }

    @Test
    void expectContinueIsAnsweredBeforeTheFirstRead() throws Exception {
        try (TestServer server = TestServer.start(channelEcho(1024)); RawClient client = server.connect()) {
            client.send("POST /up HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
            assertEquals("HTTP/1.1 100 Continue", client.readLine());
            assertEquals("", client.readLine());
            client.send("hello");
            assertEquals("hello", client.read().bodyText());
        }
    }

    @Test
    void aBodyThatEndsBeforeItsContentLengthIsA400() throws Exception {
        try (TestServer server = TestServer.start(channelEcho(1024 * 1024)); RawClient client = server.connect()) {
            client.send(postHead(100_000));
            client.send(randomBytes(70_000, 2));
            client.socket().shutdownOutput();
            assertEquals(400, client.read().status());
        }
    }

    @Test
    void theChannelAndTheStreamShareOnePositionAndAClosedChannelReadsNoMore() throws Exception {
        WsgiApp app = (env, sr) -> {
            byte[] start = env.input().readNBytes(3);
            ReadableByteChannel in = env.inputChannel();
            ByteBuffer buffer = ByteBuffer.allocateDirect(4);
            in.read(buffer);
            in.close();
            assertThrows(ClosedChannelException.class, () -> in.read(ByteBuffer.allocate(1)));
            byte[] rest = env.input().readAllBytes(); // the stream goes on where the channel stopped
            buffer.flip();
            byte[] middle = new byte[buffer.remaining()];
            buffer.get(middle);
            sr.start("200 OK", OCTETS);
            return List.of(start, "|".getBytes(StandardCharsets.US_ASCII), middle, "|".getBytes(StandardCharsets.US_ASCII), rest);
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.send(post("/up", "abcdefghij"));
            assertEquals("abc|defg|hij", client.read().bodyText());
        }
    }

    @Test
    void aMiddlewaresOwnStreamIsReadThroughTheChannelToo() throws Exception {
        WsgiApp inner = channelEcho(16);
        WsgiApp replacing = (env, sr) -> {
            env.put(Environ.WSGI_INPUT, new ByteArrayInputStream("replaced body".getBytes(StandardCharsets.US_ASCII)));
            return inner.call(env, sr);
        };
        try (TestServer server = TestServer.start(replacing); RawClient client = server.connect()) {
            client.send(post("/up", "original"));
            assertEquals("replaced body", client.read().bodyText());
        }
    }

    /**
     * The unit underneath: a Content-Length body read into a buffer larger than the body leaves the
     * rest alone, whether the bytes come through the connection's buffer (4-byte reads and larger
     * ones alike: 64), or, for reads at least its size (4), into a heap buffer's array, or into a
     * direct buffer through the input's scratch array (this transport cannot read into buffers).
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"4, true", "4, false", "64, true", "64, false"})
    void aFixedLengthReadIntoABufferTakesOnlyTheBodysBytes(int inputBufferSize, boolean direct) throws IOException {
        byte[] wire = "helloNEXT".getBytes(StandardCharsets.US_ASCII);
        PieceTransport transport = new PieceTransport(wire, new Random(3), 4);
        ConnectionInput input = new ConnectionInput(transport, new ConnectionOutput(transport, 64), inputBufferSize, inputBufferSize);
        FixedLengthInputStream body = new FixedLengthInputStream(input, 5, 1000);
        ByteBuffer buffer = (direct ? ByteBuffer.allocateDirect(100) : ByteBuffer.allocate(100)).limit(50);
        while (body.read(buffer) >= 0) {
            assertTrue(buffer.position() <= 5);
        }
        assertEquals(5, buffer.position());
        assertEquals(50, buffer.limit(), "the buffer's limit is restored");
        assertEquals("hello", StandardCharsets.US_ASCII.decode(buffer.flip()).toString());
        byte[] rest = new byte[4];
        int n = 0;
        while (n < 4) n += input.read(rest, n, 4 - n, 1000);
        assertEquals("NEXT", new String(rest, StandardCharsets.US_ASCII));
    }
}
