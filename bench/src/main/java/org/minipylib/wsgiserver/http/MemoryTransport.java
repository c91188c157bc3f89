package org.minipylib.wsgiserver.http;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * A {@link Transport} in memory for benchmarks: every read delivers the same bytes (one request,
 * or a batch of pipelined ones), as if the client sent them again; writes are counted and dropped.
 */
final class MemoryTransport implements Transport {

    private static final SocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 8080);
    private static final SocketAddress REMOTE = new InetSocketAddress("127.0.0.1", 50000);

    private final byte[] incoming;
    private int offset;
    private long written;
    private long writes;

    MemoryTransport(byte[] incoming) {
        this.incoming = incoming;
    }

    /** Bytes written so far. */
    long written() {
        return written;
    }

    /** Write calls so far (each one would be a system call on a socket). */
    long writes() {
        return writes;
    }

    @Override
    public int read(byte[] b, int off, int len, int timeoutMillis) {
        int n = Math.min(len, incoming.length - offset);
        System.arraycopy(incoming, offset, b, off, n);
        offset += n;
        if (offset == incoming.length) offset = 0;
        return n;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        written += len;
        writes++;
    }

    @Override
    public boolean hasPendingInput() {
        return false;
    }

    @Override
    public void shutdownOutput() {
    }

    @Override
    public SocketAddress localAddress() {
        return LOCAL;
    }

    @Override
    public SocketAddress remoteAddress() {
        return REMOTE;
    }

    @Override
    public String scheme() {
        return "http";
    }

    @Override
    public void close() {
    }
}
