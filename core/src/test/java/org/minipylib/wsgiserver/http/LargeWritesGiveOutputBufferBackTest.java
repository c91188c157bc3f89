package org.minipylib.wsgiserver.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * While a large piece of a body is written, which may wait long for a client that stopped reading,
 * the output buffer is back in the pool unless its own bytes are the ones being written: thousands
 * of such clients then hold no output buffer each. The bytes still leave complete and in order.
 */
class LargeWritesGiveOutputBufferBackTest {

    private static final int BUFFER_SIZE = 16 * 1024;
    private static final byte[] HEAD = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /**
     * Records what is written; its writes after the first {@code free} each wait until the test lets
     * them through, as writes into a full send buffer wait for a slow reader.
     */
    private static final class StallingTransport implements Transport {
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        final Semaphore stalled = new Semaphore(0);
        final Semaphore gate = new Semaphore(0);
        private int free;

        StallingTransport(int free) {
            this.free = free;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            write(b, off, 0, b, off, len);
        }

        /** One write, as a socket's gathering write is. */
        @Override
        public void write(byte[] a, int aOff, int aLen, byte[] b, int off, int len) throws IOException {
            if (free-- <= 0) {
                stalled.release();
                try {
                    if (!gate.tryAcquire(10, TimeUnit.SECONDS)) throw new IOException("the test never let the write through");
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
            written.write(a, aOff, aLen);
            written.write(b, off, len);
        }

        @Override public int read(byte[] b, int off, int len, int timeoutMillis) { return -1; }
        @Override public boolean hasPendingInput() { return false; }
        @Override public void shutdownOutput() { }
        @Override public SocketAddress localAddress() { return new InetSocketAddress("127.0.0.1", 80); }
        @Override public SocketAddress remoteAddress() { return new InetSocketAddress("127.0.0.1", 40000); }
        @Override public String scheme() { return "http"; }
        @Override public void close() { }
    }

    private interface OutputWrite {
        void run() throws IOException;
    }

    /** Runs {@code write} on another thread and waits until it stalls in the transport. */
    private static CompletableFuture<Void> writeUntilStalled(StallingTransport transport, OutputWrite write) throws Exception {
        CompletableFuture<Void> done = CompletableFuture.runAsync(() -> {
            try {
                write.run();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertTrue(transport.stalled.tryAcquire(10, TimeUnit.SECONDS), "the write reached the transport");
        return done;
    }

    /** A pool whose next buffer handed out is {@code buffer}. */
    private static BufferPool poolHandingOut(byte[] buffer) {
        BufferPool pool = new BufferPool(BUFFER_SIZE, 4);
        pool.give(buffer);
        return pool;
    }

    private static byte[] body(int length) {
        byte[] body = new byte[length];
        for (int i = 0; i < length; i++) body[i] = (byte) ('a' + i % 26);
        return body;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    @Test
    void aBodyBufferIsWrittenWithTheOutputBufferBackInThePoolOnceTheHeadWentOut() throws Exception {
        byte[] outputBuffer = new byte[BUFFER_SIZE];
        BufferPool pool = poolHandingOut(outputBuffer);
        StallingTransport transport = new StallingTransport(1); // the head with the first slice goes; the second slice stalls
        ConnectionOutput output = new ConnectionOutput(transport, pool);
        byte[] body = body(100_000);

        output.write(HEAD);
        CompletableFuture<Void> write = writeUntilStalled(transport, () -> output.write(ByteBuffer.allocateDirect(body.length).put(body).flip()));
        byte[] pooled = pool.take();
        assertTrue(pooled == outputBuffer, "the output buffer is back in the pool while the write waits");
        pool.give(pooled);

        transport.gate.release(100);
        write.get(10, TimeUnit.SECONDS);
        output.write("next".getBytes(StandardCharsets.US_ASCII)); // takes a buffer again
        output.flush();
        assertArrayEquals(concat(concat(HEAD, body), "next".getBytes(StandardCharsets.US_ASCII)), transport.written.toByteArray());
    }

    @Test
    void anArrayPieceWithNothingBufferedIsWrittenWithTheOutputBufferBackInThePool() throws Exception {
        byte[] outputBuffer = new byte[BUFFER_SIZE];
        BufferPool pool = poolHandingOut(outputBuffer);
        StallingTransport transport = new StallingTransport(1); // the head (flushed alone) goes; the piece stalls
        ConnectionOutput output = new ConnectionOutput(transport, pool);
        byte[] body = body(100_000);

        output.write(HEAD);
        output.flush();
        CompletableFuture<Void> write = writeUntilStalled(transport, () -> output.write(body, 0, body.length));
        byte[] pooled = pool.take();
        assertTrue(pooled == outputBuffer, "the output buffer is back in the pool while the write waits");
        pool.give(pooled);

        transport.gate.release(100);
        write.get(10, TimeUnit.SECONDS);
        assertArrayEquals(concat(HEAD, body), transport.written.toByteArray());
        assertEquals(body.length, output.pieceWritten());
    }

    @Test
    void theBufferKeepsItsOwnBytesWhileTheyAreWritten() throws Exception {
        byte[] outputBuffer = new byte[BUFFER_SIZE];
        BufferPool pool = poolHandingOut(outputBuffer);
        StallingTransport transport = new StallingTransport(0);
        ConnectionOutput output = new ConnectionOutput(transport, pool);
        byte[] small = body(BUFFER_SIZE - 100); // copied into the buffer, which then goes out whole

        output.write(small, 0, small.length);
        CompletableFuture<Void> write = writeUntilStalled(transport, output::flush);
        byte[] pooled = pool.take();
        assertTrue(pooled != outputBuffer, "the buffer being written stays with the output");

        transport.gate.release(100);
        write.get(10, TimeUnit.SECONDS);
        assertArrayEquals(small, transport.written.toByteArray());
    }
}
