package org.minipylib.wsgiserver.http;

import org.minipylib.wsgiserver.server.ReadinessLoop;
import org.minipylib.wsgiserver.server.SocketTransport;
import org.minipylib.wsgiserver.server.UnixSocketTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A connection waiting for its next request on a readiness loop lends its input buffer back to the
 * pool, and takes one again when the request arrives; where it cannot wait without a buffer (a new
 * connection, no loop, bytes already buffered) it keeps its own. Real sockets on 127.0.0.1, and a
 * UNIX socket.
 */
@EnabledIf("org.minipylib.wsgiserver.server.ReadinessLoop#supported")
class IdleInputBufferTest {

    private static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESPONSE = "HTTP/1.1 204 No Content\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private ReadinessLoop loop;
    private ServerSocketChannel listener;
    private SocketChannel client;
    private SocketChannel accepted;
    private final BufferPool pool = new BufferPool(64, 4);

    @BeforeEach
    void connect() throws IOException {
        loop = new ReadinessLoop("test-readiness-loop");
        listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        client = SocketChannel.open(listener.getLocalAddress());
        accepted = listener.accept();
    }

    @AfterEach
    void close() throws IOException {
        threads.shutdownNow();
        client.close();
        accepted.close();
        listener.close();
        loop.close();
    }

    private ConnectionInput input(Transport transport) {
        return new ConnectionInput(transport, new ConnectionOutput(transport, 1024), pool, 64, 1024, null);
    }

    /** Takes buffers from the pool (for at most {@code millis}) until {@code wanted} is among them; gives it back. */
    private boolean poolGivesBack(byte[] wanted, long millis) throws InterruptedException {
        if (!poolHands(wanted, millis)) return false;
        pool.give(wanted);
        return true;
    }

    /** Takes buffers from the pool (for at most {@code millis}) until {@code wanted} is among them; keeps it. */
    private boolean poolHands(byte[] wanted, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        do {
            if (pool.take() == wanted) return true;
            Thread.sleep(5);
        } while (System.nanoTime() < deadline);
        return false;
    }

    private void answer(Transport transport) throws IOException {
        transport.write(RESPONSE, 0, RESPONSE.length);
        ByteBuffer got = ByteBuffer.allocate(RESPONSE.length);
        while (got.hasRemaining()) client.read(got);
    }

    @Test
    void keepAliveConnectionWaitsWithoutItsBufferAndReadsTheNextRequestIntoAPooledOne() throws Exception {
        SocketTransport transport = SocketTransport.withLoop(accepted, loop, true);
        ConnectionInput in = input(transport);
        byte[] own = in.buf;
        answer(transport); // a request was answered: the next wait is an idle keep-alive wait

        Future<Integer> read = threads.submit(() -> in.fillWhenIdle(null));
        assertTrue(poolHands(own, 5000), "the idle connection's buffer went back to the pool");
        assertFalse(read.isDone(), "still waiting: nothing was sent");
        Arrays.fill(own, (byte) 'x'); // kept out of the pool now: the connection must read into another buffer

        client.write(ByteBuffer.wrap(REQUEST));
        assertEquals(REQUEST.length, read.get(5, TimeUnit.SECONDS));
        assertNotSame(own, in.buf);
        assertEquals(64, in.buf.length);
        for (byte b : own) assertEquals('x', b, "the lent buffer is no longer written");
        assertEquals(new String(REQUEST, StandardCharsets.US_ASCII),
                new String(in.buf, in.pos, in.available(), StandardCharsets.US_ASCII));
    }

    /** Over a UNIX socket on the loop too: the idle wait lends the buffer back, the next request reads into a pooled one. */
    @Test
    void aUnixSocketConnectionWaitsWithoutItsBufferToo(@TempDir Path dir) throws Exception {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("idle.sock"));
        try (ServerSocketChannel unixListener = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(address);
             SocketChannel unixClient = SocketChannel.open(address)) {
            UnixSocketTransport transport = new UnixSocketTransport(unixListener.accept(), false, null, loop);
            try {
                ConnectionInput in = input(transport);
                byte[] own = in.buf;
                transport.write(RESPONSE, 0, RESPONSE.length);
                ByteBuffer got = ByteBuffer.allocate(RESPONSE.length);
                while (got.hasRemaining()) unixClient.read(got);

                Future<Integer> read = threads.submit(() -> in.fillWhenIdle(null));
                assertTrue(poolHands(own, 5000), "the idle connection's buffer went back to the pool");
                assertFalse(read.isDone(), "still waiting: nothing was sent");
                unixClient.write(ByteBuffer.wrap(REQUEST));
                assertEquals(REQUEST.length, read.get(5, TimeUnit.SECONDS));
                assertNotSame(own, in.buf);
                assertEquals(new String(REQUEST, StandardCharsets.US_ASCII),
                        new String(in.buf, in.pos, in.available(), StandardCharsets.US_ASCII));
            } finally {
                transport.close();
            }
        }
    }

    /** Has {@code transport} write a new array of {@code size} bytes (read by the client); only a weak reference stays here. */
    private WeakReference<byte[]> writeLargeResponse(Transport transport, int size) throws Exception {
        byte[] body = new byte[size];
        Future<?> write = threads.submit(() -> {
            transport.write(body, 0, body.length);
            return null;
        });
        ByteBuffer got = ByteBuffer.allocate(size);
        while (got.hasRemaining()) client.read(got);
        write.get(5, TimeUnit.SECONDS);
        return new WeakReference<>(body);
    }

    @Test
    @Timeout(30)
    void idleConnectionKeepsNoArrayOfItsLastRequestOrResponseAlive() throws Exception {
        SocketTransport transport = SocketTransport.withLoop(accepted, loop, true);
        ConnectionInput in = input(transport);
        answer(transport);
        Future<Integer> read = threads.submit(() -> in.fillWhenIdle(null)); // moves the socket to the loop
        client.write(ByteBuffer.wrap(REQUEST));
        assertEquals(REQUEST.length, read.get(5, TimeUnit.SECONDS));

        WeakReference<byte[]> written = writeLargeResponse(transport, 256 * 1024); // an application's body array
        WeakReference<byte[]> readInto = new WeakReference<>(in.buf);
        in.pos = in.limit; // the request was consumed

        Future<Integer> idle = threads.submit(() -> in.fillWhenIdle(null));
        assertTrue(poolHands(readInto.get(), 5000), "lent, and now kept out of the pool");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((written.get() != null || readInto.get() != null) && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(written.get() == null, "the response's array is not kept by the idle connection");
        assertTrue(readInto.get() == null, "nor the input buffer it lent");
        assertFalse(idle.isDone());
    }

    @Test
    void idleWaitEndingInTheClientsCloseReportsEndOfStreamWithABufferBack() throws Exception {
        SocketTransport transport = SocketTransport.withLoop(accepted, loop, true);
        ConnectionInput in = input(transport);
        byte[] own = in.buf;
        answer(transport);
        Future<Integer> read = threads.submit(() -> in.fillWhenIdle(null));
        assertTrue(poolGivesBack(own, 5000), "waiting without its buffer");
        client.close();
        assertEquals(-1, read.get(5, TimeUnit.SECONDS));
        assertEquals(64, in.buf.length, "holds a buffer again, usable by the close path");
    }

    @Test
    void newConnectionReadsItsFirstRequestIntoItsOwnBuffer() throws Exception {
        ConnectionInput in = input(SocketTransport.withLoop(accepted, loop, true));
        byte[] own = in.buf;
        client.write(ByteBuffer.wrap(REQUEST));
        assertEquals(REQUEST.length, in.fillWhenIdle(null));
        assertSame(own, in.buf);
    }

    @Test
    void withoutALoopTheConnectionKeepsItsBufferWhileIdle() throws Exception {
        SocketTransport transport = SocketTransport.blocking(accepted); // waits in the JDK's poller, into the buffer
        ConnectionInput in = input(transport);
        byte[] own = in.buf;
        answer(transport);
        Future<Integer> read = threads.submit(() -> in.fillWhenIdle(null));
        assertFalse(poolGivesBack(own, 300), "the buffer stays with the connection");
        client.write(ByteBuffer.wrap(REQUEST));
        assertEquals(REQUEST.length, read.get(5, TimeUnit.SECONDS));
        assertSame(own, in.buf);
    }

    @Test
    void bufferedPipelinedBytesAreParsedFirstWithoutLendingTheBuffer() throws Exception {
        SocketTransport transport = SocketTransport.withLoop(accepted, loop, true);
        ConnectionInput in = input(transport);
        byte[] own = in.buf;
        client.write(ByteBuffer.wrap(REQUEST));
        assertEquals(REQUEST.length, in.fill(0));
        in.skip(10); // part of what arrived is still unparsed
        answer(transport);
        client.write(ByteBuffer.wrap(REQUEST));
        assertTrue(in.fillWhenIdle(null) > 0);
        assertSame(own, in.buf);
    }
}
