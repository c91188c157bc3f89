package org.minipylib.wsgiserver.testing;

import org.minipylib.wsgiserver.http.Transport;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Random;

/**
 * A transport that serves a byte array in pieces of 1 to {@code maxPiece} bytes, then the end of
 * the stream: for the decoders and parsers that read a connection, so that every boundary is
 * crossed. It is for reading only: a write fails, as nothing under test may write.
 */
public final class PieceTransport implements Transport {

    private final byte[] data;
    private final Random random;
    private final int maxPiece;
    private final SocketAddress local;
    private final SocketAddress remote;
    private int pos;
    private int reads;

    /** From 127.0.0.1:5000 to 127.0.0.1:80. */
    public PieceTransport(byte[] data, Random random, int maxPiece) {
        this(data, random, maxPiece, new InetSocketAddress("127.0.0.1", 80), new InetSocketAddress("127.0.0.1", 5000));
    }

    public PieceTransport(byte[] data, Random random, int maxPiece, SocketAddress local, SocketAddress remote) {
        this.data = data;
        this.random = random;
        this.maxPiece = maxPiece;
        this.local = local;
        this.remote = remote;
    }

    /** Calls of {@link #read} so far. */
    public int reads() {
        return reads;
    }

    @Override
    public int read(byte[] b, int off, int len, int timeoutMillis) {
        reads++;
        if (pos >= data.length) return -1;
        int n = Math.min(Math.min(len, 1 + random.nextInt(maxPiece)), data.length - pos);
        System.arraycopy(data, pos, b, off, n);
        pos += n;
        return n;
    }

    @Override public void write(byte[] b, int off, int len) { throw new AssertionError("a read-only transport was written to"); }
    @Override public boolean hasPendingInput() { return false; }
    @Override public void shutdownOutput() { }
    @Override public SocketAddress localAddress() { return local; }
    @Override public SocketAddress remoteAddress() { return remote; }
    @Override public String scheme() { return "http"; }
    @Override public void close() { }
}
