package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.http.MinDataRate;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;

import java.io.FilterInputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.minipylib.wsgiserver.testing.CarrierPinning.CARRIERS;
import static org.minipylib.wsgiserver.testing.CarrierPinning.assertAnsweredWhile;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Environ#inputChannel()} over a {@code wsgi.input} a middleware replaced: reads that wait
 * for slow clients, more of them than the virtual threads' carriers, leave the server answering.
 * The JDK's {@code Channels.newChannel(InputStream)} reads under a monitor, and before JDK 24 a
 * virtual thread that waits inside {@code synchronized} pins its carrier (JEP 491).
 */
class WrappedInputChannelWaitsLeaveTheServerAnsweringTest {

    private static final int ANSWER_WITHIN_MILLIS = 5000;

    @Test
    void stalledUploadsReadThroughTheChannelLeaveTheServerAnswering() throws Exception {
        CountDownLatch reading = new CountDownLatch(2 * CARRIERS);
        WsgiApp app = (env, sr) -> {
            if (env.pathInfo().equals("/upload")) {
                env.put(Environ.WSGI_INPUT, new FilterInputStream(env.input()) { }); // as a middleware may
                ReadableByteChannel in = env.inputChannel();
                ByteBuffer buffer = ByteBuffer.allocate(4096);
                boolean first = true;
                while (in.read(buffer.clear()) >= 0) { // the client sends a few bytes and stalls
                    if (first) reading.countDown();
                    first = false;
                }
            }
            sr.start("200 OK", List.of(new Header("Content-Length", "2")));
            return List.of("hi".getBytes());
        };
        List<RawClient> slow = new ArrayList<>();
        try (TestServer server = TestServer.start(app, b -> b.workerMode(WorkerMode.VIRTUAL)
                .timeouts(HttpTimeouts.all(Duration.ofSeconds(60)).withMinBodyRate(MinDataRate.NONE)) // the clients stall throughout
                .shutdownTimeout(Duration.ofSeconds(1)))) {
            try {
                for (int i = 0; i < 2 * CARRIERS; i++) {
                    RawClient c = server.connect();
                    slow.add(c);
                    c.send("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\n0123456789");
                }
                // Where the waits pin the carriers, the uploads that come after them are not even read.
                boolean allReading = reading.await(5, TimeUnit.SECONDS);
                Thread.sleep(300); // lets the reads reach their waits
                assertAnsweredWhile(server.connect(), "/", "hi", ANSWER_WITHIN_MILLIS,
                        () -> (2 * CARRIERS - reading.getCount()) + " uploads wait in the channel's reads");
                assertTrue(allReading, "every upload was read");
            } finally {
                for (RawClient c : slow) c.close(); // ends the reads
            }
        }
    }
}
