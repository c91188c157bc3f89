package org.minipylib.wsgiserver.server;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A blocking socket (no readiness loop: JDK 21 to 23, pool workers, or a connection before it moves)
 * reads a body into a direct buffer with the channel's own read when bytes have arrived already
 * (that read has no timeout, but cannot wait then), and through its timed stream when none have:
 * the timeout still bounds every wait.
 */
class BlockingSocketReadsBodiesDirectlyTest {

    @Test
    void arrivedBytesGoStraightIntoADirectBufferAndAWaitStillTimesOut() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             SocketChannel peer = SocketChannel.open(listener.getLocalAddress());
             SocketChannel accepted = listener.accept()) {
            SocketTransport transport = SocketTransport.blocking(accepted); // no loop: blocking for good
            assertFalse(transport.readsBuffersDirectly(), "nothing has arrived: a read would wait, and only the stream times out");
            assertThrows(SocketTimeoutException.class, () -> transport.read(new byte[8], 0, 8, 200));

            byte[] body = new byte[48 * 1024];
            for (int i = 0; i < body.length; i++) body[i] = (byte) (i * 7 + i / 1000);
            ByteBuffer sent = ByteBuffer.wrap(body);
            while (sent.hasRemaining()) peer.write(sent);
            awaitArrived(accepted, body.length);

            assertTrue(transport.readsBuffersDirectly(), "bytes have arrived: the channel's read cannot wait");
            ByteBuffer direct = ByteBuffer.allocateDirect(body.length + 5).position(5);
            int n = transport.read(direct, 5000);
            assertTrue(n > 16 * 1024, "one read takes more than an array-sized piece (the stream's way is 16 KiB at most): " + n);
            for (int i = 0; i < 500 && direct.hasRemaining(); i++) {
                if (transport.readsBuffersDirectly()) transport.read(direct, 5000);
                else Thread.sleep(10);
            }
            assertFalse(direct.hasRemaining(), "every byte read, at " + direct.position());
            byte[] got = new byte[body.length];
            direct.get(5, got);
            assertArrayEquals(body, got);

            assertFalse(transport.readsBuffersDirectly(), "all read: the next wait is a timed one again");
            assertThrows(SocketTimeoutException.class, () -> transport.read(new byte[8], 0, 8, 200));
            // into a direct buffer too, asked first or not: an answer holds for one read only
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                assertThrows(SocketTimeoutException.class, () -> transport.read(ByteBuffer.allocateDirect(8), 200));
                peer.write(ByteBuffer.wrap("x".getBytes()));
                awaitArrived(accepted, 1);
                assertTrue(transport.readsBuffersDirectly());
                assertEquals(1, transport.read(ByteBuffer.allocateDirect(8), 200));
                assertThrows(SocketTimeoutException.class, () -> transport.read(ByteBuffer.allocateDirect(8), 200),
                        "the read after the one it was asked for waits with the timeout");
            }, "a read into a direct buffer with nothing there would block for good through the channel");
            peer.write(ByteBuffer.wrap("more".getBytes()));
            byte[] more = new byte[8];
            assertEquals(4, transport.read(more, 0, 8, 5000), "the connection still reads after its timeouts");
            assertArrayEquals("more".getBytes(), Arrays.copyOf(more, 4));

            peer.shutdownOutput();
            assertEquals(-1, transport.read(more, 0, 8, 5000), "the end of the stream");
        }
    }

    /** Waits (bounded) until {@code n} bytes have arrived on {@code accepted}. */
    private static void awaitArrived(SocketChannel accepted, int n) throws Exception {
        for (int i = 0; i < 500 && accepted.socket().getInputStream().available() < n; i++) Thread.sleep(10);
        assertEquals(n, accepted.socket().getInputStream().available(), "the peer's bytes arrive within 5 s");
    }
}
