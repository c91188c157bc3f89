package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.testing.OpenDescriptors;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Keep-alive sockets on a readiness loop read and write through {@code recv} and {@code send} on a
 * descriptor of their own (Linux, Java 22+; the tests run with the JVM flags these need, see the
 * surefire {@code argLine} in the parent pom): the bytes arrive whole and in order, in arrays and in
 * direct buffers, through writes the socket takes in parts; the end of the stream and a close from
 * another thread are seen; closing gives every descriptor back; a server uses them unless told not to.
 */
@Timeout(60)
@EnabledIf("org.minipylib.wsgiserver.server.ReadinessLoop#supported") // servers have readiness loops from JDK 24
class DirectSocketCallsTest {

    private static final String REQUEST = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

    @BeforeAll
    static void available() {
        assumeTrue(NativeAccess.onLinux(), "recv and send are called the Linux way");
        assumeTrue(Runtime.version().feature() >= 22, "called through the foreign function API of Java 22");
        assertNotNull(DirectSocketCalls.available(), "the surefire argLine grants native access and exports sun.nio.ch");
    }

    /** The calls themselves, on a duplicate of a connected socket's descriptor. */
    @Test
    void recvAndSendMoveBytesOnADuplicateThatAStartedProgramDoesNotInherit() throws Exception {
        DirectSocketCalls calls = DirectSocketCalls.available();
        try (ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             SocketChannel peer = SocketChannel.open(listener.getLocalAddress());
             SocketChannel accepted = listener.accept()) {
            accepted.configureBlocking(false); // as on a readiness loop: the calls must never block
            int own = calls.dup(NativeAccess.fdOf(accepted));
            assertTrue(own >= 0);
            try {
                String flags = Files.readAllLines(Path.of("/proc/self/fdinfo/" + own)).stream()
                        .filter(line -> line.startsWith("flags:")).findFirst().orElseThrow();
                assertTrue((Long.parseLong(flags.substring(6).trim(), 8) & 02000000) != 0, "O_CLOEXEC: " + flags);

                byte[] array = "..hello..".getBytes(StandardCharsets.US_ASCII);
                assertEquals(5, calls.send(own, array, 2, 5));
                assertEquals("hello", receive(peer, 5));
                ByteBuffer heap = ByteBuffer.wrap("[heap]".getBytes(StandardCharsets.US_ASCII)).position(1).limit(5);
                assertEquals(4, calls.send(own, heap.asReadOnlyBuffer()));
                assertEquals(1, heap.position(), "the caller moves the position");
                ByteBuffer direct = ByteBuffer.allocateDirect(8).put("direct".getBytes(StandardCharsets.US_ASCII)).flip();
                assertEquals(6, calls.send(own, direct));
                assertEquals("heapdirect", receive(peer, 10));

                byte[] into = new byte[16];
                assertEquals(-1, calls.recv(own, into, 0, 16), "nothing there yet: would block");
                send(peer, "request");
                long n = Poll.until(() -> calls.recv(own, into, 3, 13), got -> got != -1, "the bytes sent");
                assertEquals("request", new String(into, 3, (int) n, StandardCharsets.US_ASCII));
                send(peer, "more");
                ByteBuffer dst = ByteBuffer.allocate(16).position(4);
                n = Poll.until(() -> calls.recv(own, dst), got -> got != -1, "the bytes sent");
                assertEquals("more", new String(dst.array(), 4, (int) n, StandardCharsets.US_ASCII));

                peer.shutdownOutput();
                assertEquals(0L, Poll.until(() -> calls.recv(own, into, 0, 16), got -> got != -1, "the end"));
            } finally {
                calls.close(own);
            }
            assertFalse(Files.exists(Path.of("/proc/self/fd/" + own)), "closed");
        }
    }

    /** hungUp tells a reset (the connection over both ways) from the peer's FIN (still open our way). */
    @Test
    void hungUpTellsAResetFromAnEndOfStream() throws Exception {
        DirectSocketCalls calls = DirectSocketCalls.available();
        try (ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            for (boolean reset : new boolean[] {false, true}) {
                try (SocketChannel peer = SocketChannel.open(listener.getLocalAddress()); SocketChannel accepted = listener.accept()) {
                    int fd = NativeAccess.fdOf(accepted);
                    assertFalse(calls.hungUp(fd), "open");
                    if (reset) {
                        peer.setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
                        peer.close();
                    } else {
                        peer.shutdownOutput();
                    }
                    Poll.until(() -> calls.readable(fd), r -> r, "the peer's " + (reset ? "reset" : "FIN") + " arrived");
                    assertEquals(reset, calls.hungUp(fd), reset ? "after a reset" : "after the peer's FIN only");
                }
            }
        }
    }

    @Test
    void aKeepAliveSocketReadsAndWritesEveryByteThroughItsOwnDescriptor() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             SocketChannel peer = SocketChannel.open(listener.getLocalAddress());
             SocketChannel accepted = listener.accept();
             ReadinessLoop loop = new ReadinessLoop("test-direct")) {
            SocketTransport transport = SocketTransport.withLoop(accepted, loop, true);
            byte[] buf = new byte[64];
            send(peer, "one");
            assertEquals(3, transport.read(buf, 0, buf.length, 5000));
            assertFalse(transport.usesDirectCalls(), "the first request is read blocking, through the channel");
            transport.write("answer".getBytes(StandardCharsets.US_ASCII), 0, 6);
            assertEquals("answer", receive(peer, 6));
            assertFalse(transport.usesDirectCalls(), "and answered so: a connection closed after it never takes a descriptor");

            send(peer, "two");
            int n = transport.read(buf, 10, 20, 5000);
            assertTrue(transport.usesDirectCalls());
            assertTrue(transport.isEdgeTriggered(), "and waits on the loop's edge-triggered epoll by its descriptor");
            assertEquals("two", new String(buf, 10, n, StandardCharsets.US_ASCII));
            assertEquals(0, transport.read(buf, 0, 0, 5000), "a zero-length read returns at once, with nothing pending");

            // into a direct buffer, from its position
            send(peer, "three");
            ByteBuffer direct = ByteBuffer.allocateDirect(16).position(2);
            assertEquals(5, transport.read(direct, 5000));
            assertEquals(7, direct.position());
            byte[] got = new byte[5];
            direct.get(2, got);
            assertEquals("three", new String(got, StandardCharsets.US_ASCII));

            // writes far larger than both socket buffers: taken in parts, each part where the last ended
            byte[] big = pattern(8 * 1024 * 1024 + 7, 31);
            Future<byte[]> received = readSlowly(peer, big.length - 7);
            transport.write(big, 7, big.length - 7);
            assertArrayEquals(Arrays.copyOfRange(big, 7, big.length), received.get(20, TimeUnit.SECONDS));

            ByteBuffer body = ByteBuffer.allocateDirect(4 * 1024 * 1024 + 3);
            byte[] bodyBytes = pattern(body.capacity(), 17);
            body.put(bodyBytes).flip().position(3);
            received = readSlowly(peer, bodyBytes.length - 3);
            transport.write(new byte[0], 0, 0, body);
            assertFalse(body.hasRemaining());
            assertArrayEquals(Arrays.copyOfRange(bodyBytes, 3, bodyBytes.length), received.get(20, TimeUnit.SECONDS));

            // a head and a body in one gathering write, taken in parts
            byte[] head = "HTTP/1.1 200 OK\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            body.clear().position(3);
            received = readSlowly(peer, head.length + bodyBytes.length - 3);
            transport.write(head, 0, head.length, body);
            byte[] both = received.get(20, TimeUnit.SECONDS);
            assertArrayEquals(head, Arrays.copyOfRange(both, 0, head.length));
            assertArrayEquals(Arrays.copyOfRange(bodyBytes, 3, bodyBytes.length), Arrays.copyOfRange(both, head.length, both.length));

            ByteBuffer readOnly = ByteBuffer.wrap(bodyBytes).asReadOnlyBuffer(); // an application's constant body
            received = readSlowly(peer, bodyBytes.length);
            transport.write(new byte[0], 0, 0, readOnly);
            assertArrayEquals(bodyBytes, received.get(20, TimeUnit.SECONDS));

            peer.shutdownOutput();
            assertEquals(-1, transport.read(buf, 0, buf.length, 5000), "the end of the stream");
            assertTrue(transport.usesDirectCalls());
        }
    }

    /**
     * A connection kept after its first request moves to its descriptor and the loop when told so,
     * before that request's body is read and its response written (one not told answers its first
     * request blocking: see the test above).
     */
    @Test
    void aKeptConnectionMovesToItsOwnDescriptorBeforeItsFirstResponse() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             SocketChannel peer = SocketChannel.open(listener.getLocalAddress());
             SocketChannel accepted = listener.accept();
             ReadinessLoop loop = new ReadinessLoop("test-direct")) {
            SocketTransport transport = SocketTransport.withLoop(accepted, loop, true);
            byte[] buf = new byte[64];
            send(peer, "head");
            assertEquals(4, transport.read(buf, 0, buf.length, 5000));
            assertFalse(transport.usesDirectCalls(), "the head is read blocking");

            transport.expectMoreRequests();
            assertTrue(transport.usesDirectCalls(), "told the connection is kept: its own descriptor");
            assertTrue(transport.isEdgeTriggered(), "and the loop's edge-triggered epoll");
            send(peer, "body");
            ByteBuffer direct = ByteBuffer.allocateDirect(16);
            assertEquals(4, transport.read(direct, 5000), "the body goes into a direct buffer as every later one does");
            assertEquals("body", StandardCharsets.US_ASCII.decode(direct.flip()).toString());
            transport.write("answer".getBytes(StandardCharsets.US_ASCII), 0, 6);
            assertEquals("answer", receive(peer, 6));
            transport.expectMoreRequests(); // once moved, nothing more to do
            send(peer, "next");
            assertEquals(4, transport.read(buf, 0, buf.length, 5000));
            assertEquals("next", new String(buf, 0, 4, StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aCloseFromAnotherThreadEndsAWaitingRead() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             SocketChannel peer = SocketChannel.open(listener.getLocalAddress());
             SocketChannel accepted = listener.accept();
             ReadinessLoop loop = new ReadinessLoop("test-direct")) {
            SocketTransport transport = movedToDirectCalls(accepted, peer, loop);
            Thread closer = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
                transport.close();
            });
            assertThrows(IOException.class, () -> transport.read(new byte[16], 0, 16, 0));
            closer.join();
            assertThrows(IOException.class, () -> transport.write(new byte[] {1}, 0, 1), "a closed transport makes no call");
            assertEquals(-1, peer.read(ByteBuffer.allocate(16)), "the peer sees the connection end");
        }
    }

    /** Closes that come while another thread reads (or is about to): every read ends, every descriptor comes back. */
    @Test
    void closesRacingReadsEndThemAndLeakNothing() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             ReadinessLoop loop = new ReadinessLoop("test-direct")) {
            long before = steadyDescriptors();
            for (int i = 0; i < 100; i++) {
                try (SocketChannel peer = SocketChannel.open(listener.getLocalAddress())) {
                    SocketTransport transport = movedToDirectCalls(listener.accept(), peer, loop);
                    FutureTask<Void> reads = new FutureTask<>(() -> {
                        byte[] buf = new byte[16];
                        while (transport.read(buf, 0, buf.length, 5000) > 0) {
                            // until the close
                        }
                        return null;
                    });
                    Thread reader = Thread.ofVirtual().start(reads);
                    send(peer, "x");
                    if (i % 2 == 0) Thread.sleep(0, 50_000 * (i % 7));
                    transport.close();
                    assertTrue(reader.join(Duration.ofSeconds(10)), "the read ended");
                    try {
                        reads.get();
                    } catch (ExecutionException e) {
                        assertTrue(e.getCause() instanceof IOException, () -> "an I/O error: " + e.getCause());
                    }
                }
            }
            Poll.until(OpenDescriptors::count, n -> n <= before, "descriptors given back after the closes");
        }
    }

    @Test
    void closingGivesBackEveryDescriptorAndItsPlaceInTheDuplicateCount() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             ReadinessLoop loop = new ReadinessLoop("test-direct")) {
            long before = steadyDescriptors();
            int heldBefore = steadyDuplicatesHeld();
            List<SocketChannel> peers = new ArrayList<>();
            List<SocketTransport> transports = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                SocketChannel peer = SocketChannel.open(listener.getLocalAddress());
                peers.add(peer);
                transports.add(movedToDirectCalls(listener.accept(), peer, loop));
            }
            long open = OpenDescriptors.count();
            assertTrue(open >= before + 60, "a peer, an accepted socket and its duplicate each: " + before + " -> " + open);
            assertEquals(heldBefore + 20, DirectSocketCalls.duplicatesHeld());
            Thread closer = Thread.ofVirtual().start(() -> transports.forEach(SocketTransport::close)); // not the reading thread
            closer.join();
            assertEquals(heldBefore, DirectSocketCalls.duplicatesHeld());
            for (SocketChannel peer : peers) peer.close();
            Poll.until(OpenDescriptors::count, n -> n <= before, "descriptors given back after the close");
        }
    }

    @Test
    void aServerUsesThemByDefaultAndNotWhenTurnedOff() throws Exception {
        long withCalls = descriptorsPerKeepAliveConnection(true);
        long withoutCalls = descriptorsPerKeepAliveConnection(false);
        assertEquals(1, withCalls - withoutCalls, () -> "descriptors per connection: " + withCalls + " with, " + withoutCalls + " without");
    }

    /** Open descriptors per client connection (its own and the server's) after two requests each, with ten connections. */
    private static long descriptorsPerKeepAliveConnection(boolean directCalls) throws Exception {
        try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "hello"), b -> b.directSocketCalls(directCalls))) {
            long before = steadyDescriptors(); // a server stopped just before may still be closing sockets
            List<RawClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 10; i++) {
                    RawClient client = new RawClient("127.0.0.1", server.port());
                    clients.add(client);
                    for (int request = 0; request < 2; request++) {
                        client.send(REQUEST);
                        RawClient.Response response = client.read();
                        assertEquals(200, response.status());
                        assertEquals("hello", response.bodyText());
                    }
                }
                // the second request is read on the readiness loop, after the answer to the first went out
                return Math.round((OpenDescriptors.count() - before) / 10.0);
            } finally {
                for (RawClient client : clients) client.close();
            }
        }
    }

    @Test
    void theDuplicateBudgetLeavesEveryConnectionTheServerMayAdmitADescriptor() {
        long limit = OpenDescriptors.limit();
        assumeTrue(limit < Integer.MAX_VALUE / 4, "a finite descriptor limit");
        assertEquals(limit / 4, DirectSocketCalls.duplicateBudget(Integer.MAX_VALUE), "a quarter, whatever the server admits");
        for (int maxConnections : new int[] {1, 100, 10_000, (int) (limit / 2), (int) limit}) {
            long budget = DirectSocketCalls.duplicateBudget(maxConnections);
            assertTrue(budget >= limit / 4 && budget < limit, maxConnections + " connections: " + budget);
            if (budget > limit / 4) { // every socket, every duplicate and the reserve fit, however they are numbered
                assertEquals(limit, budget + maxConnections + DirectSocketCalls.RESERVED_DESCRIPTORS,
                        maxConnections + " connections, " + budget + " duplicates, limit " + limit);
            }
        }
    }

    @Test
    void pastItsBudgetAConnectionUsesTheChannelsCallsAndClosingGivesTheBudgetBack() throws Exception {
        long quarter = OpenDescriptors.limit() / 4;
        assumeTrue(quarter < Integer.MAX_VALUE, "a finite descriptor limit");
        int held = steadyDuplicatesHeld(); // a server stopped just before may still be closing sockets
        int reserved = 0; // the rest of the quarter, counted as if held
        try (ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             ReadinessLoop loop = new ReadinessLoop("test-direct")) {
            while (DirectSocketCalls.reserveDuplicate((int) quarter)) reserved++;
            assertEquals(quarter, held + reserved);
            List<SocketTransport> transports = new ArrayList<>();
            try (SocketChannel full = SocketChannel.open(listener.getLocalAddress());
                 SocketChannel room = SocketChannel.open(listener.getLocalAddress())) {
                SocketTransport overBudget = new SocketTransport(listener.accept(), loop, null, true, Integer.MAX_VALUE);
                transports.add(overBudget);
                secondRequestRead(overBudget, full);
                assertFalse(overBudget.usesDirectCalls(), "a server admitting any number of connections stops at the quarter");
                SocketTransport fewAdmitted = new SocketTransport(listener.accept(), loop, null, true, 64);
                transports.add(fewAdmitted);
                secondRequestRead(fewAdmitted, room);
                assertTrue(fewAdmitted.usesDirectCalls(), "a server admitting 64 connections has room for more duplicates");
                assertEquals(quarter + 1, DirectSocketCalls.duplicatesHeld());
            } finally {
                transports.forEach(SocketTransport::close);
            }
            assertEquals(quarter, DirectSocketCalls.duplicatesHeld(), "the closed transport's duplicate is no longer counted");
        } finally {
            for (int i = 0; i < reserved; i++) DirectSocketCalls.duplicateGone();
        }
    }

    private static int steadyDuplicatesHeld() throws InterruptedException {
        int last = -1;
        for (int i = 0; i < 50; i++) {
            int now = DirectSocketCalls.duplicatesHeld();
            if (now == last) return now;
            last = now;
            Thread.sleep(100);
        }
        return last;
    }

    /** A transport that answered a first request and read a second one, through recv by then. */
    private static SocketTransport movedToDirectCalls(SocketChannel accepted, SocketChannel peer, ReadinessLoop loop)
            throws IOException {
        SocketTransport transport = SocketTransport.withLoop(accepted, loop, true);
        secondRequestRead(transport, peer);
        assertTrue(transport.usesDirectCalls());
        return transport;
    }

    /** Has {@code transport} answer a first request and read a second one (on its loop by then). */
    private static void secondRequestRead(SocketTransport transport, SocketChannel peer) throws IOException {
        byte[] buf = new byte[16];
        send(peer, "first");
        assertEquals(5, transport.read(buf, 0, buf.length, 5000));
        transport.write(buf, 0, 5);
        assertEquals("first", receive(peer, 5));
        send(peer, "second");
        assertEquals(6, transport.read(buf, 0, buf.length, 5000));
    }

    private static void send(SocketChannel peer, String text) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
        while (bytes.hasRemaining()) peer.write(bytes);
    }

    private static String receive(SocketChannel peer, int n) throws IOException {
        return new String(new DataInputStream(peer.socket().getInputStream()).readNBytes(n), StandardCharsets.US_ASCII);
    }

    private static byte[] pattern(int length, int step) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = (byte) (i * step + i / 4096);
        return bytes;
    }

    /** Reads {@code n} bytes from {@code peer} on a thread of its own, starting late (the writer fills both socket buffers meanwhile). */
    private static Future<byte[]> readSlowly(SocketChannel peer, int n) {
        FutureTask<byte[]> task = new FutureTask<>(() -> {
            Thread.sleep(200);
            InputStream in = peer.socket().getInputStream(); // not closed: that would close the peer
            return new DataInputStream(in).readNBytes(n);
        });
        Thread.ofVirtual().start(task);
        return task;
    }

    /** The count of open descriptors once it has not changed for 200 ms. */
    private static long steadyDescriptors() throws InterruptedException {
        long last = -1;
        for (int i = 0; i < 50; i++) {
            long now = OpenDescriptors.count();
            if (now == last) return now;
            last = now;
            Thread.sleep(200);
        }
        return last;
    }
}
