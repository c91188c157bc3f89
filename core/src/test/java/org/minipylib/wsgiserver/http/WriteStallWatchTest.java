package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The watchdog times a write to the client from the moment it first sees it running (the writer
 * reads no clock), keeps that time while the same write stays blocked, and starts anew for each
 * slice of a large body, so that a slow but steady reader is never cut off.
 */
class WriteStallWatchTest {

    /** A transport whose writes each block until the test lets them through. */
    private static final class GatedTransport implements Transport {
        final Semaphore gate = new Semaphore(0);
        final AtomicInteger writesBegun = new AtomicInteger();

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            writesBegun.incrementAndGet();
            try {
                if (!gate.tryAcquire(10, TimeUnit.SECONDS)) throw new IOException("test gate never opened");
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        }

        @Override public int read(byte[] b, int off, int len, int timeoutMillis) { return -1; }
        @Override public boolean hasPendingInput() { return false; }
        @Override public void shutdownOutput() { }
        @Override public SocketAddress localAddress() { return new InetSocketAddress("127.0.0.1", 80); }
        @Override public SocketAddress remoteAddress() { return new InetSocketAddress("127.0.0.1", 40000); }
        @Override public String scheme() { return "http"; }
        @Override public void close() { }
    }

    private static void awaitWritesBegun(GatedTransport transport, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (transport.writesBegun.get() < n && System.nanoTime() < deadline) Thread.sleep(1);
        assertEquals(n, transport.writesBegun.get(), "writes begun");
    }

    @Test
    @Timeout(20)
    void blockedWriteIsTimedFromWhenTheWatchdogFirstSawItAndEachSliceAnew() throws Exception {
        GatedTransport transport = new GatedTransport();
        ConnectionOutput output = new ConnectionOutput(transport, 1024);
        assertEquals(0, output.writeSeenSince(1_000), "not writing");

        byte[] body = new byte[70 * 1024]; // three slices of at most 32 KiB
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                output.write(body, 0, body.length);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });

        awaitWritesBegun(transport, 1);
        long first = output.writeSeenSince(1_000);
        assertTrue(first - 1_000 >= 0 && first - 1_000 < 4, "stamped with the watchdog's clock at its first look: " + first);
        assertEquals(first, output.writeSeenSince(9_000_000_000L), "the same blocked write keeps its stamp");

        transport.gate.release(); // the first slice goes out; the second blocks
        awaitWritesBegun(transport, 2);
        long second = output.writeSeenSince(12_000_000_000L);
        assertTrue(second - 12_000_000_000L >= 0 && second - 12_000_000_000L < 4, "a new slice is a new write: " + second);

        transport.gate.release(2);
        writer.join(TimeUnit.SECONDS.toMillis(10));
        assertEquals(3, transport.writesBegun.get(), "three slices");
        assertEquals(0, output.writeSeenSince(13_000_000_000L), "not writing any more");
    }
}
