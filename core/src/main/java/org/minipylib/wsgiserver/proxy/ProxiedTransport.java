package org.minipylib.wsgiserver.proxy;

import org.minipylib.wsgiserver.http.ProxiedTls;
import org.minipylib.wsgiserver.http.Transport;
import org.minipylib.wsgiserver.http.UnixPeerAddress;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * A connection that came through a proxy speaking the PROXY protocol: the addresses are those of the
 * header when it gave network addresses, else the socket's (a client the header names no network
 * address of, by {@code UNKNOWN}, {@code UNSPEC} or UNIX socket paths, loses the proxy's UNIX peer
 * credentials: only {@code LOCAL} is the proxy itself), the scheme is {@code https} when the header says the client connected to
 * the proxy over TLS, and the bytes read after the header with it are read first. Everything else
 * goes to the wrapped transport, each of its calls as itself (a default of {@link Transport} in
 * between would lose what the wrapped one does instead).
 */
final class ProxiedTransport implements Transport {

    /** A UNIX socket peer known by nothing (what the socket gives without peer credentials). */
    private static final SocketAddress UNIX_CLIENT_WITHOUT_IDENTITY = UnixDomainSocketAddress.of("");

    private final Transport wrapped;
    private final SocketAddress remote;
    private final SocketAddress local;
    private final ProxiedTls tls;
    private final byte[] leftover;
    private int leftoverPos;
    private final int leftoverEnd;

    /**
     * @param leftover bytes {@code [from, to)} were read past the header: the client's first data
     */
    ProxiedTransport(Transport wrapped, ProxyHeader header, byte[] leftover, int from, int to) {
        this.wrapped = wrapped;
        // A header naming UNIX socket paths (a client of the proxy's own UNIX socket) keeps the socket's
        // addresses, as UNKNOWN does: that client has no network address. Only LOCAL is the proxy
        // itself: any other client loses the proxy's UNIX peer credentials (its REMOTE_USER).
        boolean unixPaths = header.source() instanceof UnixDomainSocketAddress;
        boolean addressed = header.source() != null && !unixPaths;
        SocketAddress peer = wrapped.remoteAddress();
        this.remote = addressed ? header.source()
                : !header.local() && peer instanceof UnixPeerAddress ? UNIX_CLIENT_WITHOUT_IDENTITY : peer;
        this.local = header.destination() != null && !unixPaths ? header.destination() : wrapped.localAddress();
        this.tls = header.tls();
        this.leftover = leftover;
        this.leftoverPos = from;
        this.leftoverEnd = to;
    }

    @Override
    public int read(byte[] b, int off, int len, int timeoutMillis) throws IOException {
        if (leftoverPos < leftoverEnd) {
            int n = Math.min(len, leftoverEnd - leftoverPos);
            System.arraycopy(leftover, leftoverPos, b, off, n);
            leftoverPos += n;
            return n;
        }
        return wrapped.read(b, off, len, timeoutMillis);
    }

    /** The leftover bytes first, as a read; then the wrapped transport's own idle read (TLS's may return 0). */
    @Override
    public int readWhenIdle(byte[] b, int off, int len) throws IOException {
        if (leftoverPos < leftoverEnd) return read(b, off, len, 0);
        return wrapped.readWhenIdle(b, off, len);
    }

    /**
     * The leftover bytes first; then the wrapped transport's own: a UNIX socket reads what has arrived
     * without asking first (it cannot tell), where the default would find nothing.
     */
    @Override
    public int readArrived(byte[] b, int off, int len) throws IOException {
        if (leftoverPos < leftoverEnd) return read(b, off, len, 0);
        return wrapped.readArrived(b, off, len);
    }

    @Override
    public boolean inputBegun() {
        return wrapped.inputBegun();
    }

    @Override
    public boolean readsBuffersDirectly() {
        return leftoverPos == leftoverEnd && wrapped.readsBuffersDirectly();
    }

    @Override
    public int read(ByteBuffer dst, int timeoutMillis) throws IOException {
        if (leftoverPos < leftoverEnd) {
            int n = Math.min(dst.remaining(), leftoverEnd - leftoverPos);
            dst.put(leftover, leftoverPos, n);
            leftoverPos += n;
            return n;
        }
        return wrapped.read(dst, timeoutMillis);
    }

    @Override
    public void expectMoreRequests() throws IOException {
        wrapped.expectMoreRequests();
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        wrapped.write(b, off, len);
    }

    /** Passed on as one call, so that the socket's gathering write is kept. */
    @Override
    public void write(byte[] a, int aOff, int aLen, byte[] b, int bOff, int bLen) throws IOException {
        wrapped.write(a, aOff, aLen, b, bOff, bLen);
    }

    /** Passed on as one call, so that the socket's gathering write is kept and a direct body is not copied. */
    @Override
    public void write(byte[] head, int headOff, int headLen, ByteBuffer body) throws IOException {
        wrapped.write(head, headOff, headLen, body);
    }

    /** Passed on, so that the socket's own file transmission is kept. */
    @Override
    public long transferFrom(FileChannel file, long position, long count) throws IOException {
        return wrapped.transferFrom(file, position, count);
    }

    @Override
    public boolean waitsWithoutBuffer() {
        return leftoverPos == leftoverEnd && wrapped.waitsWithoutBuffer();
    }

    @Override
    public void awaitReadable(int timeoutMillis) throws IOException {
        wrapped.awaitReadable(timeoutMillis);
    }

    @Override
    public boolean awaitReadableThen(Runnable then) throws IOException {
        return wrapped.awaitReadableThen(then);
    }

    @Override
    public boolean hasPendingInput() {
        return leftoverPos < leftoverEnd || wrapped.hasPendingInput();
    }

    @Override
    public void closeCleanly() {
        wrapped.closeCleanly();
    }

    @Override
    public boolean closesWithMessage() {
        return wrapped.closesWithMessage();
    }

    @Override
    public void shutdownOutput() throws IOException {
        wrapped.shutdownOutput();
    }

    @Override
    public void resetOnClose() {
        wrapped.resetOnClose();
    }

    @Override
    public int unsentBytes() {
        return wrapped.unsentBytes();
    }

    @Override
    public long bytesWritten() {
        return wrapped.bytesWritten();
    }

    @Override
    public SocketAddress localAddress() {
        return local;
    }

    @Override
    public SocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public String scheme() {
        return tls != null ? "https" : wrapped.scheme(); // the client's scheme: TLS to the proxy
    }

    @Override
    public javax.net.ssl.SSLSession sslSession() {
        return wrapped.sslSession();
    }

    @Override
    public ProxiedTls proxiedTls() {
        return tls;
    }

    @Override
    public void close() {
        wrapped.close();
    }
}
