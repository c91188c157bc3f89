package org.minipylib.wsgiserver.server;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minipylib.wsgiserver.testing.ThreadWaits;

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
 * Each test runs waiting on selectors of the transport's own (no loop: pool mode from JDK 24), on a
 * {@link ReadinessLoop} (JDK 24 on) and on a one-shot loop on a platform thread (below JDK 24), where
 * no wait opens a selector (two descriptors).
 */
class UnixSocketTransportTest {

    @TempDir
    Path dir;

    private ServerSocketChannel listener;
    private SocketChannel client;
    private UnixSocketTransport transport;
    private ReadinessLoop loop;

    /** Where the transport waits. */
    enum Waits { OWN_SELECTORS, LOOP, ONE_SHOT_LOOP }

    @BeforeEach
    void connect() throws Exception {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("t.sock"));
        listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(address);
        client = SocketChannel.open(address);
    }

    /** The accepted side, waiting where {@code waits} says. */
    private void accept(Waits waits) throws Exception {
        if (waits == Waits.LOOP) {
            Assumptions.assumeTrue(ReadinessLoop.supported());
            loop = new ReadinessLoop("test-readiness", false); // UNIX sockets wait on its selector
        } else if (waits == Waits.ONE_SHOT_LOOP) {
            loop = ReadinessLoop.oneShotOnPlatformThread("test-one-shot");
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
    @ParameterizedTest
    @EnumSource(Waits.class)
    void writeToAFullSocketWaitsDuringATimedRead(Waits waits) throws Exception {
        accept(waits);
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
        ThreadWaits.awaitWaitingIn(reader, UnixSocketTransport.class, "read", "the reader waiting in its timed read");
        CompletableFuture<Throwable> written = new CompletableFuture<>();
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                transport.write(new byte[8 << 20], 0, 8 << 20); // far more than the socket holds: the client reads nothing
                written.complete(null);
            } catch (Throwable t) {
                written.complete(t);
            }
        });
        ThreadWaits.awaitWaitingIn(writer, UnixSocketTransport.class, "write", "the writer waiting at the full socket");
        assertIdleForASecond(writer, "the writer", "while the socket was full");

        client.write(ByteBuffer.wrap(new byte[] {'x'})); // the read takes it
        assertEquals(null, read.get(5, TimeUnit.SECONDS));
        drain(8 << 20); // and the write completes
        assertEquals(null, written.get(5, TimeUnit.SECONDS));
        reader.join();
        writer.join();
        assertWaitedWhereDue();
    }

    /** A timed read that finds nothing in time fails with a timeout, and the transport still reads and writes. */
    @ParameterizedTest
    @EnumSource(Waits.class)
    void timedReadTimesOutAndTheTransportStaysUsable(Waits waits) throws Exception {
        accept(waits);
        byte[] b = new byte[10];
        assertThrows(SocketTimeoutException.class, () -> transport.read(b, 0, 10, 100));
        client.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertEquals(3, transport.read(b, 0, 10, 1000));
        transport.write(new byte[] {4, 5}, 0, 2);
        drain(2);
        assertWaitedWhereDue();
    }

    /** A file larger than the socket holds goes out whole by the operating system, waiting while the client reads late. */
    @ParameterizedTest
    @EnumSource(Waits.class)
    void fileTransferWaitsForAFullSocket(Waits waits) throws Exception {
        accept(waits);
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
            // The transport may return at a full socket, with the file not ended (Transport.transferFrom:
            // the caller then goes on, as ConnectionOutput does): it then sent something first.
            long sent = 0;
            for (int calls = 0; sent < size && calls < 1000; calls++) sent += transport.transferFrom(channel, sent, size - sent);
            assertEquals(size, sent);
        }
        drained.get(10, TimeUnit.SECONDS);
        assertWaitedWhereDue();
    }

    /**
     * A one-shot loop stops watching a socket once it woke its reader: level-triggered, the socket
     * still readable until its thread reads, and with no yield to that thread (there is none on a
     * platform thread, and on JDK 21 none that works), the loop would otherwise poll it at once,
     * again and again.
     */
    @Test
    void aOneShotLoopDoesNotPollASocketWokenButNotYetRead() throws Exception {
        accept(Waits.ONE_SHOT_LOOP);
        client.write(ByteBuffer.wrap(new byte[] {'x'}));
        transport.awaitReadable(0); // woken: the read comes later
        Thread loopThread = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("test-one-shot")).findFirst().orElseThrow();
        assertIdleForASecond(loopThread, "the loop", "on a socket woken but not read");
        byte[] b = new byte[10];
        assertEquals(1, transport.read(b, 0, 10, 1000));
        assertThrows(SocketTimeoutException.class, () -> transport.read(b, 0, 10, 100)); // watched again, nothing came
        client.write(ByteBuffer.wrap(new byte[] {'y'}));
        assertEquals(1, transport.read(b, 0, 10, 1000));
        assertEquals('y', b[0]);
    }

    /** {@code thread} uses less than 300 ms of CPU in the next second: it waits rather than spins. */
    private static void assertIdleForASecond(Thread thread, String who, String when) throws InterruptedException {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long before = threads.getThreadCpuTime(thread.threadId());
        Thread.sleep(1000);
        long used = threads.getThreadCpuTime(thread.threadId()) - before;
        assertTrue(used < TimeUnit.MILLISECONDS.toNanos(300),
                who + " used " + TimeUnit.NANOSECONDS.toMillis(used) + " ms of CPU in 1 s " + when);
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
