package org.minipylib.wsgiserver.server;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A UNIX socket connection read with a timeout on one thread while another writes to it (over TLS,
 * the close_notify of an idle connection closed while its thread waits for the next request).
 * Each test runs waiting on selectors of the transport's own (no loop: pool mode) and on a
 * {@link ReadinessLoop}, where no wait opens a selector (two descriptors).
 */
class UnixSocketTransportTest {

    @TempDir
    Path dir;

    private ServerSocketChannel listener;
    private SocketChannel client;
    private UnixSocketTransport transport;
    private ReadinessLoop loop;

    @BeforeEach
    void connect() throws Exception {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("t.sock"));
        listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(address);
        client = SocketChannel.open(address);
    }

    /** The accepted side, waiting on a readiness loop if {@code onLoop}. */
    private void accept(boolean onLoop) throws Exception {
        if (onLoop) {
            Assumptions.assumeTrue(ReadinessLoop.supported());
            loop = new ReadinessLoop("test-readiness", false); // UNIX sockets wait on its selector
        }
        transport = new UnixSocketTransport(listener.accept(), false, null, loop);
    }

    /** The waits were on the transport's own selectors without a loop; on the loop with one (opening none: two descriptors each). */
    private void assertWaitedWhereDue() {
        assertEquals(loop == null, transport.ownSelectorOpened());
    }

    @AfterEach
    void close() throws Exception {
        if (transport != null) transport.close();
        if (loop != null) loop.close();
        client.close();
        listener.close();
    }

    /**
     * A write to a client that does not read waits while a timed read waits too: it used to find
     * the channel turned non-blocking by the read and retry at once, a core's worth of CPU until
     * the read ended.
     */
    @ParameterizedTest(name = "on a loop: {0}")
    @ValueSource(booleans = {false, true})
    void writeToAFullSocketWaitsDuringATimedRead(boolean onLoop) throws Exception {
        accept(onLoop);
        CountDownLatch reading = new CountDownLatch(1);
        CompletableFuture<Throwable> read = new CompletableFuture<>();
        Thread reader = Thread.ofPlatform().start(() -> {
            reading.countDown();
            try {
                transport.read(new byte[100], 0, 100, 10_000);
                read.complete(null);
            } catch (Throwable t) {
                read.complete(t);
            }
        });
        reading.await();
        Thread.sleep(100); // the read waits now
        CompletableFuture<Throwable> written = new CompletableFuture<>();
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                transport.write(new byte[8 << 20], 0, 8 << 20); // far more than the socket holds: the client reads nothing
                written.complete(null);
            } catch (Throwable t) {
                written.complete(t);
            }
        });
        Thread.sleep(300); // the socket is full by now
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long before = threads.getThreadCpuTime(writer.threadId());
        Thread.sleep(1000);
        long used = threads.getThreadCpuTime(writer.threadId()) - before;
        assertTrue(used < TimeUnit.MILLISECONDS.toNanos(300),
                "the writer used " + TimeUnit.NANOSECONDS.toMillis(used) + " ms of CPU in 1 s while the socket was full");

        client.write(ByteBuffer.wrap(new byte[] {'x'})); // the read takes it
        assertEquals(null, read.get(5, TimeUnit.SECONDS));
        drain(8 << 20); // and the write completes
        assertEquals(null, written.get(5, TimeUnit.SECONDS));
        reader.join();
        writer.join();
        assertWaitedWhereDue();
    }

    /** A timed read that finds nothing in time fails with a timeout, and the transport still reads and writes. */
    @ParameterizedTest(name = "on a loop: {0}")
    @ValueSource(booleans = {false, true})
    void timedReadTimesOutAndTheTransportStaysUsable(boolean onLoop) throws Exception {
        accept(onLoop);
        byte[] b = new byte[10];
        assertThrows(SocketTimeoutException.class, () -> transport.read(b, 0, 10, 100));
        client.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertEquals(3, transport.read(b, 0, 10, 1000));
        transport.write(new byte[] {4, 5}, 0, 2);
        drain(2);
        assertWaitedWhereDue();
    }

    /** A file larger than the socket holds goes out whole by the operating system, waiting while the client reads late. */
    @ParameterizedTest(name = "on a loop: {0}")
    @ValueSource(booleans = {false, true})
    void fileTransferWaitsForAFullSocket(boolean onLoop) throws Exception {
        accept(onLoop);
        int size = 4 << 20;
        Path file = dir.resolve("f");
        Files.write(file, new byte[size]);
        CompletableFuture<Void> drained = CompletableFuture.runAsync(() -> {
            try {
                Thread.sleep(200); // the socket fills meanwhile
                drain(size);
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        });
        try (FileChannel channel = FileChannel.open(file)) {
            assertEquals(size, transport.transferFrom(channel, 0, size));
        }
        drained.get(10, TimeUnit.SECONDS);
        assertWaitedWhereDue();
    }

    private void drain(int bytes) throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        for (int got = 0; got < bytes; ) {
            buf.clear();
            int n = client.read(buf);
            assertTrue(n > 0, "the connection ended early");
            got += n;
        }
    }
}
