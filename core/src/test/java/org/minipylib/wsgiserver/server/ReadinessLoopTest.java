package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.ServerConfig;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.http.MinDataRate;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.TimeoutWindow;
import org.minipylib.wsgiserver.testing.ThreadWaits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A keep-alive connection moves to a {@link ReadinessLoop} once it waits for its second request;
 * from then on every wait (next request, request body, blocked response write) goes through the
 * loop. These tests drive each of those waits on the second and later requests of a connection,
 * with the default loops, with none (every wait in the JDK's poller) and with three, and the
 * transport directly on a socket pair.
 */
@EnabledIf("org.minipylib.wsgiserver.server.ReadinessLoop#supported")
class ReadinessLoopTest {

    /** {@code /slow} answers after 300 ms; {@code /big?n} sends n bytes; {@code /echo} returns the body. */
    private static WsgiApp app() {
        return (env, sr) -> {
            switch (env.pathInfo()) {
                case "/big" -> {
                    int n = Integer.parseInt(env.queryString());
                    byte[] body = new byte[n];
                    for (int i = 0; i < n; i++) body[i] = (byte) (i % 251);
                    sr.start("200 OK", List.of(Header.of("Content-Length", Integer.toString(n))));
                    return List.of(body);
                }
                case "/big-then-pause" -> { // 16 MiB, then 1 s inside the body's iteration, then "end"
                    byte[] big = new byte[16 * 1024 * 1024];
                    sr.start("200 OK", List.of(Header.of("Content-Length", Integer.toString(big.length + 3))));
                    return () -> List.of(big, "end".getBytes(StandardCharsets.US_ASCII)).stream().map(chunk -> {
                        if (chunk != big) pause(1000);
                        return chunk;
                    }).iterator();
                }
                case "/echo" -> {
                    byte[] body = env.input().readAllBytes();
                    sr.start("200 OK", List.of(Header.of("Content-Length", Integer.toString(body.length))));
                    return List.of(body);
                }
                default -> { }
            }
            byte[] body = env.pathInfo().getBytes(StandardCharsets.US_ASCII);
            sr.start("200 OK", List.of(Header.of("Content-Length", Integer.toString(body.length))));
            return List.of(body);
        };
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * CPU time of every live Java platform thread, by thread id: the server's threads (the carriers
     * that run its virtual threads included) and the test's, not the JIT compiler's or the garbage
     * collector's, which may well be busy right after a test moved 16 MiB.
     */
    private static Map<Long, Long> javaThreadsCpuNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<Long, Long> cpu = new HashMap<>();
        for (long id : threads.getAllThreadIds()) {
            long nanos = threads.getThreadCpuTime(id);
            if (nanos >= 0) cpu.put(id, nanos);
        }
        return cpu;
    }

    /** CPU the Java threads used between {@code before} and now (a thread started meanwhile counts whole). */
    private static long javaThreadsCpuNanosSince(Map<Long, Long> before) {
        long used = 0;
        for (Map.Entry<Long, Long> now : javaThreadsCpuNanos().entrySet()) {
            used += now.getValue() - before.getOrDefault(now.getKey(), 0L);
        }
        return used;
    }

    private static TestServer start(int loops) throws IOException {
        return TestServer.start(app(), b -> b.readinessLoops(loops));
    }

    private static TestServer start(int loops, HttpTimeouts timeouts) throws IOException {
        return TestServer.start(app(), b -> b.readinessLoops(loops).timeouts(timeouts));
    }

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
    }

    @ParameterizedTest
    @ValueSource(ints = {ServerConfig.AUTO_READINESS_LOOPS, 0, 3})
    void aKeepAliveConnectionServesManyRequestsInTurn(int loops) throws Exception {
        try (TestServer server = start(loops); RawClient client = server.connect().timeout(5000)) {
            for (int i = 0; i < 500; i++) {
                RawClient.Response r = client.send(get("/r" + i)).read();
                assertEquals(200, r.status());
                assertEquals("/r" + i, r.bodyText());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {ServerConfig.AUTO_READINESS_LOOPS, 0, 3})
    void aRequestPipelinedWhileTheLastOneIsServedIsAnswered(int loops) throws Exception {
        CountDownLatch inHeld = new CountDownLatch(1);
        CountDownLatch leaveHeld = new CountDownLatch(1);
        WsgiApp app = (env, sr) -> {
            if (env.pathInfo().equals("/held")) {
                inHeld.countDown();
                leaveHeld.await(10, TimeUnit.SECONDS);
            }
            return app().call(env, sr);
        };
        try (TestServer server = TestServer.start(app, b -> b.readinessLoops(loops));
             RawClient client = server.connect().timeout(5000)) {
            assertEquals("/first", client.send(get("/first")).read().bodyText()); // now on the loop
            client.send(get("/held"));
            assertTrue(inHeld.await(10, TimeUnit.SECONDS), "the server is inside /held");
            client.send(get("/after")); // these bytes arrive while no one waits for them
            leaveHeld.countDown();
            assertEquals("/held", client.read().bodyText());
            assertEquals("/after", client.read().bodyText());
            assertEquals("/again", client.send(get("/again")).read().bodyText()); // and it waits normally again
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {ServerConfig.AUTO_READINESS_LOOPS, 0, 3})
    void aLargeResponseToASlowReaderArrivesWhole(int loops) throws Exception {
        int n = 16 * 1024 * 1024; // far more than the socket buffers: the write waits on the loop
        try (TestServer server = start(loops); RawClient client = server.connect().timeout(10_000)) {
            assertEquals("/first", client.send(get("/first")).read().bodyText());
            client.send(get("/big?" + n));
            Thread.sleep(300);
            RawClient.Response r = client.read();
            assertEquals(n, r.body().length);
            for (int i = 0; i < n; i += 4093) assertEquals((byte) (i % 251), r.body()[i], "byte " + i);
            assertEquals("/next", client.send(get("/next")).read().bodyText());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {ServerConfig.AUTO_READINESS_LOOPS, 0, 3})
    void aBodyThatArrivesLaterOnAKeptAliveConnectionIsRead(int loops) throws Exception {
        try (TestServer server = start(loops); RawClient client = server.connect().timeout(5000)) {
            assertEquals("/first", client.send(get("/first")).read().bodyText());
            client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello");
            Thread.sleep(200);
            client.send("world");
            assertEquals("helloworld", client.read().bodyText());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {ServerConfig.AUTO_READINESS_LOOPS, 0, 3})
    void aBodyThatStallsOnAKeptAliveConnectionTimesOut(int loops) throws Exception {
        HttpTimeouts timeouts = HttpTimeouts.defaults().withBodyRead(Duration.ofMillis(300)).withMinBodyRate(MinDataRate.NONE);
        try (TestServer server = start(loops, timeouts);
             RawClient client = server.connect().timeout(5000)) {
            assertEquals("/first", client.send(get("/first")).read().bodyText());
            long start = System.nanoTime(); // before: the server's body-read clock starts later
            client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello");
            assertEquals(408, client.read().status());
            long answered = System.nanoTime();
            assertTrue(client.isClosedByServer());
            TimeoutWindow.assertFiredInWindow(Duration.ofMillis(300), start, answered, "the 408 came");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {ServerConfig.AUTO_READINESS_LOOPS, 0, 3})
    void anIdleKeptAliveConnectionIsClosedAtTheKeepAliveTimeout(int loops) throws Exception {
        HttpTimeouts timeouts = HttpTimeouts.defaults().withKeepAlive(Duration.ofMillis(400));
        try (TestServer server = start(loops, timeouts);
             RawClient client = server.connect().timeout(5000)) {
            long start = System.nanoTime(); // before /first: the server's keep-alive clock starts once it has answered
            assertEquals("/first", client.send(get("/first")).read().bodyText());
            assertTrue(client.isClosedByServer());
            TimeoutWindow.assertFiredInWindow(Duration.ofMillis(400), start, "the idle connection closed");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {ServerConfig.AUTO_READINESS_LOOPS, 0, 3})
    void stoppingClosesConnectionsWaitingOnTheLoop(int loops) throws Exception {
        Duration shutdownTimeout = Duration.ofSeconds(60);
        TestServer server = TestServer.start(app(), b -> b.readinessLoops(loops).shutdownTimeout(shutdownTimeout));
        List<RawClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                RawClient c = server.connect().timeout(5000);
                assertEquals("/c" + i, c.send(get("/c" + i)).read().bodyText());
                clients.add(c);
            }
            long start = System.nanoTime();
            server.close();
            assertTrue(System.nanoTime() - start < shutdownTimeout.toNanos() / 2, "stop() waited for the idle connections");
            for (RawClient c : clients) assertTrue(c.isClosedByServer());
        } finally {
            server.close();
            for (RawClient c : clients) c.close();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {ServerConfig.AUTO_READINESS_LOOPS, 0, 3})
    void manyConcurrentKeepAliveClientsGetTheirOwnAnswers(int loops) throws Exception {
        int clients = 64;
        int requests = 200;
        try (TestServer server = start(loops);
             ExecutorService pool = Executors.newFixedThreadPool(16)) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int id = c;
                results.add(pool.submit(() -> {
                    go.await();
                    int ok = 0;
                    try (RawClient client = server.connect().timeout(10_000)) {
                        for (int i = 0; i < requests; i++) {
                            String path = "/c" + id + "-" + i;
                            if (client.send(get(path)).read().bodyText().equals(path)) ok++;
                        }
                    }
                    return ok;
                }));
            }
            go.countDown();
            for (Future<Integer> f : results) assertEquals(requests, f.get(60, TimeUnit.SECONDS));
        }
    }

    /** A loop woken for a socket its thread closed meanwhile (a client that leaves) carries on. */
    @Test
    void aLoopOutlivesConnectionsThatCloseWhileFoundReady() throws Exception {
        try (TestServer server = start(1)) {
            for (int i = 0; i < 300; i++) {
                try (RawClient client = server.connect().timeout(5000)) {
                    assertEquals("/c" + i, client.send(get("/c" + i)).read().bodyText());
                } // the thread, waiting on the loop, reads the end of stream and closes
            }
            try (RawClient client = server.connect().timeout(5000)) {
                for (int i = 0; i < 3; i++) assertEquals("/after" + i, client.send(get("/after" + i)).read().bodyText());
            }
        }
    }

    /** After a write that waited, a still writable socket must not keep the loop polling while the application works. */
    @Test
    void aLoopDoesNotSpinAfterAWriteThatWaited() throws Exception {
        try (TestServer server = start(1); RawClient client = server.connect().timeout(10_000)) {
            assertEquals("/first", client.send(get("/first")).read().bodyText());
            client.send(get("/big-then-pause"));
            Thread.sleep(300); // the socket buffers fill: the write waits on the loop
            InputStream in = client.input();
            byte[] skip = new byte[64 * 1024];
            long toRead = 16L * 1024 * 1024; // and the head, read below
            String head = client.readLine();
            while (!client.readLine().isEmpty()) { } // headers
            while (toRead > 0) {
                int n = in.read(skip, 0, (int) Math.min(skip.length, toRead));
                assertTrue(n > 0);
                toRead -= n;
            }
            assertTrue(head.contains("200"), head);
            Map<Long, Long> cpu = javaThreadsCpuNanos(); // the application now pauses for 1 s
            Thread.sleep(700);
            long used = TimeUnit.NANOSECONDS.toMillis(javaThreadsCpuNanosSince(cpu));
            assertTrue(used < 350, "the Java threads used " + used + " ms of CPU in 700 ms while idle");
            assertEquals("end", new String(in.readNBytes(3), StandardCharsets.US_ASCII));
        }
    }

    /** The transport alone: after a write, reads wait on the loop; timeouts, writes that wait, and close all work. */
    @Test
    void aSocketTransportMovesToTheLoopAfterItsFirstAnswer() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             SocketChannel peer = SocketChannel.open(listener.getLocalAddress());
             SocketChannel accepted = listener.accept();
             ReadinessLoop loop = new ReadinessLoop("test-readiness")) {
            SocketTransport transport = SocketTransport.withLoop(accepted, loop, true);
            byte[] buf = new byte[64];
            peer.write(ByteBuffer.wrap("one".getBytes(StandardCharsets.US_ASCII)));
            assertEquals(3, transport.read(buf, 0, buf.length, 1000)); // blocking: not on the loop yet
            assertTrue(!transport.isPolled());
            transport.write("answer".getBytes(StandardCharsets.US_ASCII), 0, 6);
            assertThrows(SocketTimeoutException.class, () -> transport.read(buf, 0, buf.length, 200));
            assertTrue(transport.isPolled());
            Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(100);
                    peer.write(ByteBuffer.wrap("two".getBytes(StandardCharsets.US_ASCII)));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            int n = transport.read(buf, 10, 20, 5000);
            assertEquals("two", new String(buf, 10, n, StandardCharsets.US_ASCII));

            // A write larger than both socket buffers waits until the peer reads
            byte[] big = new byte[8 * 1024 * 1024];
            Arrays.fill(big, (byte) 'x');
            // the peer's stream is not closed: that would close the peer
            FutureTask<byte[]> reader = new FutureTask<>(() -> peer.socket().getInputStream().readNBytes(6 + big.length));
            Thread.ofVirtual().start(reader);
            transport.write(big, 0, big.length);
            byte[] all = reader.get(10, TimeUnit.SECONDS);
            assertEquals(6 + big.length, all.length);
            assertEquals("answer", new String(all, 0, 6, StandardCharsets.US_ASCII));
            assertArrayEquals(big, Arrays.copyOfRange(all, 6, all.length));

            // Closing from another thread ends a read waiting on the loop
            Thread closer = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
                transport.close();
            });
            assertThrows(IOException.class, () -> transport.read(buf, 0, buf.length, 0));
            closer.join();
        }
    }

    /**
     * A thread waiting to write (the watchdog's helper flushing a held response) and the connection's
     * thread waiting to read, on one socket at once: each is woken for its own readiness, and a
     * close wakes both. Both orders.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aReaderAndAWriterWaitOnOneSocketAtOnce(boolean readerFirst) throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             SocketChannel peer = SocketChannel.open(listener.getLocalAddress());
             SocketChannel accepted = listener.accept();
             ReadinessLoop loop = new ReadinessLoop("test-readiness")) {
            SocketTransport transport = SocketTransport.withLoop(accepted, loop, true);
            transport.write("x".getBytes(StandardCharsets.US_ASCII), 0, 1);
            assertThrows(SocketTimeoutException.class, () -> transport.read(new byte[8], 0, 8, 100)); // now on the loop
            byte[] big = new byte[8 * 1024 * 1024]; // more than both socket buffers: the write waits until the peer reads
            java.util.concurrent.CompletableFuture<Object> read = new java.util.concurrent.CompletableFuture<>();
            java.util.concurrent.CompletableFuture<Object> written = new java.util.concurrent.CompletableFuture<>();
            Runnable reader = () -> {
                try {
                    read.complete(transport.read(new byte[8], 0, 8, 0));
                } catch (Throwable t) {
                    read.complete(t);
                }
            };
            Runnable writer = () -> {
                try {
                    transport.write(big, 0, big.length);
                    written.complete("done");
                } catch (Throwable t) {
                    written.complete(t);
                }
            };
            Thread first = Thread.ofVirtual().start(readerFirst ? reader : writer);
            ThreadWaits.awaitWaitingIn(first, SocketTransport.class, readerFirst ? "read" : "write", "the first waiting");
            Thread second = Thread.ofVirtual().start(readerFirst ? writer : reader);
            ThreadWaits.awaitWaitingIn(second, SocketTransport.class, readerFirst ? "write" : "read", "the second waiting");
            peer.write(ByteBuffer.wrap(new byte[] {'y'}));
            assertEquals(1, read.get(5, TimeUnit.SECONDS), "the reader, woken by the byte sent");
            peer.socket().setSoTimeout(5000); // a writer never woken fails the test, not hangs it
            InputStream fromServer = peer.socket().getInputStream(); // not closed: that would close the peer
            assertEquals(1 + big.length, fromServer.readNBytes(1 + big.length).length); // "x", then the big write
            assertEquals("done", written.get(5, TimeUnit.SECONDS), "the writer, woken as the peer read");

            // Both waiting again, then closed from a third thread: both fail at once
            read.obtrudeValue(null);
            written.obtrudeValue(null);
            java.util.concurrent.CompletableFuture<Object> read2 = new java.util.concurrent.CompletableFuture<>();
            java.util.concurrent.CompletableFuture<Object> written2 = new java.util.concurrent.CompletableFuture<>();
            Thread reader2 = Thread.ofVirtual().start(() -> {
                try {
                    read2.complete(transport.read(new byte[8], 0, 8, 0));
                } catch (Throwable t) {
                    read2.complete(t);
                }
            });
            byte[] bigger = new byte[64 * 1024 * 1024]; // the socket buffers may have grown by now
            Thread writer2 = Thread.ofVirtual().start(() -> {
                try {
                    transport.write(bigger, 0, bigger.length);
                    written2.complete("done");
                } catch (Throwable t) {
                    written2.complete(t);
                }
            });
            ThreadWaits.awaitWaitingIn(reader2, SocketTransport.class, "read", "the reader waiting again");
            ThreadWaits.awaitWaitingIn(writer2, SocketTransport.class, "write", "the writer waiting again");
            transport.close();
            Object readResult = read2.get(5, TimeUnit.SECONDS);
            assertTrue(readResult instanceof IOException, "reader after close: " + readResult);
            Object writeResult = written2.get(5, TimeUnit.SECONDS);
            assertTrue(writeResult instanceof IOException, "writer after close: " + writeResult);
        }
    }

    /**
     * If its loop stops (or fails) while the socket is open: a thread waiting then is woken and its
     * read fails, and a later wait fails at once: no hang, no spin.
     */
    @Test
    void aWaitOnAStoppedLoopFails() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             SocketChannel peer = SocketChannel.open(listener.getLocalAddress());
             SocketChannel accepted = listener.accept()) {
            ReadinessLoop loop = new ReadinessLoop("test-readiness");
            SocketTransport transport = SocketTransport.withLoop(accepted, loop, true);
            transport.write("hello".getBytes(StandardCharsets.US_ASCII), 0, 5);
            for (int timeout : new int[] {0, 500}) { // waiting when the loop stops (untimed), then after
                java.util.concurrent.CompletableFuture<Object> read = new java.util.concurrent.CompletableFuture<>();
                Thread.ofVirtual().start(() -> {
                    try {
                        read.complete(transport.read(new byte[8], 0, 8, timeout));
                    } catch (Throwable t) {
                        read.complete(t);
                    }
                });
                Thread.sleep(200);
                loop.close();
                Object result = read.get(5, TimeUnit.SECONDS);
                assertTrue(result instanceof IOException, "timeout " + timeout + ": " + result);
            }
            assertTrue(peer.isOpen());
        }
    }
}
