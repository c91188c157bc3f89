package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps.Streamed;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Chunked bodies in both directions with the JDK's HttpClient: a request body of unknown length goes
 * out chunked and reaches the application de-chunked; the application streams it back without a
 * length, so the response is chunked too.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChunkedTransferTest {

    /** Streams the request body back piece by piece, reading wsgi.input while the response is going out. */
    private static final WsgiApp STREAMING_ECHO = (env, sr) -> {
        String framing = env.header("Transfer-Encoding") + ";" + env.contentLength();
        sr.start("200 OK", List.of(Header.of("Content-Type", "application/octet-stream"),
                Header.of("X-Request-Framing", framing)));
        InputStream in = env.input();
        byte[] buf = new byte[4096];
        return new Streamed(i -> {
            int n = in.read(buf);
            return n < 0 ? null : Arrays.copyOf(buf, n);
        });
    };

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void chunkedRequestBodiesAreEchoedAsChunkedResponses(WorkerMode mode) throws Exception {
        Random random = new Random(42);
        try (TestServer server = TestServer.start(STREAMING_ECHO, b -> b.workerMode(mode));
             HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                     .connectTimeout(Duration.ofSeconds(10)).build()) {
            for (int size : new int[] {0, 1, 5000, 300_000}) {
                byte[] payload = new byte[size];
                random.nextBytes(payload);
                HttpRequest request = HttpRequest.newBuilder(server.uri("/echo")).timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(payload))).build();
                HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(200, r.statusCode());
                assertEquals("chunked;-1", r.headers().firstValue("X-Request-Framing").orElse(null),
                        "the request came chunked, without CONTENT_LENGTH");
                if (size > 0) {
                    assertEquals("chunked", r.headers().firstValue("Transfer-Encoding").orElse(null));
                }
                assertArrayEquals(payload, r.body(), "size " + size);
            }
        }
    }
}
