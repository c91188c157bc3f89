package org.minipylib.wsgiserver.server;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.minipylib.wsgiserver.ByteBufferBody;
import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.StartResponse;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.tls.JsseSslAdapter;

import javax.net.ssl.SSLContext;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Large bodies make the whole round trip byte for byte: an application reads a multi-MiB request
 * body to its end and echoes it, to a client that sends all of it before it reads. Every way in
 * (64 KiB reads of the stream, reads of the channel into direct buffers) and out (a list of arrays,
 * a {@link ByteBufferBody}), in both worker modes, on a plain socket and over TLS, on a connection's
 * first request (blocking reads) and on later ones (which wait on the readiness loop, where the
 * socket calls are the server's own). A body that ends early or a response cut short fails here.
 */
@Timeout(120)
class LargeBodyRoundTripTest {

    private static final int BODY_SIZE = 6 << 20; // more than loopback's socket buffers hold
    private static final int BLOCK = 64 * 1024;
    private static final byte[] BODY = new byte[BODY_SIZE];

    @TempDir
    static Path dir;
    private static TestCertificates.LocalhostTls tls;

    @BeforeAll
    static void setUp() throws Exception {
        new Random(20261205).nextBytes(BODY);
        tls = TestCertificates.localhostTls(dir, "large-body-ca");
    }

    /** How the application reads the body and answers with it. */
    enum Echo {
        /** {@code InputStream.readNBytes} of 64 KiB blocks; the blocks are the response (a list). */
        STREAM_BLOCKS {
            @Override
            Iterable<byte[]> answer(Environ environ, List<Header> headers, StartResponse start) throws IOException {
                InputStream in = environ.input();
                List<byte[]> blocks = new ArrayList<>();
                while (true) {
                    byte[] block = new byte[BLOCK];
                    int n = in.readNBytes(block, 0, BLOCK);
                    if (n > 0) blocks.add(n == BLOCK ? block : Arrays.copyOf(block, n));
                    if (n < BLOCK) break;
                }
                start.start("200 OK", headers);
                return blocks;
            }
        },
        /** {@code Environ.inputChannel()} into direct buffers of 64 KiB; they are the response ({@link ByteBufferBody}). */
        CHANNEL_DIRECT_BUFFERS {
            @Override
            Iterable<byte[]> answer(Environ environ, List<Header> headers, StartResponse start) throws IOException {
                ReadableByteChannel in = environ.inputChannel();
                List<ByteBuffer> buffers = new ArrayList<>();
                while (true) {
                    ByteBuffer buffer = ByteBuffer.allocateDirect(BLOCK);
                    while (buffer.hasRemaining() && in.read(buffer) >= 0) {
                        // until the buffer is full or the body ends
                    }
                    buffer.flip();
                    if (buffer.hasRemaining()) buffers.add(buffer);
                    if (buffer.limit() < BLOCK) break;
                }
                start.start("200 OK", headers);
                return ByteBufferBody.of(buffers);
            }
        };

        abstract Iterable<byte[]> answer(Environ environ, List<Header> headers, StartResponse start)
                throws IOException;

        WsgiApp app() {
            return (environ, start) -> {
                return answer(environ, List.of(Header.of("Content-Type", "application/octet-stream")), start);
            };
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (WorkerMode mode : WorkerMode.values()) {
            for (Echo echo : Echo.values()) {
                for (boolean overTls : new boolean[] {false, true}) cases.add(Arguments.of(mode, echo, overTls));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} tls={2}")
    @MethodSource("cases")
    void threeLargeEchoesOnOneConnectionArriveByteForByte(WorkerMode mode, Echo echo, boolean overTls) throws Exception {
        JsseSslAdapter adapter = overTls ? new JsseSslAdapter(tls.server()) : null;
        try (TestServer server = TestServer.start(echo.app(), b -> b.workerMode(mode).sslAdapter(adapter));
             Socket socket = connect(server.port(), overTls ? tls.client() : null)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            for (int i = 1; i <= 3; i++) {
                boolean last = i == 3;
                out.write(("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + BODY_SIZE + "\r\n"
                        + (last ? "Connection: close\r\n" : "") + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(BODY);
                out.flush();
                String head = readHead(in);
                assertTrue(head.startsWith("HTTP/1.1 200 "), head);
                assertTrue(head.contains("\r\nContent-Length: " + BODY_SIZE + "\r\n"), head);
                byte[] body = in.readNBytes(BODY_SIZE);
                assertEquals(BODY_SIZE, body.length, "request " + i + ": the response body ended early");
                assertArrayEquals(BODY, body, "request " + i);
            }
            assertEquals(-1, in.read(), "the connection ends after the Connection: close response");
        }
    }

    private static Socket connect(int port, SSLContext tlsClient) throws IOException {
        if (tlsClient == null) return new Socket("127.0.0.1", port);
        return tlsClient.getSocketFactory().createSocket("127.0.0.1", port);
    }

    /** Reads up to and including the blank line that ends a response head. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int c = in.read();
            if (c < 0) throw new EOFException("end of stream in a response head: " + head);
            head.write(c);
            matched = c == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : (c == '\r' ? 1 : 0);
            if (head.size() > 8192) throw new IOException("response head too long");
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}
