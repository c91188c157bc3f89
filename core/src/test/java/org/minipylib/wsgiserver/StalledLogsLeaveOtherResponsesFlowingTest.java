package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.minipylib.wsgiserver.testing.CarrierPinning.CARRIERS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A log written to a pipe whose reader stalls (stdout piped to a log collector that hangs) holds
 * up the threads that log, not the others: with virtual workers, more threads waiting to log than
 * the virtual threads' carriers still leave one to send another response. Before JDK 24 a virtual
 * thread that waits inside {@code synchronized}, or to enter it, pins its carrier (JEP 491), so the
 * access log and {@code wsgi.errors} must not wait under a monitor of their own.
 *
 * <p>(A request's access-log entry is written before the end of its connection's turn flushes the
 * last of its response: the large response below is checked as it flows, not whole.)
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a regression that hangs a stop fails here, not the whole suite
class StalledLogsLeaveOtherResponsesFlowingTest {

    private static final int LOGGERS = CARRIERS + 1;
    private static final int BIG = 4 << 20;
    private static final int FLOWING = 1 << 20; // well past the server's buffers: it was sent, not buffered
    private static final int WITHIN_MILLIS = 5000;

    private final CountDownLatch errorWriters = new CountDownLatch(LOGGERS);
    private final WsgiApp app = (env, sr) -> {
        if (env.pathInfo().equals("/error")) {
            errorWriters.countDown();
            env.errors().println("an error line");
        }
        int size = env.pathInfo().equals("/big") ? BIG : 2;
        sr.start("200 OK", List.of(new Header("Content-Length", Integer.toString(size))));
        return Collections.nCopies(size / 2, new byte[2]);
    };

    @Test
    void aStreamToAPipeThatIsNotRead() throws Exception {
        Pipe pipe = Pipe.open();
        fill(pipe.sink()); // the reader never reads: every line waits
        try {
            assertALargeResponseFlowsWhileMoreThreadsThanCarriersWaitToLog(
                    AccessLog.to(new PrintStream(new SinkStream(pipe.sink()), true)));
        } finally {
            pipe.source().close(); // the waiting log lines fail: the threads go on
            pipe.sink().close();
        }
    }

    /** A log "file" that is a named pipe, as {@code /dev/stdout} is when piped to another process. */
    @Test
    void aFileThatIsANamedPipeThatIsNotRead(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("access.log");
        int made;
        try {
            made = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor();
        } catch (IOException e) {
            made = -1;
        }
        assumeTrue(made == 0, "mkfifo makes a named pipe here");
        CompletableFuture<InputStream> reader = CompletableFuture.supplyAsync(() -> open(fifo)); // opens once a writer does
        AccessLog log = AccessLog.toFile(fifo);
        InputStream unread = reader.get(5, TimeUnit.SECONDS);
        try (OutputStream filler = new FileOutputStream(fifo.toFile())) {
            Thread fill = Thread.ofPlatform().daemon().start(() -> {
                try {
                    filler.write(new byte[64 * 1024]); // a pipe's default capacity on Linux: full then
                } catch (IOException e) {
                    // the reader closed
                }
            });
            fill.join(2000);
            assertALargeResponseFlowsWhileMoreThreadsThanCarriersWaitToLog(log);
        } finally {
            unread.close(); // the log lines still waiting fail: their threads go on
            log.close();
        }
    }

    /**
     * {@code wsgi.errors}, whose logger's handler waits (it would write to a pipe that is not read).
     * Its PrintStream lets one thread at a time into the stream underneath, so a monitor there pins
     * one carrier at most: the test pins the others itself (as other code on virtual threads may).
     */
    @Test
    void wsgiErrorsWhoseLoggerWaits() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Handler stalled = new Handler() {
            @Override
            public void publish(LogRecord record) {
                await(release);
            }

            @Override public void flush() { }
            @Override public void close() { }
        };
        Logger errors = Logger.getLogger("org.minipylib.wsgiserver.errors");
        boolean parentHandlers = errors.getUseParentHandlers();
        errors.addHandler(stalled);
        errors.setUseParentHandlers(false);
        CountDownLatch pinned = new CountDownLatch(CARRIERS - 1);
        try {
            for (int i = 0; i < CARRIERS - 1; i++) {
                Thread.ofVirtual().start(() -> {
                    synchronized (new Object()) { // pins its carrier before JDK 24
                        pinned.countDown();
                        await(release);
                    }
                });
            }
            assertTrue(pinned.await(5, TimeUnit.SECONDS));
            assertALargeResponseFlowsWhileMoreThreadsThanCarriersWaitToLog(b -> b, "/error", errorWriters);
        } finally {
            release.countDown();
            errors.removeHandler(stalled);
            errors.setUseParentHandlers(parentHandlers);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static InputStream open(Path fifo) {
        try {
            return new FileInputStream(fifo.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void assertALargeResponseFlowsWhileMoreThreadsThanCarriersWaitToLog(AccessLog stalled) throws Exception {
        CountDownLatch logging = new CountDownLatch(LOGGERS);
        AccessLog log = entry -> {
            if (!entry.requestLine().contains("/big")) logging.countDown();
            stalled.log(entry);
        };
        assertALargeResponseFlowsWhileMoreThreadsThanCarriersWaitToLog(b -> b.accessLog(log), "/small", logging);
    }

    /**
     * @param logging counted down by each request for {@code path} as it begins to log: {@value #LOGGERS} of them
     */
    private void assertALargeResponseFlowsWhileMoreThreadsThanCarriersWaitToLog(
            UnaryOperator<WsgiServer.Builder> stalledLog, String path, CountDownLatch logging) throws Exception {
        List<RawClient> clients = new ArrayList<>();
        try (TestServer server = TestServer.start(app, b -> stalledLog.apply(b.workerMode(WorkerMode.VIRTUAL)
                .shutdownTimeout(Duration.ofSeconds(1))))) {
            for (int i = 0; i < LOGGERS; i++) {
                RawClient c = server.connect();
                clients.add(c);
                c.send("GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n");
            }
            // Where the waits pin the carriers, the threads that come after them never reach the log.
            logging.await(5, TimeUnit.SECONDS);
            try (RawClient c = server.connect()) {
                c.timeout(WITHIN_MILLIS).send("GET /big HTTP/1.1\r\nHost: h\r\n\r\n");
                InputStream in = c.input();
                byte[] buffer = new byte[64 * 1024];
                long received = 0;
                while (received < FLOWING) {
                    int n = in.read(buffer);
                    assertTrue(n > 0, "the large response ended early");
                    received += n;
                }
            } catch (SocketTimeoutException e) {
                fail("the large response stopped within " + WITHIN_MILLIS + " ms while "
                        + (LOGGERS - logging.getCount()) + " threads wait to log (" + CARRIERS
                        + " carriers): the waits pin them");
            }
            assertEquals(0, logging.getCount(), "every thread of a request for " + path + " reached the log");
        } finally {
            for (RawClient c : clients) c.close();
        }
    }

    /** Writes into the sink until the pipe is full. */
    private static void fill(Pipe.SinkChannel sink) throws IOException {
        sink.configureBlocking(false);
        ByteBuffer block = ByteBuffer.allocate(4096);
        for (int i = 0; i < 1024 && sink.write(block.clear()) > 0; i++) {
            // full at 64 KiB or so on Linux
        }
        sink.configureBlocking(true);
    }

    /** An output stream over the sink without a lock of its own, as a file's stream is. */
    private static final class SinkStream extends OutputStream {
        private final Pipe.SinkChannel sink;

        SinkStream(Pipe.SinkChannel sink) {
            this.sink = sink;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
            while (buffer.hasRemaining()) sink.write(buffer);
        }
    }
}
