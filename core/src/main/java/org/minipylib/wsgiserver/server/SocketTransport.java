package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.http.Transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A plain TCP connection: a blocking {@link SocketChannel} read and written through its socket
 * adaptor, which supports read timeouts. On a virtual thread a blocked read parks the thread in the
 * JDK's poller instead of holding a carrier. A read into a direct buffer (a body's) that finds bytes
 * arrived already is the channel's own, with no copy through an array (it has no timeout, but cannot
 * wait then).
 *
 * <p>Given a {@link ReadinessLoop}, a connection moves to it for good once it is known to be kept
 * ({@link #expectMoreRequests()}, before its first request's body and response), or else when it
 * has answered a request and reads again: the channel turns non-blocking, the read after a write
 * first waits for the loop to report bytes (the client cannot have sent its next request before
 * it got the response, pipelining aside), and every wait goes through the loop. A connection
 * closed at once after one request never registers (one whose close lingers, to read what its
 * client still sends, does).
 *
 * <p>Once on the loop, where this JVM allows (see {@link DirectSocketCalls}), reads and writes go
 * through the C library's {@code recv} and {@code send} on a duplicate descriptor the transport owns
 * ({@link DirectDescriptor}; gathering writes still through the channel: {@code writev} cannot take
 * heap arrays), and the socket waits on the loop's edge-triggered epoll ({@link EdgeTriggeredLoop})
 * by that descriptor.
 */
public final class SocketTransport implements Transport {

    private final SocketChannel channel;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final SocketAddress local;
    private final SocketAddress remote;
    private final ReadinessLoop loop;
    private final ServerStatistics statistics; // counts the bytes read and written, if not null
    private volatile SocketWait readiness; // non-null once the loop watches the socket
    private boolean unread; // edge-triggered (an EdgeWait), the last read filled its buffer: the socket may hold more
    private boolean resumed; // handed off (awaitReadableThen): the read that follows does not wait, see readPolled
    private final ReentrantLock modeLock = new ReentrantLock();
    private boolean wroteSinceRead;
    private long written; // bytes written so far (writes take turns; read by others only as a hint, see bytesWritten)
    private boolean bytesWaiting; // blocking, readsBuffersDirectly() saw bytes arrived: a channel read cannot block
    private static final ByteBuffer NO_VIEW = ByteBuffer.allocate(0); // never read into: a read wraps its own array
    private ByteBuffer readView = NO_VIEW; // wraps the last array read into
    private ByteBuffer writeView = NO_VIEW; // the last array written from (writes take turns: the output is locked)
    private int currentTimeout = -1;

    // Direct calls (see DirectSocketCalls), once the socket waits on the loop, on a duplicate descriptor
    // of ours; null if they are off or this JVM cannot make them (a null check is all they cost then).
    private final DirectDescriptor direct;

    /**
     * A connection as the server makes it ({@code WsgiServer}; tests mostly use {@link #blocking} or
     * {@link #withLoop}): it moves to {@code loop} (if not null) once it is known to be kept or waits
     * for a second request, and counts the bytes read and written into {@code statistics} (if not
     * null; counted here rather than by a wrapper, one object fewer per connection). With
     * {@code directCalls}, once on the loop, it reads and writes through the C library's {@code recv}
     * and {@code send} where this JVM can make them (see {@link #usesDirectCalls()}); those need a
     * second descriptor, made only while every connection the server may admit
     * ({@code maxConnections}) would still find one for its socket (with {@code Integer.MAX_VALUE},
     * while the process holds fewer than a quarter of its limit in duplicates).
     */
    public SocketTransport(SocketChannel channel, ReadinessLoop loop, ServerStatistics statistics, boolean directCalls,
                           int maxConnections) throws IOException {
        this.channel = channel;
        this.loop = loop;
        this.statistics = statistics;
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        this.socket = channel.socket();
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.local = channel.getLocalAddress();
        this.remote = channel.getRemoteAddress();
        this.direct = loop != null && directCalls ? DirectDescriptor.forConnection(maxConnections) : null;
    }

    /**
     * For tests: a connection whose waits all block in the JDK's poller (no readiness loop, so no
     * direct calls), its bytes not counted. Public for the tests of other packages (http, proxy,
     * tls): this package is not exported.
     */
    public static SocketTransport blocking(SocketChannel channel) throws IOException {
        return new SocketTransport(channel, null, null, false, Integer.MAX_VALUE);
    }

    /**
     * For tests: a connection that moves to {@code loop} as the server's do, with direct calls (and
     * so the edge-triggered wait) where this JVM can make them if {@code directCalls}, its bytes not
     * counted, under no connection limit.
     */
    public static SocketTransport withLoop(SocketChannel channel, ReadinessLoop loop, boolean directCalls)
            throws IOException {
        return new SocketTransport(channel, loop, null, directCalls, Integer.MAX_VALUE);
    }

    /**
     * Moves to the loop now rather than at the read after the first response: a kept connection
     * moves anyway, and its first body and response then go the way every later one does. Code
     * the JIT compiled while only later requests ran has dropped the blocking branches, and a new
     * connection taking them sent it back to be compiled again: 0.2-0.35 s of the compiler's CPU
     * on a one-core server each time a load's connections were replaced (the harness's g after
     * plaintext: a p99 of 1.7 ms instead of 0.4, docs/performance-log.md). A
     * connection closed after its first request stays blocking: it saves the duplicate
     * descriptor and the registration.
     */
    @Override
    public void expectMoreRequests() throws IOException {
        if (readiness == null && loop != null) {
            clearStaleInterrupt();
            moveToLoop();
        }
    }

    @Override
    public int read(byte[] b, int off, int len, int timeoutMillis) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length); // before any wait: a bad range fails at once
        if (len == 0) return 0; // as InputStream.read: a polled read would wait for bytes it cannot take
        clearStaleInterrupt();
        if (readiness == null && wroteSinceRead && loop != null) moveToLoop();
        int n;
        if (readiness != null) {
            n = readPolled(b, off, len, timeoutMillis);
        } else {
            wroteSinceRead = false;
            bytesWaiting = false;
            if (timeoutMillis != currentTimeout) {
                socket.setSoTimeout(timeoutMillis);
                currentTimeout = timeoutMillis;
            }
            n = in.read(b, off, len);
        }
        if (n > 0 && statistics != null) statistics.read(n);
        return n;
    }

    /**
     * Registers with the loop (the channel turns non-blocking). Under {@link #modeLock}: another
     * thread may be writing a held response in blocking mode right now.
     */
    private void moveToLoop() throws IOException {
        modeLock.lock();
        try {
            if (direct != null) direct.duplicate(channel);
            EdgeTriggeredLoop edge = loop.edgeTriggered();
            if (edge == null || !usesDirectCalls() || !waitEdgeTriggered(edge)) readiness = new ReadinessWait(loop, channel);
        } catch (IOException e) {
            close(); // left non-blocking: only failing writes make sense now
            throw e;
        } finally {
            modeLock.unlock();
        }
    }

    /** Registers our descriptor with {@code edge}: false if the kernel refused (the selector serves then). */
    private boolean waitEdgeTriggered(EdgeTriggeredLoop edge) throws IOException {
        if (!direct.enter()) throw new ClosedChannelException(); // the descriptor must stay open while registered
        try {
            EdgeWait wait = edge.register(channel, direct.fd(), direct::readable, direct::writable);
            if (wait == null) return false;
            direct.watchedBy(wait); // before the call ends: a close that releases the descriptor then forgets the registration
            readiness = wait;
            if (direct.isClosed()) wait.closed(); // closed meanwhile: close() may have found no wait to end
            return true;
        } finally {
            direct.exit();
        }
    }

    /** A read with {@code recv}: bytes read, -1 at the end, 0 if none yet (through the channel when the call fails). */
    private int recvDirect(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0; // recv would say 0 for it, which means the end of the stream
        long n = direct.recv(b, off, len);
        if (n > 0) return (int) n;
        if (n == 0) return -1;
        return endOrReset(channel.read(view(b, off, len))); // nothing there yet (0), or the JDK's exception for the error
    }

    /**
     * What the channel's read after a failed {@code recv} returned, unless it says end of stream for
     * a reset that {@code recv} met (and consumed): that is a reset, not a client's end (which
     * {@code recv} reports as 0, not as a failure), so that a body cut by it is not answered 400.
     */
    private int endOrReset(int n) throws IOException {
        if (n >= 0) return n;
        if (direct.hungUp()) throw new SocketException("Connection reset");
        return n;
    }

    private int recvDirect(ByteBuffer dst) throws IOException {
        if (!dst.hasRemaining()) return 0;
        long n = direct.recv(dst);
        if (n > 0) {
            dst.position(dst.position() + (int) n);
            return (int) n;
        }
        if (n == 0) return -1;
        return endOrReset(channel.read(dst));
    }

    /** A write with {@code send}: the bytes the socket took, maybe none (through the channel when the call fails). */
    private int sendDirect(byte[] b, int off, int len) throws IOException {
        long n = direct.send(b, off, len);
        return n >= 0 ? (int) n : channel.write(ByteBuffer.wrap(b, off, len));
    }

    private void sendDirect(ByteBuffer src) throws IOException {
        long n = direct.send(src);
        if (n >= 0) src.position(src.position() + (int) n);
        else channel.write(src);
    }

    private ByteBuffer view(byte[] b, int off, int len) {
        ByteBuffer view = readView;
        if (view.array() != b) readView = view = ByteBuffer.wrap(b);
        view.limit(off + len).position(off);
        return view;
    }

    /**
     * True once the socket waits on the loop, or will at its next read; while it blocks (below JDK
     * 24, or before it moves), true if bytes have arrived already: see {@link #read(ByteBuffer, int)}.
     */
    @Override
    public boolean readsBuffersDirectly() {
        if (readiness != null || (loop != null && wroteSinceRead)) return true;
        return bytesWaiting = hasPendingInput();
    }

    /**
     * After a response, or once on the loop, with a loop: {@link #awaitReadable} waits there (a new
     * connection reads at once instead).
     */
    @Override
    public boolean waitsWithoutBuffer() {
        return loop != null && (wroteSinceRead || readiness != null);
    }

    /**
     * Waits on the loop until the socket is readable; the read that follows reads at once (and
     * ends the wait with {@code readDone()}). Also the first wait of a read after a write.
     */
    @Override
    public void awaitReadable(int timeoutMillis) throws IOException {
        SocketWait r = beforeReadableWait();
        if (unread) return; // edge-triggered, what is left would not be reported: the read finds it, or waits
        r.awaitReadableBeforeRead(timeoutMillis); // readPolled calls readDone
    }

    /**
     * As {@link #awaitReadable(int) awaitReadable(0)}, but with no thread parked meanwhile: the
     * loop runs {@code then} when the socket is readable (or closed).
     */
    @Override
    public boolean awaitReadableThen(Runnable then) throws IOException {
        SocketWait r = beforeReadableWait();
        if (unread) { // edge-triggered, the last read filled its buffer: wait only if the socket is empty now
            if (direct.readable()) return false;
            unread = false;
        }
        resumed = true; // before: from the call on, the thread `then` starts may be reading
        if (r.awaitReadableThen(then)) return true;
        resumed = false;
        return false;
    }

    /** Before a wait for readability on the loop (moving there if not yet): returns the socket's wait. */
    private SocketWait beforeReadableWait() throws IOException {
        clearStaleInterrupt();
        if (readiness == null) moveToLoop();
        wroteSinceRead = false; // the read that follows must not wait first
        readView = NO_VIEW; // an idle connection keeps no array alive: not a lent input buffer,
        writeView = NO_VIEW; // nor an application's body array (writers only ever wrap their own array)
        return readiness;
    }

    /** True if bytes came while no one waited to read (level-triggered, the loop then stops watching for reads) (for tests). */
    boolean readsMuted() {
        SocketWait r = readiness;
        return r != null && r.isReadMuted();
    }

    /** True once the loop's edge-triggered epoll reported the end of the client's stream (for tests). */
    boolean endReported() {
        return readiness instanceof EdgeWait wait && wait.peerClosedReported();
    }

    /** Ends a read wait as the loop does for a socket it found readable (for tests: a late report, of bytes read already). */
    void reportReadable() {
        if (readiness instanceof AbstractSocketWait wait) wait.wake();
    }

    /** True once reads and writes go through {@code recv} and {@code send} on a descriptor of the transport's own. */
    boolean usesDirectCalls() {
        return direct != null && direct.isDuplicated();
    }

    /** True once the socket waits on the loop's edge-triggered epoll (for tests). */
    boolean isEdgeTriggered() {
        return readiness instanceof EdgeWait;
    }

    /** True once the socket waits on the readiness loop (for tests). */
    boolean isPolled() {
        return readiness != null;
    }

    /**
     * True, once, for the first read after a hand-off: finding nothing it returns 0 rather than
     * wait, and the connection hands off again. The wake may have been for bytes read already: the
     * loop reports what its last poll saw, and a slow loop thread may report it only after the
     * connection's thread read them, answered and handed off; waiting here would hold a thread
     * (and a buffer) for an idle connection until its next request or its keep-alive timeout.
     */
    private boolean takeResumed() {
        boolean r = resumed;
        if (r) resumed = false;
        return r;
    }

    /**
     * Before a read, after a write: waits until the socket is readable (a read now would most
     * likely find nothing yet). Not on the thread a hand-off started, woken for bytes that are
     * there: a write since the hand-off (over TLS, the close_notify of a half-close, written on a
     * thread of its own) must not make it wait for them, as an edge-triggered wait would not be
     * woken for them again.
     */
    private void awaitAfterWrite(int timeoutMillis) throws IOException {
        if (!wroteSinceRead) return;
        if (resumed) wroteSinceRead = false;
        else awaitReadable(timeoutMillis);
    }

    private int readPolled(byte[] b, int off, int len, int timeoutMillis) throws IOException {
        awaitAfterWrite(timeoutMillis); // first: a wait drops the cached view
        if (!usesDirectCalls()) return readPolled(view(b, off, len), timeoutMillis);
        SocketWait r = readiness;
        boolean afterHandOff = takeResumed();
        try {
            int n;
            while ((n = recvDirect(b, off, len)) == 0) {
                if (!awaitArrival(r, afterHandOff, timeoutMillis)) return 0;
            }
            unread = n == len && r instanceof EdgeWait;
            return n;
        } finally {
            r.readDone(); // also when the read failed: a socket in error is reported on every poll
        }
    }

    private int readPolled(ByteBuffer dst, int timeoutMillis) throws IOException {
        awaitAfterWrite(timeoutMillis);
        SocketWait r = readiness;
        boolean directCalls = usesDirectCalls();
        boolean afterHandOff = takeResumed();
        int want = dst.remaining(); // a read that finds nothing leaves it so
        try {
            int n;
            while ((n = directCalls ? recvDirect(dst) : channel.read(dst)) == 0) {
                if (!awaitArrival(r, afterHandOff, timeoutMillis)) return 0;
            }
            unread = n == want && r instanceof EdgeWait;
            return n;
        } finally {
            r.readDone(); // also when the read failed: a socket in error is reported on every poll
        }
    }

    /**
     * After a polled read found the socket empty: waits until the loop reports bytes (or the
     * timeout fails the wait), except on the first read after a hand-off, which returns 0 instead
     * (false here; see {@link #takeResumed()}).
     */
    private boolean awaitArrival(SocketWait r, boolean afterHandOff, int timeoutMillis) throws IOException {
        unread = false; // the socket is empty: the next arrival is reported
        if (afterHandOff && !r.cancelled()) return false; // once cancelled, the wait below fails (or returns for a close)
        r.awaitReadable(timeoutMillis);
        return true;
    }

    /**
     * Reads straight into {@code dst} once the socket waits on the loop (a direct buffer then
     * takes the bytes with no copy through the heap). Before that the socket blocks, and only its
     * stream has a read timeout: the bytes go through an array, unless {@link
     * #readsBuffersDirectly()} has just seen bytes arrived, when the channel's read (which has no
     * timeout) cannot wait and takes them straight into a direct {@code dst}.
     */
    @Override
    public int read(ByteBuffer dst, int timeoutMillis) throws IOException {
        if (dst.isReadOnly()) throw new IllegalArgumentException("Read-only buffer");
        if (!dst.hasRemaining()) return 0;
        clearStaleInterrupt();
        if (readiness == null && wroteSinceRead && loop != null) moveToLoop();
        int n;
        if (readiness != null) {
            n = readPolled(dst, timeoutMillis);
        } else if (bytesWaiting && dst.isDirect()) {
            bytesWaiting = false;
            wroteSinceRead = false;
            n = channel.read(dst);
        } else {
            return Transport.super.read(dst, timeoutMillis);
        }
        if (n > 0 && statistics != null) statistics.read(n);
        return n;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        clearStaleInterrupt();
        wroteSinceRead = true;
        SocketWait r = readiness != null ? readiness : writeBlocking(() -> out.write(b, off, len));
        if (r != null && usesDirectCalls()) {
            try {
                for (int from = off, left = len; ; ) {
                    int n = sendDirect(b, from, left);
                    from += n;
                    left -= n;
                    if (left == 0) break;
                    r.awaitWritable();
                }
            } finally {
                r.writeDone();
            }
        } else if (r != null) {
            ByteBuffer piece = writeView;
            if (piece.array() != b) writeView = piece = ByteBuffer.wrap(b);
            piece.limit(off + len).position(off);
            try {
                while (true) {
                    channel.write(piece);
                    if (!piece.hasRemaining()) break;
                    r.awaitWritable();
                }
            } finally {
                r.writeDone();
            }
        }
        written += len;
        if (statistics != null) statistics.written(len);
    }

    /** One gathering write system call for both pieces (more only if the socket takes part of them). */
    @Override
    public void write(byte[] a, int aOff, int aLen, byte[] b, int bOff, int bLen) throws IOException {
        writeBoth(ByteBuffer.wrap(a, aOff, aLen), ByteBuffer.wrap(b, bOff, bLen));
    }

    /**
     * As the array form: one gathering write (or a plain one when there is no head), and a direct
     * {@code body} is not copied into the heap on its way.
     */
    @Override
    public void write(byte[] head, int headOff, int headLen, ByteBuffer body) throws IOException {
        writeBoth(headLen > 0 ? ByteBuffer.wrap(head, headOff, headLen) : null, body);
    }

    /** Writes {@code head} (if not null) and {@code body}, both to their ends: one system call if the socket takes it all. */
    private void writeBoth(ByteBuffer head, ByteBuffer body) throws IOException {
        clearStaleInterrupt();
        wroteSinceRead = true;
        int total = (head == null ? 0 : head.remaining()) + body.remaining(); // the HTTP layer passes slices of at most 32 KiB
        ByteBuffer[] pieces = head == null ? null : new ByteBuffer[] {head, body};
        SocketWait r = readiness != null ? readiness : writeBlocking(() -> {
            while (hasRemaining(head, body)) {
                writeSome(pieces, body); // blocking: waits until the socket takes some bytes
            }
        });
        if (r != null) {
            try {
                while (true) {
                    writeSome(pieces, body);
                    if (!hasRemaining(head, body)) break;
                    r.awaitWritable();
                }
            } finally {
                r.writeDone();
            }
        }
        written += total;
        if (statistics != null) statistics.written(total);
    }

    /**
     * From file to socket by the operating system ({@link FileChannel#transferTo}: {@code sendfile}
     * on Linux). On the loop, a socket that takes no more is waited for there. In blocking mode the
     * JDK's transfer returns at a full socket instead of waiting if the descriptor is non-blocking
     * underneath (a virtual thread's, or after a read with a timeout): this then returns what was
     * sent, and the caller's ordinary write waits.
     */
    @Override
    public long transferFrom(FileChannel file, long position, long count) throws IOException {
        clearStaleInterrupt();
        wroteSinceRead = true;
        long[] done = {0};
        SocketWait r = readiness != null ? readiness : writeBlocking(() -> {
            while (done[0] < count) {
                long n = file.transferTo(position + done[0], count - done[0], channel);
                if (n == 0) break; // the file ended, or the socket is full
                done[0] += n;
            }
        });
        if (r != null) {
            try {
                done[0] = FileTransfer.send(file, position, count, channel, r::awaitWritable);
            } finally {
                r.writeDone();
            }
        }
        written += done[0];
        if (statistics != null) statistics.written(done[0]);
        return done[0];
    }

    /** A gathering write of {@code pieces}, or a plain one of {@code body} if there are none. */
    private void writeSome(ByteBuffer[] pieces, ByteBuffer body) throws IOException {
        if (pieces != null) channel.write(pieces); // heap arrays cannot be handed to writev directly
        else if (readiness != null && usesDirectCalls()) sendDirect(body);
        else channel.write(body);
    }

    private static boolean hasRemaining(ByteBuffer head, ByteBuffer body) {
        return body.hasRemaining() || (head != null && head.hasRemaining());
    }

    private interface BlockingWrite {
        void run() throws IOException;
    }

    /**
     * Runs {@code write} in blocking mode, unless the connection moved to the loop meanwhile (the
     * writer may be another thread than the reader): then returns the loop's wait to write with.
     */
    private SocketWait writeBlocking(BlockingWrite write) throws IOException {
        if (loop == null) { // never moves: no lock (a lock held while a virtual thread blocks would pin it before JDK 24)
            write.run();
            return null;
        }
        modeLock.lock();
        try {
            if (readiness != null) return readiness;
            write.run();
            return null;
        } finally {
            modeLock.unlock();
        }
    }

    /**
     * A socket channel closes itself when an interrupted thread uses it. An application that
     * restored an interrupt flag (the usual catch-InterruptedException idiom) must not cost the
     * client its response; shutting down does not rely on interrupts (it closes sockets).
     */
    static void clearStaleInterrupt() {
        Thread.interrupted();
    }

    @Override
    public boolean hasPendingInput() {
        try {
            return in.available() > 0;
        } catch (IOException e) {
            return false;
        }
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
    public long bytesWritten() {
        return written;
    }

    @Override
    public int unsentBytes() {
        DirectSocketCalls unsentCalls = DirectSocketCalls.available();
        if (unsentCalls == null || !channel.isOpen()) return -1;
        int fd = NativeAccess.fdOf(channel); // a query only: a number reused after a close meanwhile misleads, harms nothing
        return fd < 0 ? -1 : unsentCalls.unsent(fd);
    }

    @Override
    public void resetOnClose() {
        try {
            channel.setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
        } catch (IOException | RuntimeException e) {
            // closed already, or the option is refused: a plain close then
        }
    }

    @Override
    public void close() {
        if (direct != null) direct.close(); // our descriptor closes once no direct call runs on it
        try {
            channel.close();
        } catch (IOException e) {
            // nothing more to do
        }
        SocketWait r = readiness;
        if (r != null) {
            r.closed();
        } else if (loop != null && !channel.isBlocking()) {
            loop.wakeup(); // closed while registering: the loop frees the socket when it next polls
        }
    }
}
