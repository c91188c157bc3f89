package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.wsgi.WsgiGateway;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The watchdog times a write to the client from the moment it first sees it running (the writer
 * reads no clock), keeps that time while the same write stays blocked, and starts anew for each
 * slice of a large body, so that a slow but steady reader is never cut off. And a response whose
 * last write waited for the client does not eat into the keep-alive time that follows it.
 */
class WriteStallWatchTest {

    /**
     * A transport whose writes each block until the test lets them through; its first read
     * delivers {@code request} (if any), later reads wait until the test ends.
     */
    private static class GatedTransport implements Transport {
        final Semaphore gate = new Semaphore(0);
        final AtomicInteger writesBegun = new AtomicInteger();
        final AtomicInteger readsBegun = new AtomicInteger();
        final CountDownLatch ended = new CountDownLatch(1);
        private final byte[] request;

        GatedTransport(String request) {
            this.request = request.getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            writesBegun.incrementAndGet();
            try {
                if (!gate.tryAcquire(10, TimeUnit.SECONDS)) throw new IOException("test gate never opened");
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len, int timeoutMillis) throws IOException {
            if (readsBegun.incrementAndGet() == 1 && request.length > 0) {
                System.arraycopy(request, 0, b, off, request.length);
                return request.length;
            }
            try {
                ended.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            return -1;
        }

        @Override public boolean hasPendingInput() { return false; }
        @Override public void shutdownOutput() throws IOException { }
        @Override public SocketAddress localAddress() { return new InetSocketAddress("127.0.0.1", 80); }
        @Override public SocketAddress remoteAddress() { return new InetSocketAddress("127.0.0.1", 40000); }
        @Override public String scheme() { return "http"; }
        @Override public void close() { ended.countDown(); }
    }

    /**
     * A {@link GatedTransport} that says goodbye before closing (as TLS does with close_notify) and
     * whose goodbye stalls, as one into a full send buffer would, until the transport is closed.
     */
    private static class StalledCloseTransport extends GatedTransport {
        final CountDownLatch shutdownBegun = new CountDownLatch(1);

        StalledCloseTransport(String request) {
            super(request);
        }

        @Override
        public boolean closesWithMessage() {
            return true;
        }

        @Override
        public void shutdownOutput() throws IOException {
            shutdownBegun.countDown();
            try {
                if (!ended.await(10, TimeUnit.SECONDS)) throw new IOException("never closed");
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            throw new IOException("closed while writing");
        }
    }

    /** A connection over {@code transport} whose application answers "hello". */
    private static HttpConnection helloConnection(Transport transport, HttpTimeouts timeouts) {
        HttpSettings settings = new HttpSettings(HttpLimits.defaults(), timeouts, null, null);
        WsgiApp hello = (env, sr) -> {
            sr.start("200 OK", List.of());
            return List.of("hello".getBytes(StandardCharsets.US_ASCII));
        };
        return new HttpConnection(transport, new WsgiGateway(hello, null, "test"), settings, new ConnectionOwner() {
            @Override public boolean isDraining() { return false; }
            @Override public void connectionClosed(HttpConnection c) { }
        });
    }

    private static void awaitCount(AtomicInteger count, int n, String what) throws InterruptedException {
        int reached = Poll.until(count::get, c -> c >= n, what + " (" + n + ")");
        assertEquals(n, reached, what);
    }

    @Test
    @Timeout(20)
    void blockedWriteIsTimedFromWhenTheWatchdogFirstSawItAndEachSliceAnew() throws Exception {
        GatedTransport transport = new GatedTransport("");
        ConnectionOutput output = new ConnectionOutput(transport, 1024);
        assertEquals(0, output.writeSeenSince(), "not writing");

        byte[] body = new byte[70 * 1024]; // three slices of at most 32 KiB
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                output.write(body, 0, body.length);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });

        awaitCount(transport.writesBegun, 1, "writes begun");
        long before = System.nanoTime();
        long first = output.writeSeenSince();
        long after = System.nanoTime();
        assertTrue(first - before >= 0 && first - after <= 2, "stamped with the clock at the watchdog's first look");
        Thread.sleep(20);
        assertEquals(first, output.writeSeenSince(), "the same blocked write keeps its stamp");

        transport.gate.release(); // the first slice goes out; the second blocks
        awaitCount(transport.writesBegun, 2, "writes begun");
        long again = System.nanoTime();
        long second = output.writeSeenSince();
        assertTrue(second - again >= 0 && second - first > 0, "a new slice is a new write, stamped anew");

        transport.gate.release(2);
        writer.join(TimeUnit.SECONDS.toMillis(10));
        assertEquals(3, transport.writesBegun.get(), "three slices");
        assertEquals(0, output.writeSeenSince(), "not writing any more");
    }

    /**
     * The clean close after a last response (over TLS a close_notify, written past the connection's
     * output) is timed like any write: a client that stopped reading cannot hold it for good.
     */
    @Test
    @Timeout(20)
    void aStalledCloseNotifyIsCutAtTheWriteTimeout() throws Exception {
        StalledCloseTransport transport = new StalledCloseTransport("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        transport.gate.release(100); // the response itself goes out
        HttpConnection connection = helloConnection(transport, HttpTimeouts.defaults().withWrite(Duration.ofSeconds(5)));
        Thread serving = Thread.ofVirtual().start(() -> {
            if (connection.awaitRequest()) connection.serve();
        });
        try {
            assertTrue(transport.shutdownBegun.await(10, TimeUnit.SECONDS), "the clean close began");
            long now = System.nanoTime();
            assertFalse(connection.checkTimeouts(now), "the watchdog sees the close's write running");
            assertTrue(connection.checkTimeouts(now + TimeUnit.SECONDS.toNanos(6)), "cut once it ran past the write timeout");
            serving.join(TimeUnit.SECONDS.toMillis(10));
            assertFalse(serving.isAlive(), "the connection's thread is free again");
        } finally {
            transport.ended.countDown();
        }
    }

    /**
     * An idle connection closed at its keep-alive timeout over a transport that says goodbye first
     * (TLS: close_notify, on a thread of its own) is timed like any write too: a client that stopped
     * reading cannot keep it open, and registered, past the write timeout.
     */
    @Test
    @Timeout(20)
    void aStalledCloseNotifyAtTheKeepAliveTimeoutIsCutAtTheWriteTimeout() throws Exception {
        StalledCloseTransport transport = new StalledCloseTransport("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        transport.gate.release(100); // the response itself goes out
        HttpConnection connection = helloConnection(transport, HttpTimeouts.defaults()
                .withKeepAlive(Duration.ofMillis(200)).withWrite(Duration.ofSeconds(5)));
        Thread serving = Thread.ofVirtual().start(() -> {
            if (connection.awaitRequest() && connection.serve()) connection.awaitRequest(); // idle: waits for a second request
        });
        try {
            awaitCount(transport.readsBegun, 2, "idle, waiting for the next request");
            long now = System.nanoTime() + TimeUnit.SECONDS.toNanos(1); // past the keep-alive timeout
            assertTrue(connection.checkTimeouts(now), "closing at the keep-alive timeout");
            assertTrue(transport.shutdownBegun.await(10, TimeUnit.SECONDS), "the clean close began");
            assertTrue(connection.checkTimeouts(now + TimeUnit.SECONDS.toNanos(6)), "cut once it ran past the write timeout");
            assertTrue(transport.ended.await(5, TimeUnit.SECONDS), "the transport is closed");
        } finally {
            transport.ended.countDown();
            serving.join(TimeUnit.SECONDS.toMillis(10));
        }
    }

    /**
     * A blocked write whose client keeps taking bytes (what the kernel holds unsent goes down by a
     * slice, 32 KiB, between two looks) is timed from that progress, not from the write's start:
     * Linux wakes a writer only once about a third of a send buffer of megabytes is free, which a
     * client reading steadily at 20 KB/s takes longer than the write timeout to free. Such a write is
     * not stalled either (the stalled-write budget); a client that takes less is cut as before.
     */
    @Test
    @Timeout(20)
    void aBlockedWriteWhoseClientKeepsReadingIsTimedFromItsLastProgress() throws Exception {
        AtomicInteger unsent = new AtomicInteger(1 << 20);
        GatedTransport transport = new GatedTransport("GET / HTTP/1.1\r\nHost: t\r\n\r\n") {
            @Override
            public int unsentBytes() {
                return unsent.get();
            }
        };
        HttpConnection connection = helloConnection(transport, HttpTimeouts.defaults().withWrite(Duration.ofSeconds(1)));
        Thread serving = Thread.ofVirtual().start(() -> {
            if (connection.awaitRequest()) connection.serve();
        });
        try {
            awaitCount(transport.writesBegun, 1, "the response's write began"); // and blocks
            assertFalse(connection.checkTimeouts(System.nanoTime()), "the watchdog sees the write running");
            long started = connection.writeStalledSince();
            assertTrue(started != 0);
            long ms = TimeUnit.MILLISECONDS.toNanos(1); // the watchdog's clock is passed in
            assertFalse(connection.checkTimeouts(started + 600 * ms), "a first look at what the kernel holds");
            unsent.addAndGet(-40 * 1024);
            assertFalse(connection.checkTimeouts(started + 1200 * ms), "past the write timeout, but the client took 40 KiB");
            assertEquals(started + 1200 * ms, connection.writeStalledSince(), "moving: not stalled since the start");
            unsent.addAndGet(-2 * 1024);
            assertFalse(connection.checkTimeouts(started + 2100 * ms), "timed from the progress at 1.2 s");
            assertTrue(connection.checkTimeouts(started + 2300 * ms), "cut: a write timeout with less than a slice taken");
        } finally {
            transport.ended.countDown();
            transport.gate.release(100);
            serving.join(TimeUnit.SECONDS.toMillis(10));
        }
    }

    @Test
    @Timeout(20)
    void keepAliveTimeStartsAfterAResponseWriteThatWaitedForTheClient() throws Exception {
        GatedTransport transport = new GatedTransport("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        HttpConnection connection = helloConnection(transport, HttpTimeouts.defaults().withKeepAlive(Duration.ofMillis(300)));
        Thread serving = Thread.ofVirtual().start(() -> {
            if (connection.awaitRequest() && connection.serve()) connection.awaitRequest(); // waits for a second request
        });
        try {
            awaitCount(transport.writesBegun, 1, "the response's write began"); // and blocks: the client is not reading
            assertFalse(connection.checkTimeouts(System.nanoTime()), "the watchdog sees the write running");
            Thread.sleep(500); // the write waits longer than the keep-alive timeout (a stall here only makes it longer)
            long released = System.nanoTime(); // the idle wait starts after this, so its deadline is 300 ms later at the earliest
            transport.gate.release();
            awaitCount(transport.readsBegun, 2, "waiting for the next request");
            // the watchdog's clock is passed in: how long the test thread takes to get here does not matter
            assertFalse(connection.checkTimeouts(released + TimeUnit.MILLISECONDS.toNanos(250)),
                    "the 500 ms the response waited for the client did not count as idle time");
            assertTrue(connection.checkTimeouts(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(400)),
                    "closed once idle for longer than the keep-alive timeout");
        } finally {
            transport.ended.countDown();
            serving.join(TimeUnit.SECONDS.toMillis(10));
        }
    }

    /**
     * The watchdog's look at a write that ends just as it looks never reads as a write running since
     * forever: it says "not writing" or gives a clock reading, never the writer's bare mark. (Seen
     * over TLS, where a file body is read between slices: the watchdog's stamp lost the race to the
     * end of one slice, it read the mark of the next, and took it for a write started at time 1,
     * long past the write timeout: downloads were cut after a second or two.)
     */
    @Test
    @Timeout(30)
    void aWriteThatEndsAsTheWatchdogLooksIsNeverTakenForOneStartedLongAgo() throws Exception {
        Transport fast = new GatedTransport("") {
            @Override
            public void write(byte[] b, int off, int len) {
                Thread.onSpinWait(); // takes the bytes at once
            }
        };
        ConnectionOutput output = new ConnectionOutput(fast, 1024);
        byte[] body = new byte[2048]; // larger than the buffer: a write of its own, marked and unmarked
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                while (!stop.get()) output.write(body, 0, body.length);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            long looks = 0;
            while (System.nanoTime() < deadline) {
                long before = System.nanoTime();
                long since = output.writeSeenSince();
                looks++;
                assertTrue(since == 0 || since - before >= -TimeUnit.SECONDS.toNanos(1),
                        "look " + looks + ": a write seen as running since " + since + ", " + (before - since) + " ns ago");
            }
        } finally {
            stop.set(true);
            writer.join(10_000);
        }
    }
}
