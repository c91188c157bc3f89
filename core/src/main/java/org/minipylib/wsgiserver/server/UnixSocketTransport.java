package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.http.Transport;
import org.minipylib.wsgiserver.http.UnixPeerAddress;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/**
 * A UNIX domain socket connection. Such channels have no socket adaptor, hence no read timeout of
 * their own: an untimed read is a plain blocking read (on a virtual thread it parks in the JDK's
 * poller), and a timed read that finds nothing waits on a selector of this connection, opened the
 * first time it is needed.
 *
 * <p>{@link #hasPendingInput()} cannot look into a UNIX socket from another thread and says false:
 * a request that arrives at the very moment the server drains may find its connection closed (the
 * proxy in front sees a closed idle connection and retries, as with any keep-alive race).
 */
public final class UnixSocketTransport implements Transport {

    private final SocketChannel channel;
    private final SocketAddress local;
    private final SocketAddress remote;
    private final ServerStatistics statistics; // counts the bytes read and written, if not null
    private Selector selector;
    private SelectionKey key;

    /**
     * @param peerCredentials read the client's user and group, names and ids ({@code SO_PEERCRED}): the remote
     *                        address is then a {@link UnixPeerAddress}
     */
    public UnixSocketTransport(SocketChannel channel, boolean peerCredentials) throws IOException {
        this(channel, peerCredentials, null);
    }

    /** As {@link #UnixSocketTransport(SocketChannel, boolean)}, counting the bytes read and written into {@code statistics} (if not null). */
    public UnixSocketTransport(SocketChannel channel, boolean peerCredentials, ServerStatistics statistics) throws IOException {
        this.channel = channel;
        this.statistics = statistics;
        this.local = channel.getLocalAddress();
        this.remote = peerCredentials ? peer(channel) : channel.getRemoteAddress();
    }

    private static SocketAddress peer(SocketChannel channel) throws IOException {
        UnixDomainPrincipal principal = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
        return new UnixPeerAddress(principal.user().getName(), principal.group().getName(),
                PrincipalIds.uid(principal.user()), PrincipalIds.gid(principal.group()));
    }

    @Override
    public int read(byte[] b, int off, int len, int timeoutMillis) throws IOException {
        return read(ByteBuffer.wrap(b, off, len), timeoutMillis);
    }

    /** Always: every read goes through {@link #read(ByteBuffer, int)}. */
    @Override
    public boolean readsBuffersDirectly() {
        return true;
    }

    /** Reads straight into {@code buffer}: a direct one takes the bytes with no copy through the heap. */
    @Override
    public int read(ByteBuffer buffer, int timeoutMillis) throws IOException {
        if (!buffer.hasRemaining()) return 0;
        Thread.interrupted(); // see SocketTransport: a stale interrupt must not close the channel
        int n;
        if (timeoutMillis == 0) {
            n = channel.read(buffer);
        } else {
            try {
                n = timedRead(buffer, timeoutMillis);
            } catch (ClosedSelectorException e) { // closed by another thread meanwhile
                throw new ClosedChannelException();
            }
        }
        if (n > 0 && statistics != null) statistics.read(n);
        return n;
    }

    private int timedRead(ByteBuffer buffer, int timeoutMillis) throws IOException {
        channel.configureBlocking(false);
        try {
            int n = channel.read(buffer);
            if (n != 0) return n;
            if (selector == null) selector = Selector.open();
            key = channel.register(selector, SelectionKey.OP_READ);
            if (selector.select(timeoutMillis) == 0) throw new SocketTimeoutException("Read timed out");
            selector.selectedKeys().clear();
            return channel.read(buffer);
        } finally {
            if (key != null) {
                key.cancel();
                selector.selectNow(); // deregisters, so that the channel may block again
                key = null;
            }
            if (channel.isOpen()) channel.configureBlocking(true);
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Thread.interrupted();
        ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
        while (buffer.hasRemaining()) channel.write(buffer);
        if (statistics != null) statistics.written(len);
    }

    /** One gathering write system call for both pieces (more only if the socket takes part of them). */
    @Override
    public void write(byte[] a, int aOff, int aLen, byte[] b, int bOff, int bLen) throws IOException {
        writeBoth(ByteBuffer.wrap(a, aOff, aLen), ByteBuffer.wrap(b, bOff, bLen));
    }

    /** As the array form: one gathering write, and a direct {@code body} is not copied into the heap on its way. */
    @Override
    public void write(byte[] head, int headOff, int headLen, ByteBuffer body) throws IOException {
        writeBoth(ByteBuffer.wrap(head, headOff, headLen), body);
    }

    /**
     * From file to socket by the operating system ({@link FileChannel#transferTo}), until the file
     * ends or the socket would make the call wait: the JDK's transfer returns at a full socket when
     * the descriptor is non-blocking underneath (a virtual thread's), and the caller's ordinary
     * write waits.
     */
    @Override
    public long transferFrom(FileChannel file, long position, long count) throws IOException {
        Thread.interrupted();
        long done = 0;
        while (done < count) {
            long n = file.transferTo(position + done, count - done, channel);
            if (n == 0) break;
            done += n;
        }
        if (statistics != null) statistics.written(done);
        return done;
    }

    private void writeBoth(ByteBuffer head, ByteBuffer body) throws IOException {
        Thread.interrupted();
        int total = head.remaining() + body.remaining(); // the HTTP layer passes slices of at most 32 KiB
        ByteBuffer[] pieces = {head, body};
        while (pieces[0].hasRemaining() || pieces[1].hasRemaining()) channel.write(pieces);
        if (statistics != null) statistics.written(total);
    }

    @Override
    public boolean hasPendingInput() {
        return false;
    }

    @Override
    public void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    @Override
    public void closeCleanly() {
        close(); // the FIN goes out with the close; no shutdown needed first
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
        return "http";
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing more to do
        }
        Selector s = selector;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // nothing more to do
            }
        }
    }
}
