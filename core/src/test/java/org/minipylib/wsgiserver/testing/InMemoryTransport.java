package org.minipylib.wsgiserver.testing;

import org.minipylib.wsgiserver.http.Transport;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A transport that delivers the given bytes, at most {@code maxRead} per read, then the end of the
 * stream, and keeps what is written: for driving an {@code HttpConnection} without a socket. It
 * records the calls made of it in order ({@link #events()}: {@code read}, {@code write},
 * {@code expectMoreRequests}).
 */
public final class InMemoryTransport implements Transport {

    private final byte[] incoming;
    private final int maxRead;
    private int pos;
    private int writes;
    private final ByteArrayOutputStream written = new ByteArrayOutputStream();
    private final List<String> events = new ArrayList<>();

    public InMemoryTransport(byte[] incoming, int maxRead) {
        this.incoming = incoming;
        this.maxRead = maxRead;
    }

    /** All of {@code incoming} in the first read. */
    public InMemoryTransport(String incoming) {
        this(incoming.getBytes(StandardCharsets.ISO_8859_1), Integer.MAX_VALUE);
    }

    /** Writes so far. */
    public int writes() {
        return writes;
    }

    /** What was written so far, as ISO-8859-1 text. */
    public String written() {
        return written.toString(StandardCharsets.ISO_8859_1);
    }

    /** The calls made so far, in order. */
    public List<String> events() {
        return events;
    }

    @Override
    public int read(byte[] b, int off, int len, int timeoutMillis) {
        if (len == 0) return 0;
        events.add("read");
        if (pos == incoming.length) return -1;
        int n = Math.min(Math.min(len, maxRead), incoming.length - pos);
        System.arraycopy(incoming, pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        events.add("write");
        written.write(b, off, len);
        writes++;
    }

    @Override
    public void expectMoreRequests() {
        events.add("expectMoreRequests");
    }

    @Override public boolean hasPendingInput() { return pos < incoming.length; }
    @Override public void shutdownOutput() { }
    @Override public SocketAddress localAddress() { return new InetSocketAddress("127.0.0.1", 8080); }
    @Override public SocketAddress remoteAddress() { return new InetSocketAddress("127.0.0.1", 50000); }
    @Override public String scheme() { return "http"; }
    @Override public void close() { }
}
