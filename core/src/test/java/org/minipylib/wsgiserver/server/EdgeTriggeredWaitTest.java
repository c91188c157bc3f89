package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.testing.OpenDescriptors;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Keep-alive sockets with a descriptor of their own wait on the readiness loop's edge-triggered
 * epoll, which reports each arrival once: bytes left in the socket by a read that filled its buffer
 * are read next rather than waited for (they would never be reported again); a socket found empty
 * still waits without a thread; descriptor numbers closed and reused do not wake the wrong
 * connection; requests arriving in pieces are all answered; a loop closed leaves no thread and no
 * descriptor behind.
 */
@Timeout(60)
@EnabledIf("org.minipylib.wsgiserver.server.ReadinessLoop#supported")
class EdgeTriggeredWaitTest {

    @BeforeAll
    static void available() {
        assumeTrue(NativeAccess.onLinux(), "epoll is Linux's");
        assumeTrue(Runtime.version().feature() >= 22, "called through the foreign function API of Java 22");
        assertNotNull(DirectSocketCalls.available(), "the surefire argLine grants native access and exports sun.nio.ch");
    }

    /** A connected pair whose accepted side has answered a request and waits on the loop's epoll. */
    private record Pair(ServerSocketChannel listener, SocketChannel peer, SocketChannel accepted, SocketTransport transport)
            implements AutoCloseable {

        static Pair open(ReadinessLoop loop) throws Exception {
            ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            SocketChannel peer = SocketChannel.open(listener.getLocalAddress());
            SocketChannel accepted = listener.accept();
            SocketTransport transport = SocketTransport.withLoop(accepted, loop, true);
            Pair pair = new Pair(listener, peer, accepted, transport);
            pair.answer();
            pair.handOffAndRead("first"); // moves to the loop
            assertTrue(transport.isEdgeTriggered());
            return pair;
        }

        /** Waits until {@code count} bytes sent by the peer are in the accepted socket, unread. */
        void awaitArrived(int count) throws InterruptedException {
            Poll.until(() -> {
                try {
                    return accepted.socket().getInputStream().available();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, n -> n == count, count + " bytes in the socket");
        }

        void send(String text) throws IOException {
            ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
            while (bytes.hasRemaining()) peer.write(bytes);
        }

        String read(int max) throws IOException {
            return read(max, 2000);
        }

        String read(int max, int timeoutMillis) throws IOException {
            byte[] buf = new byte[max];
            int n = transport.read(buf, 0, max, timeoutMillis);
            return new String(buf, 0, n, StandardCharsets.US_ASCII);
        }

        void answer() throws IOException {
            transport.write("ok".getBytes(StandardCharsets.US_ASCII), 0, 2);
        }

        void handOffAndRead(String message) throws Exception {
            CountDownLatch ran = new CountDownLatch(1);
            assertTrue(transport.awaitReadableThen(ran::countDown));
            send(message);
            assertTrue(ran.await(5, TimeUnit.SECONDS), "the loop reports the bytes");
            assertEquals(message, read(64));
            answer();
        }

        @Override
        public void close() throws IOException {
            transport.close();
            peer.close();
            listener.close();
        }
    }

    @Test
    void whatAReadThatFilledItsBufferLeftIsReadAtTheNextHandOffNotWaitedFor() throws Exception {
        try (ReadinessLoop loop = new ReadinessLoop("test-edge"); Pair pair = Pair.open(loop)) {
            String request = "a".repeat(40) + "b".repeat(40) + "c".repeat(20);
            CountDownLatch ran = new CountDownLatch(1);
            assertTrue(pair.transport().awaitReadableThen(ran::countDown));
            pair.send(request);
            assertTrue(ran.await(5, TimeUnit.SECONDS));
            pair.awaitArrived(100); // all 100 bytes are in the socket before the first read
            assertEquals("a".repeat(40), pair.read(40));
            assertEquals("b".repeat(40), pair.read(40));
            pair.answer();
            // Nothing new arrives: an edge-triggered wait would never end. The hand-off says to read now.
            assertFalse(pair.transport().awaitReadableThen(() -> { }));
            assertEquals("c".repeat(20), pair.read(64));
        }
    }

    @Test
    void theEndOfTheStreamThatCameWithTheLastBytesIsReadNotWaitedFor() throws Exception {
        try (ReadinessLoop loop = new ReadinessLoop("test-edge"); Pair pair = Pair.open(loop)) {
            pair.send("last");
            pair.peer().shutdownOutput();
            Poll.until(() -> pair.transport().readsMuted() && pair.transport().endReported(), reported -> reported,
                    "the bytes and the end reported before the next read");
            assertFalse(pair.transport().awaitReadableThen(() -> { }), "bytes to read");
            assertEquals("last", pair.read(64)); // less than asked for: the socket holds no more bytes, but its end
            pair.answer();
            // The end was reported with (or right after) the bytes, and will not be again: read it now.
            assertFalse(pair.transport().awaitReadableThen(() -> { }), "the end of the stream is read, not waited for");
            assertEquals(-1, pair.transport().read(new byte[64], 0, 64, 2000));
        }
    }

    /**
     * A client that sends its last request and its FIN at once gets its answer and the connection
     * closes at once, not at the keep-alive timeout. Shown by ordering, not by a wall-clock bound:
     * a connection idle since before the last answer is still served afterwards, so the keep-alive
     * timeout had not come yet when the connection closed.
     */
    @Test
    void aConnectionWhoseClientSentItsLastRequestAndItsEndTogetherClosesAtOnce() throws Exception {
        try (TestServer server = TestServer.start(WsgiTestApps.echo(), b -> b.workerMode(WorkerMode.VIRTUAL)
                .timeouts(org.minipylib.wsgiserver.http.HttpTimeouts.defaults().withKeepAlive(java.time.Duration.ofSeconds(30))));
             RawClient idle = server.connect().timeout(10_000)) {
            for (int i = 0; i < 5; i++) {
                assertEquals("GET /idle:", idle.send("GET /idle HTTP/1.1\r\nHost: t\r\n\r\n").read().bodyText());
                try (RawClient client = server.connect().timeout(10_000)) {
                    client.send("GET /first HTTP/1.1\r\nHost: t\r\n\r\n");
                    assertEquals("GET /first:", client.read().bodyText()); // the connection now waits on the loop
                    client.send("GET /last HTTP/1.1\r\nHost: t\r\n\r\n");
                    client.socket().shutdownOutput();
                    assertEquals("GET /last:", client.read().bodyText());
                    assertEquals(-1, client.input().read(), "closed after the last answer");
                }
                assertEquals("GET /idle:", idle.send("GET /idle HTTP/1.1\r\nHost: t\r\n\r\n").read().bodyText(),
                        "the connection idle since before the last answer is still open: the close came before the keep-alive timeout");
            }
        }
    }

    @Test
    void whatAReadThatFilledItsBufferLeftIsReadByAWaitingThreadAtOnce() throws Exception {
        try (ReadinessLoop loop = new ReadinessLoop("test-edge"); Pair pair = Pair.open(loop)) {
            pair.send("x".repeat(30) + "y".repeat(10));
            pair.awaitArrived(40); // all in the socket: the first read fills its buffer and leaves 10
            assertEquals("x".repeat(30), pair.read(30)); // a thread that waits for bytes (no hand-off)
            pair.answer();
            // the read after a write waits first, unless bytes may be left: a wait here would see no new
            // edge and last the whole 40 s timeout, far past the bound below (which only a wait reaches)
            long start = System.nanoTime();
            assertEquals("y".repeat(10), pair.read(64, 40_000));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20), "read at once, not after the timeout");
        }
    }

    @Test
    void aReadThatFilledItsBufferAndEmptiedTheSocketStillWaitsWithoutAThread() throws Exception {
        try (ReadinessLoop loop = new ReadinessLoop("test-edge"); Pair pair = Pair.open(loop)) {
            CountDownLatch first = new CountDownLatch(1);
            assertTrue(pair.transport().awaitReadableThen(first::countDown));
            pair.send("z".repeat(32));
            assertTrue(first.await(5, TimeUnit.SECONDS));
            assertEquals("z".repeat(32), pair.read(32)); // exactly the buffer: the socket may hold more, and does not
            pair.answer();
            CountDownLatch ran = new CountDownLatch(1);
            assertTrue(pair.transport().awaitReadableThen(ran::countDown), "the socket was asked: empty, so wait");
            assertFalse(ran.await(300, TimeUnit.MILLISECONDS), "ran with nothing to read");
            pair.send("next");
            assertTrue(ran.await(5, TimeUnit.SECONDS));
            assertEquals("next", pair.read(64));
        }
    }

    /**
     * An arrival recorded while no one waited, then a hand-off that asks the socket: bytes that
     * arrive while it asks (reported to the wait meanwhile) must not be forgotten, or no report
     * would ever come for them. Driven directly, the arrival made to happen inside the question.
     */
    @Test
    void anArrivalWhileTheHandOffAsksTheSocketIsNotLost() throws Exception {
        EdgeTriggeredLoop loop = EdgeTriggeredLoop.open("test-edge-direct");
        assertNotNull(loop);
        try {
            AtomicInteger asked = new AtomicInteger();
            EdgeWait[] wait = new EdgeWait[1];
            wait[0] = new EdgeWait(loop, 0, 1, () -> {
                if (asked.incrementAndGet() > 1) return true; // the bytes that arrived below
                wait[0].ready(EdgeTriggeredEpoll.READABLE); // the loop reports them while the socket is asked, found empty
                return false;
            }, () -> true);
            wait[0].ready(EdgeTriggeredEpoll.READABLE); // the earlier arrival, read by the running thread since
            CountDownLatch ran = new CountDownLatch(1);
            boolean handedOff = wait[0].awaitReadableThen(ran::countDown);
            assertTrue(!handedOff || ran.getCount() == 0, "the bytes are read now, or the callback ran for them");
        } finally {
            loop.close();
        }
    }

    /** Sockets closed one after another give their numbers back; the next socket gets one, and only its own wakes. */
    @Test
    void reusedDescriptorNumbersWakeOnlyTheirCurrentConnection() throws Exception {
        try (ReadinessLoop loop = new ReadinessLoop("test-edge")) {
            for (int round = 0; round < 30; round++) {
                try (Pair pair = Pair.open(loop)) {
                    AtomicInteger runs = new AtomicInteger();
                    CountDownLatch ran = new CountDownLatch(1);
                    assertTrue(pair.transport().awaitReadableThen(() -> {
                        runs.incrementAndGet();
                        ran.countDown();
                    }));
                    pair.send("round " + round);
                    assertTrue(ran.await(5, TimeUnit.SECONDS), "round " + round);
                    assertEquals("round " + round, pair.read(64));
                    assertEquals(1, runs.get());
                }
            }
        }
    }

    /**
     * Requests whose heads and bodies arrive in pieces, with short pauses between (arrivals while
     * the connection's thread runs, read by it before its next wait), and sometimes two in one
     * write: every one is answered, on several connections at once.
     */
    @Test
    void requestsArrivingInPiecesAreAllAnswered() throws Exception {
        try (TestServer server = TestServer.start(WsgiTestApps.echo(), b -> b.workerMode(WorkerMode.VIRTUAL))) {
            List<Future<?>> clients = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(6)) {
                for (int c = 0; c < 6; c++) {
                    long seed = c;
                    clients.add(pool.submit(() -> {
                        exchangeInPieces(server, new Random(seed), 120);
                        return null;
                    }));
                }
                for (Future<?> client : clients) client.get(50, TimeUnit.SECONDS);
            }
        }
    }

    private static void exchangeInPieces(TestServer server, Random random, int requests) throws IOException {
        try (RawClient client = server.connect().timeout(5000)) {
            client.socket().setTcpNoDelay(true); // each piece its own segment
            for (int i = 0; i < requests; i++) {
                String body = "b".repeat(random.nextInt(4000)) + i;
                byte[] request = ("POST /r" + i + " HTTP/1.1\r\nHost: t\r\nContent-Length: " + body.length()
                        + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII);
                boolean twoAtOnce = i + 1 < requests && random.nextInt(8) == 0;
                if (twoAtOnce) {
                    String next = "GET /g" + i + " HTTP/1.1\r\nHost: t\r\n\r\n";
                    client.send(request);
                    client.send(next);
                    assertEquals("POST /r" + i + ":" + body, client.read().bodyText());
                    assertEquals("GET /g" + i + ":", client.read().bodyText());
                    continue;
                }
                int from = 0;
                for (int pieces = 1 + random.nextInt(4); pieces > 0; pieces--) {
                    int to = pieces == 1 ? request.length : from + random.nextInt(request.length - from + 1);
                    client.send(Arrays.copyOfRange(request, from, to));
                    from = to;
                    LockSupport.parkNanos(random.nextInt(300_000)); // up to 0.3 ms: often while the server reads
                }
                assertEquals("POST /r" + i + ":" + body, client.read().bodyText());
            }
        }
    }

    @Test
    void aClosedLoopLeavesNoThreadAndNoDescriptorBehind() throws Exception {
        long before = OpenDescriptors.count();
        ReadinessLoop loop = new ReadinessLoop("test-edge-leak");
        try (Pair pair = Pair.open(loop)) {
            pair.handOffAndRead("second");
        }
        loop.close();
        Poll.until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("test-edge-leak")), done -> done, "the loop's threads end");
        Poll.until(OpenDescriptors::count, n -> n <= before, "the epoll descriptors closed");
    }
}
