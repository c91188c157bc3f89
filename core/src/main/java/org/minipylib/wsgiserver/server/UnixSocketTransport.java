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
import java.util.concurrent.TimeUnit;

/**
 * A UNIX domain socket connection. Such channels have no socket adaptor, hence no read timeout of
 * their own: the channel is non-blocking throughout. Non-blocking for good, not only during a timed
 * read: a write from another thread meanwhile (over TLS, the close_notify of an idle connection
 * closed by the watchdog or by stop() while its thread waits for the next request) would otherwise
 * find a full socket non-blocking and retry at once, a core's worth of CPU until the read ended.
 *
 * <p>Given a {@link ReadinessLoop}, a read or write that cannot proceed waits there (the socket
 * registers the first time one has to, and stays), and a connection waiting for its next request
 * waits there without a buffer ({@link #waitsWithoutBuffer()}) and without a thread
 * ({@link #awaitReadableThen}), as a TCP connection on the loop's selector does
 * ({@link ReadinessWait}): an idle keep-alive connection holds no thread, no buffer and no
 * descriptor besides its socket's. Below JDK 24 the server gives UNIX connections, in both worker
 * modes, a loop of their own on a platform thread ({@link ReadinessLoop#oneShotOnPlatformThread}):
 * there a virtual thread waiting in a selector of its own blocks its carrier (the JDK adds a carrier
 * per such wait, up to its limit of 256, and then runs nothing more). Without a loop (pool mode
 * from JDK 24), a wait is on a selector of the transport's own per direction, each opened the
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
    private final ReadinessLoop loop; // null: waits on the selectors below
    private volatile ReadinessWait readiness; // non-null once the loop watches the socket
    private volatile boolean registering; // set before the registration: a close meanwhile wakes the loop
    private boolean wroteSinceRead;
    private boolean resumed; // handed off (awaitReadableThen): the read that follows does not wait, see read
    private final ReadyWait readable = new ReadyWait(SelectionKey.OP_READ);
    private final ReadyWait writable = new ReadyWait(SelectionKey.OP_WRITE);

    /**
     * A connection over {@code channel}, waiting on {@code loop} (if not null) rather than on
     * selectors of its own: an idle keep-alive connection then holds no thread, no buffer and no
     * descriptor besides its socket's.
     *
     * @param peerCredentials read the client's user and group, names and ids ({@code SO_PEERCRED}): the remote
     *                        address is then a {@link UnixPeerAddress}
     * @param statistics      counts the bytes read and written, if not null
     */
    public UnixSocketTransport(SocketChannel channel, boolean peerCredentials, ServerStatistics statistics,
                               ReadinessLoop loop) throws IOException {
        this.channel = channel;
        this.statistics = statistics;
        this.loop = loop;
        this.local = channel.getLocalAddress();
        this.remote = peerCredentials ? peer(channel) : channel.getRemoteAddress();
        channel.configureBlocking(false);
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
        SocketTransport.clearStaleInterrupt(); // a stale interrupt must not close the channel
        wroteSinceRead = false;
        boolean afterHandOff = resumed;
        resumed = false;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        SocketWait r = readiness;
        int n;
        try {
            while ((n = channel.read(buffer)) == 0) {
                // After a hand-off, a wake for bytes read already: say so, and the connection hands
                // off again rather than wait here with a thread (see SocketTransport.takeResumed).
                if (afterHandOff && r != null && !r.cancelled()) return 0; // once cancelled, the wait below fails (or returns for a close)
                long left = timeoutMillis == 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime() + 999_999);
                if (timeoutMillis != 0 && left <= 0) throw new SocketTimeoutException("Read timed out");
                if (loop == null) {
                    readable.await(left);
                } else {
                    if (r == null) r = register();
                    r.awaitReadable((int) left);
                }
            }
        } finally {
            if (r != null) r.readDone(); // also when the read failed: a socket in error is reported on every poll
        }
        if (n > 0 && statistics != null) statistics.read(n);
        return n;
    }

    /** Registers the socket with the loop, once (a reader and a writer may both need it). */
    private synchronized ReadinessWait register() throws IOException {
        ReadinessWait r = readiness;
        if (r != null) return r;
        registering = true;
        try {
            r = new ReadinessWait(loop, channel);
        } catch (IOException e) { // closed, or the loop's selector (the server stopped)
            close();
            throw e;
        }
        readiness = r;
        if (!channel.isOpen()) r.closed(); // closed meanwhile: close() may have found no wait to end
        return r;
    }

    /**
     * With a loop, after a response, or once on the loop: {@link #awaitReadable} waits there (a new
     * connection reads at once instead).
     */
    @Override
    public boolean waitsWithoutBuffer() {
        return loop != null && (wroteSinceRead || readiness != null);
    }

    /** Waits on the loop until the socket is readable; the read that follows reads at once. */
    @Override
    public void awaitReadable(int timeoutMillis) throws IOException {
        if (loop == null) return; // the read waits
        beforeReadableWait().awaitReadableBeforeRead(timeoutMillis); // read calls readDone
    }

    /**
     * As {@link #awaitReadable(int) awaitReadable(0)}, but with no thread parked meanwhile: the
     * loop runs {@code then} when the socket is readable (or closed).
     */
    @Override
    public boolean awaitReadableThen(Runnable then) throws IOException {
        if (loop == null) return false;
        SocketWait r = beforeReadableWait();
        resumed = true; // before: from the call on, the thread `then` starts may be reading
        if (r.awaitReadableThen(then)) return true;
        resumed = false;
        return false;
    }

    private SocketWait beforeReadableWait() throws IOException {
        SocketTransport.clearStaleInterrupt();
        wroteSinceRead = false;
        return register();
    }

    /** True once a wait opened a selector of the transport's own: never with a loop (for tests). */
    boolean ownSelectorOpened() {
        return readable.selector != null || writable.selector != null;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        SocketTransport.clearStaleInterrupt();
        wroteSinceRead = true;
        ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
        try {
            while (true) {
                channel.write(buffer);
                if (!buffer.hasRemaining()) break;
                awaitWritable(); // a client that stopped reading: the watchdog's write timeout closes the transport
            }
        } finally {
            writeDone();
        }
        if (statistics != null) statistics.written(len);
    }

    /** Waits until the socket may take more bytes: on the loop if there is one, else on a selector of its own. */
    private void awaitWritable() throws IOException {
        if (loop == null) writable.await(0);
        else register().awaitWritable();
    }

    /** After a write, however it ended: a wait on the loop is over. */
    private void writeDone() {
        SocketWait r = readiness;
        if (r != null) r.writeDone();
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
     * ends, waiting for a socket that takes no more as a write does.
     */
    @Override
    public long transferFrom(FileChannel file, long position, long count) throws IOException {
        SocketTransport.clearStaleInterrupt();
        wroteSinceRead = true;
        long done;
        try {
            done = FileTransfer.send(file, position, count, channel, this::awaitWritable);
        } finally {
            writeDone();
        }
        if (statistics != null) statistics.written(done);
        return done;
    }

    private void writeBoth(ByteBuffer head, ByteBuffer body) throws IOException {
        SocketTransport.clearStaleInterrupt();
        wroteSinceRead = true;
        int total = head.remaining() + body.remaining(); // the HTTP layer passes slices of at most 32 KiB
        ByteBuffer[] pieces = {head, body};
        try {
            while (true) {
                channel.write(pieces);
                if (!head.hasRemaining() && !body.hasRemaining()) break;
                awaitWritable();
            }
        } finally {
            writeDone();
        }
        if (statistics != null) statistics.written(total);
    }

    @Override
    public boolean hasPendingInput() {
        return false;
    }

    /**
     * What has arrived, without waiting: the channel is non-blocking, so a read tells (0 if nothing
     * has), where {@link #hasPendingInput()} cannot. A lingering close so drops a large refused body
     * in a row rather than with a wait (on a loop, a hand-off to a new thread) per buffer.
     */
    @Override
    public int readArrived(byte[] b, int off, int len) throws IOException {
        SocketTransport.clearStaleInterrupt();
        int n = channel.read(ByteBuffer.wrap(b, off, len));
        if (n > 0 && statistics != null) statistics.read(n);
        return n;
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
        SocketWait r = readiness;
        if (r != null) {
            r.closed(); // wakes a thread waiting (runs a handed-off wait's callback); the loop frees the socket
        } else if (registering) {
            loop.wakeup(); // closed while registering: the loop frees the socket when it next polls
        }
        readable.close(); // wakes a read or write waiting on it, and lets the channel's descriptor go
        writable.close();
    }

    /**
     * Without a loop: waits for the channel to be ready for one operation, on a selector of its
     * own opened the first time it is needed (most connections never wait to write). A close from
     * another thread closes the selector, which ends a wait under way.
     */
    private final class ReadyWait {
        private final int operation;
        private volatile Selector selector;

        ReadyWait(int operation) {
            this.operation = operation;
        }

        /**
         * Returns when the channel may be ready, or after {@code timeoutMillis} (0: no limit): the
         * caller tries again and keeps the time.
         */
        void await(long timeoutMillis) throws IOException {
            try {
                Selector s = selector;
                if (s == null) s = open();
                Thread.interrupted(); // an interrupt would end every select at once
                s.select(timeoutMillis);
                s.selectedKeys().clear();
            } catch (ClosedSelectorException e) { // closed by another thread
                throw new ClosedChannelException();
            }
        }

        private Selector open() throws IOException {
            Selector s = Selector.open();
            selector = s; // before registering: a close() from now on closes it; one before, the register fails
            try {
                channel.register(s, operation);
            } catch (IOException | RuntimeException e) {
                s.close();
                throw e;
            }
            return s;
        }

        void close() {
            Selector s = selector;
            if (s == null) return;
            try {
                s.close();
            } catch (IOException e) {
                // nothing more to do
            }
        }
    }
}
