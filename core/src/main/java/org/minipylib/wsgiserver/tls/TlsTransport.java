package org.minipylib.wsgiserver.tls;

import org.minipylib.wsgiserver.http.BufferPool;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.http.RequestParser;
import org.minipylib.wsgiserver.http.SetupRefusedException;
import org.minipylib.wsgiserver.http.Transport;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;

/**
 * A TLS connection: an {@link SSLEngine} over another {@link Transport}, so it layers over whatever
 * came before (a plain socket, a PROXY-protocol step) and keeps that transport's addresses.
 *
 * <p>One thread reads and one writes at a time (each under its own lock; the reader also writes when
 * TLS itself must answer, e.g. a key update). {@link #close()} closes the wrapped transport from any
 * thread, which makes a blocked read or write fail at once.
 */
final class TlsTransport implements Transport, HandshakeSlots.Holder {

    private static final System.Logger LOG = System.getLogger(TlsTransport.class.getName());
    /** The first byte of a TLS record carrying a handshake message (a ClientHello). */
    private static final int TLS_HANDSHAKE_RECORD = 0x16;
    /** An alert record in the clear: its header (type, version, length 2), then level and description. */
    private static final byte TLS_ALERT_RECORD = 0x15;
    private static final int ALERT_RECORD_LENGTH = 7;
    private static final byte ALERT_WARNING = 1;
    private static final byte ALERT_CLOSE_NOTIFY = 0;
    private static final byte ALERT_USER_CANCELED = 90;
    private static final String PLAIN_HTTP_MESSAGE = "The client sent a plain HTTP request to an HTTPS port.";
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    /** The handshake's first read, before any buffer is taken: a ClientHello's start, or a request line's. */
    private static final int FIRST_READ = 4096;
    /**
     * Records in a row that carry no application data (KeyUpdates, say) before the connection is
     * closed: a flood of them would keep a thread busy and the connection from ever being idle
     * (Go's crypto/tls allows 16 too).
     */
    private static final int MAX_RECORDS_WITHOUT_DATA = 16;
    /** How long a read waits for a client with the read buffers before it waits without them (see readWrappedPatiently). */
    private static final int SLOW_CLIENT_MILLIS = 50;
    /** readWrappedPatiently's answer when it waited without buffers and bytes have come. */
    private static final int WAITED_WITHOUT_BUFFERS = -2;
    /** A write of at least this (one record's data) may wait for the client: the idle read buffers go back first. */
    private static final int LARGE_WRITE = 16 * 1024;

    /**
     * Room for one TLS record, encrypted (16 KiB of data plus header and expansion) or decrypted;
     * grown if an engine asks for more. The size of the buffers of {@link #buffers(int)}.
     */
    static final int BUFFER_SIZE = 17 * 1024;

    private final Transport wrapped;
    private final Function<String, SSLEngine> engines;
    private final BufferPool pool;
    private final HandshakeSlots handshakeSlots;
    /** Set once, by the handshake's end or its eviction (see HandshakeSlots): whichever comes first wins. */
    private final AtomicBoolean handshakeEnded = new AtomicBoolean();
    /** While the handshake waits for the client's next bytes: since when (System.nanoTime()); else 0. */
    private volatile long handshakeWaitingSince;
    private SSLEngine engine;
    /** What {@link #sslSession()} gives, made at its first call (after the handshake). */
    private ConnectionSslSession connectionSession;
    private final ReentrantLock readLock = new ReentrantLock();
    private final ReentrantLock writeLock = new ReentrantLock();
    // The three buffers are null while the connection waits for its next request with none of them
    // in use (back in the pool then: an idle keep-alive connection holds none).
    /** Bytes from the client not unwrapped yet, in [0, position); guarded by readLock. */
    private ByteBuffer netIn;
    /** Decrypted bytes not read yet, in [position, limit); guarded by readLock. */
    private ByteBuffer appIn;
    /** Scratch space for one outgoing record; guarded by writeLock. */
    private ByteBuffer netOut;
    /**
     * True while decrypted bytes or a whole record wait in the buffers (for {@link #hasPendingInput()},
     * read from other threads). Not for part of a record: read() is about to wait for the rest.
     */
    private volatile boolean inputBuffered;
    /**
     * True while bytes from the client wait undecrypted (in netIn, or in partialRecord while idle):
     * for {@link #inputBegun()}, read from other threads. Set before inputBuffered is cleared, so
     * that a look at both (inputBuffered first) never misses a record begun.
     */
    private volatile boolean recordBegun;
    private boolean inboundDone;
    /**
     * While idle without buffers: the start of a record that has not arrived whole (an exact-size
     * copy; null if none), put back into netIn when the buffers are taken again. Guarded by readLock.
     */
    private byte[] partialRecord;
    /**
     * Set by an idle wait, or by {@link #readWhenIdle}: the read after it may return 0 ("nothing
     * yet") once it has read what arrived, if that was only part of a record or records without
     * data, so the connection goes back to waiting without buffers or a thread instead of blocking
     * for the rest (and the HTTP layer sees a record begun, see {@link #inputBegun()}). Guarded by
     * readLock.
     */
    private boolean wokenFromIdle;
    /**
     * Set by {@link #readArrived}, and by {@link #readWhenIdle} for records already here, for its
     * read: it returns 0 rather than wait on the socket, also when the records it decrypted (a
     * KeyUpdate) carried no data. Guarded by readLock.
     */
    private boolean arrivedOnly;
    /** Records in a row (across reads) that carried no application data; see {@link #MAX_RECORDS_WITHOUT_DATA}. */
    private int recordsWithoutData;

    /**
     * @param engines makes the server engine for the host name the client asks for (null: none
     *                named), once the ClientHello is in
     * @param pool    buffers of {@link #BUFFER_SIZE} bytes, shared by the connections of one server
     * @param handshakeSlots bounds the handshakes in progress, shared by the connections of one server
     */
    TlsTransport(Transport wrapped, Function<String, SSLEngine> engines, BufferPool pool, HandshakeSlots handshakeSlots) {
        if (pool.bufferSize() != BUFFER_SIZE) throw new IllegalArgumentException("buffers of " + BUFFER_SIZE + " bytes needed");
        this.wrapped = wrapped;
        this.engines = engines;
        this.pool = pool;
        this.handshakeSlots = handshakeSlots;
        // no buffers yet: a client that connects and sends nothing must not hold 51 KB
    }

    /** A pool for {@link #TlsTransport}: up to {@code maxPooled} buffers kept for reuse. */
    static BufferPool buffers(int maxPooled) {
        return new BufferPool(BUFFER_SIZE, maxPooled);
    }

    private void takeReadBuffers() {
        byte[] partial = partialRecord;
        partialRecord = null;
        netIn = ByteBuffer.wrap(partial == null || partial.length <= BUFFER_SIZE ? pool.take() : new byte[partial.length * 2]);
        if (partial != null) netIn.put(partial);
        appIn = ByteBuffer.wrap(pool.take()).flip();
    }

    /** netIn and appIn back to the pool (under readLock); the next read takes them again. */
    private void giveReadBuffers() {
        give(netIn);
        give(appIn);
        netIn = null;
        appIn = null;
    }

    private void give(ByteBuffer buffer) {
        if (buffer.capacity() == BUFFER_SIZE) pool.give(buffer.array()); // a grown one goes to the garbage collector
    }

    /**
     * Runs the server side of the handshake; the client's first bytes must be a TLS handshake
     * record, else a plain-HTTP client gets a {@code 400} and this throws.
     */
    void handshake(long deadlineNanos) throws IOException {
        boolean slotTaken = false;
        readLock.lock();
        try {
            // The whole ClientHello, to read the host name from it: nearly always one record, but it
            // may come split over several (by the client or a middlebox), the name in any of them. Into
            // an array of its own: the buffers are taken, and a handshake slot, once it is all here.
            partialRecord = readClientHello(deadlineNanos);
            if (!handshakeSlots.take(this, deadlineNanos)) {
                throw new SocketTimeoutException("every TLS handshake slot (maxHandshakes) stayed taken until the handshake timeout");
            }
            slotTaken = true;
            takeReadBuffers(); // with the ClientHello in netIn
            engine = engines.apply(ClientHelloSni.hostName(netIn.array(), netIn.position()));
            runHandshake(deadlineNanos);
        } catch (IOException | RuntimeException e) {
            releaseBuffersAfterFailedHandshake(); // a flood of failing handshakes (scanners) then makes no garbage
            throw e;
        } finally {
            readLock.unlock();
            if (slotTaken) {
                handshakeEnded.set(true); // from now on an eviction leaves the connection alone
                handshakeSlots.give(this);
            }
        }
    }

    /**
     * The client's first bytes up to the end of its ClientHello (or as much as a ClientHello may
     * take), in an array of their size; a plain-HTTP client gets a {@code 400} and this throws.
     */
    private byte[] readClientHello(long deadlineNanos) throws IOException {
        byte[] b = new byte[FIRST_READ];
        int n = wrapped.read(b, 0, b.length, millisLeft(deadlineNanos));
        if (n < 0) throw new EOFException("closed before the TLS handshake");
        if ((b[0] & 0xff) != TLS_HANDSHAKE_RECORD) refuseNonTls(b, n);
        ClientHelloSni.Scan hello = new ClientHelloSni.Scan();
        while (hello.extent(b, n) == ClientHelloSni.NEED_MORE && n < ClientHelloSni.MAX_HELLO + 1024) {
            if (n == b.length) b = Arrays.copyOf(b, b.length * 2);
            int more = wrapped.read(b, n, b.length - n, millisLeft(deadlineNanos));
            if (more < 0) throw new EOFException("closed during the TLS handshake");
            n += more;
        }
        return Arrays.copyOf(b, n);
    }

    /** Closes the connection of a handshake evicted for a newer one (see HandshakeSlots): its blocked read fails. */
    @Override
    public boolean evict() {
        if (!handshakeEnded.compareAndSet(false, true)) return false; // done or failed just now: leave it
        LOG.log(System.Logger.Level.DEBUG, "Closing the TLS handshake with {0}, stalled, for a newer one", wrapped.remoteAddress());
        wrapped.close();
        return true;
    }

    @Override
    public long waitingSince() {
        return handshakeWaitingSince;
    }

    /**
     * The client's first bytes are not a TLS handshake record: throws, for a plain-HTTP client a
     * {@link SetupRefusedException}, which the connection answers with a {@code 400}.
     */
    private void refuseNonTls(byte[] first, int n) throws IOException {
        if (Character.isLetter(first[0])) {
            throw new SetupRefusedException("TLS handshake failed: plain HTTP request on the HTTPS port", 400,
                    PLAIN_HTTP_MESSAGE, RequestParser.firstLine(first, 0, n), RequestParser.startsWithHeadMethod(first, 0, n));
        }
        throw new SSLException("not a TLS handshake (first byte 0x" + Integer.toHexString(first[0] & 0xff) + ")");
    }

    /**
     * The buffers go back to the pool: the connection is about to close, and no other thread uses
     * them (the handshake's thread is the only reader and writer; a close elsewhere closes the socket only).
     */
    private void releaseBuffersAfterFailedHandshake() {
        if (netIn != null) giveReadBuffers();
        writeLock.lock();
        try {
            if (netOut != null) give(netOut);
            netOut = null;
        } finally {
            writeLock.unlock();
        }
    }

    private void runHandshake(long deadlineNanos) throws IOException {
        try {
            engine.beginHandshake();
            HandshakeStatus status = engine.getHandshakeStatus();
            while (status != HandshakeStatus.FINISHED && status != HandshakeStatus.NOT_HANDSHAKING) {
                status = switch (status) {
                    case NEED_TASK -> runTasks();
                    case NEED_WRAP -> wrapAndSend(EMPTY);
                    default -> unwrapHandshake(deadlineNanos); // NEED_UNWRAP (NEED_UNWRAP_AGAIN is DTLS only)
                };
            }
            // TLS 1.3: the session ticket goes out now, not with the first response (a preconnecting
            // client that sends no request could not resume otherwise)
            afterHandshakeMessage(engine.getHandshakeStatus());
            recordBegun = netIn.position() > 0;
            inputBuffered = inputWaiting();
        } catch (SSLException e) {
            sendAlert();
            throw e;
        }
    }

    private HandshakeStatus unwrapHandshake(long deadlineNanos) throws IOException {
        while (true) {
            SSLEngineResult result = unwrapHandshakeRecord();
            switch (result.getStatus()) {
                case OK -> {
                    return result.getHandshakeStatus();
                }
                case BUFFER_OVERFLOW -> appIn = grow(appIn, engine.getSession().getApplicationBufferSize(), true);
                // its close_notify (a JDK client giving up sends user_canceled first): a close, not a TLS failure
                case CLOSED -> throw new EOFException("the client closed the connection during the handshake");
                case BUFFER_UNDERFLOW -> {
                    if (fill(deadlineNanos) < 0) throw new EOFException("the client closed the connection during the handshake");
                }
            }
        }
    }

    /**
     * {@link #unwrap()} during the handshake. A client that gives up the handshake closes its side as
     * a TCP close would, whichever way it says so: a bare close_notify (no user_canceled before it),
     * or, in TLS 1.3, user_canceled or close_notify sent in the clear before it read the server's
     * first flight. The JDK's engine refuses these: as unexpected messages, told apart from other
     * protocol errors by their messages, or (JDK 21, in TLS 1.3) as a record too short to decrypt,
     * told apart by the record itself, a plaintext alert (were either to change, such closes would
     * count as failed handshakes again, nothing worse).
     */
    private SSLEngineResult unwrapHandshakeRecord() throws IOException {
        boolean plaintextCancel = startsWithPlaintextCancel(); // before unwrap, which may consume the record
        try {
            return unwrap();
        } catch (SSLException e) {
            if (plaintextCancel || isClientsCancel(e)) {
                String how = plaintextCancel ? "an alert in the clear" : e.getMessage();
                throw new EOFException("the client closed the connection during the handshake (" + how + ")");
            }
            throw e;
        }
    }

    /**
     * True if the next record from the client is an alert in the clear, a warning that it closes
     * (close_notify) or gives up (user_canceled): type 21, any version, length 2, level 1.
     */
    private boolean startsWithPlaintextCancel() {
        if (netIn.position() < ALERT_RECORD_LENGTH || netIn.get(0) != TLS_ALERT_RECORD
                || netIn.get(3) != 0 || netIn.get(4) != 2 || netIn.get(5) != ALERT_WARNING) {
            return false;
        }
        byte description = netIn.get(6);
        return description == ALERT_CLOSE_NOTIFY || description == ALERT_USER_CANCELED;
    }

    private static boolean isClientsCancel(SSLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (message == null) continue;
            if (message.contains("Received close_notify during handshake")
                    || message.contains("plaintext alert received: Level: warning; Alert: close_notify")
                    || message.contains("plaintext alert received: Level: warning; Alert: user_canceled")) {
                return true;
            }
        }
        return false;
    }

    /**
     * A handshake's read of more client bytes into netIn, waiting up to the deadline; -1 at end of
     * stream. Waiting for the client meanwhile, as far as HandshakeSlots can tell (see waitingSince).
     */
    private int fill(long deadlineNanos) throws IOException {
        int timeout = millisLeft(deadlineNanos);
        handshakeWaitingSince = System.nanoTime();
        try {
            return readWrapped(timeout);
        } finally {
            handshakeWaitingSince = 0;
        }
    }

    /**
     * {@link #readWrapped}, but a client that sends nothing for {@link #SLOW_CLIENT_MILLIS} is
     * waited for without the read buffers (the record it began kept in an array of its size, as for
     * an idle wait), where the socket below can wait without one: thousands of clients stalled
     * partway through a request would otherwise hold 34 KiB each (5500 of them filled a 256 MiB heap).
     *
     * @param deadline when the whole read times out (System.nanoTime()), 0 for never
     * @return as readWrapped, or {@link #WAITED_WITHOUT_BUFFERS}: bytes have come, read again
     */
    private int readWrappedPatiently(int timeout, long deadline) throws IOException {
        if ((timeout > 0 && timeout <= SLOW_CLIENT_MILLIS) || !wrapped.waitsWithoutBuffer()) return readWrapped(timeout);
        try {
            return readWrapped(SLOW_CLIENT_MILLIS);
        } catch (SocketTimeoutException e) {
            // a slow client: the rest of the wait without buffers
        }
        if (netIn.position() > 0) partialRecord = Arrays.copyOf(netIn.array(), netIn.position());
        giveReadBuffers();
        try {
            wrapped.awaitReadable(deadline != 0 ? millisLeft(deadline, "read timed out") : 0);
        } finally {
            takeReadBuffers();
        }
        return WAITED_WITHOUT_BUFFERS;
    }

    /**
     * Before a large write, which may wait for a slow reader: the read buffers go back to the pool
     * if they hold nothing (the next read takes them again), so that thousands of clients that
     * stop reading a large response hold only the write's buffers until the write timeout.
     */
    private void giveIdleReadBuffers() {
        // not from inside a read or the handshake (this thread holds the lock: it is using them),
        // nor while another thread reads
        if (readLock.isHeldByCurrentThread() || !readLock.tryLock()) return;
        try {
            if (netIn != null && netIn.position() == 0 && !appIn.hasRemaining()
                    && engine.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING) {
                giveReadBuffers();
            }
        } finally {
            readLock.unlock();
        }
    }

    private static int millisLeft(long deadlineNanos) throws SocketTimeoutException {
        return millisLeft(deadlineNanos, "TLS handshake timeout");
    }

    /** Milliseconds until {@code deadlineNanos}, at least 1; throws a timeout with {@code message} once it has passed. */
    private static int millisLeft(long deadlineNanos, String message) throws SocketTimeoutException {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) throw new SocketTimeoutException(message);
        return HttpTimeouts.waitMillis(left);
    }

    private int readWrapped(int timeoutMillis) throws IOException {
        if (!netIn.hasRemaining()) netIn = grow(netIn, engine == null ? 0 : engine.getSession().getPacketBufferSize(), false);
        int n = wrapped.read(netIn.array(), netIn.position(), netIn.remaining(), timeoutMillis);
        if (n > 0) netIn.position(netIn.position() + n);
        return n;
    }

    /**
     * {@link #unwrap()} after the handshake: a record the engine refuses (a bad MAC, a refused
     * renegotiation) is answered with the alert the engine has for it before the failure
     * propagates and the connection closes (RFC 8446 section 6.2), not with a bare close.
     */
    private SSLEngineResult unwrapOrAlert() throws SSLException {
        try {
            return unwrap();
        } catch (SSLException e) {
            sendAlert();
            throw e;
        }
    }

    /** Unwraps what netIn holds into appIn, keeping both buffers in their resting modes. */
    private SSLEngineResult unwrap() throws SSLException {
        netIn.flip();
        appIn.compact();
        try {
            return engine.unwrap(netIn, appIn);
        } finally {
            appIn.flip();
            netIn.compact();
        }
    }

    private HandshakeStatus runTasks() {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) task.run();
        return engine.getHandshakeStatus();
    }

    /** Wraps all of {@code src} (nothing, for handshake messages) and sends the records. */
    private HandshakeStatus wrapAndSend(ByteBuffer src) throws IOException {
        if (src.remaining() >= LARGE_WRITE) giveIdleReadBuffers();
        writeLock.lock();
        try {
            if (netOut == null) netOut = ByteBuffer.wrap(pool.take());
            while (true) {
                netOut.clear();
                SSLEngineResult result = engine.wrap(src, netOut);
                if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                    give(netOut); // the pooled one back, if it was one
                    netOut = ByteBuffer.allocate(netOut.capacity() * 2);
                    continue;
                }
                send();
                HandshakeStatus status = result.getHandshakeStatus();
                if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
                    if (src.hasRemaining()) throw new SocketException("the TLS connection is closed");
                    return status;
                }
                if (status == HandshakeStatus.NEED_TASK) status = runTasks();
                if (!src.hasRemaining()) return status;
            }
        } finally {
            writeLock.unlock();
        }
    }

    private void send() throws IOException {
        if (netOut.position() > 0) wrapped.write(netOut.array(), 0, netOut.position());
    }

    /**
     * {@link #afterHandshakeMessage} for a message that came with application data: one the engine
     * refuses in a delegated task (a client's renegotiation, refused as the JDK's
     * {@code jdk.tls.rejectClientInitiatedRenegotiation} says) fails at the wrap that follows, and
     * is answered with the engine's alert too.
     */
    private void afterHandshakeMessageOrAlert(HandshakeStatus status) throws IOException {
        try {
            afterHandshakeMessage(status);
        } catch (SSLException e) {
            sendAlert();
            throw e;
        }
    }

    /**
     * After a handshake or a record the engine refused: tell the client why (the engine has an alert
     * ready), best effort. A handshake that failed after the engine made its first records (a
     * ServerHello, a Certificate) still has those to send: a wrap gives one record, the alert comes last.
     */
    private void sendAlert() {
        try {
            engine.closeOutbound();
            for (int records = 0; records < 16 && !engine.isOutboundDone(); records++) wrapAndSend(EMPTY);
        } catch (IOException | RuntimeException e) {
            // the client is gone or the engine has nothing to say
        }
    }

    private static ByteBuffer grow(ByteBuffer buffer, int atLeast, boolean readMode) {
        ByteBuffer bigger = ByteBuffer.allocate(Math.max(atLeast, buffer.capacity() * 2));
        if (readMode) {
            bigger.put(buffer).flip();
        } else {
            bigger.put(buffer.flip());
        }
        return bigger;
    }

    /**
     * {@inheritDoc} The first read after an idle wait ({@link #awaitReadable}), and
     * {@link #readWhenIdle}, return 0 if what arrived decrypted to nothing: part of a record (a
     * client stalling mid-record, or one whose record came in pieces) or records without data (a key
     * update). The connection then waits idle again, without buffers, instead of holding them and a
     * thread until the rest arrives.
     */
    @Override
    public int read(byte[] b, int off, int len, int timeoutMillis) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) return 0; // as InputStream.read: else it would wait for a record it cannot hand over
        readLock.lock();
        try {
            if (netIn == null) takeReadBuffers();
            long deadline = timeoutMillis > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis) : 0;
            boolean mayReturnNothing = wokenFromIdle;
            boolean noWait = arrivedOnly;
            wokenFromIdle = false;
            arrivedOnly = false;
            boolean readSome = false;
            while (true) {
                if (appIn.hasRemaining()) {
                    int n = Math.min(len, appIn.remaining());
                    appIn.get(b, off, n);
                    recordBegun = netIn.position() > 0;
                    inputBuffered = inputWaiting();
                    return n;
                }
                if (inboundDone) return -1;
                if (netIn.position() > 0 && unwrapBuffered()) continue;
                // Nothing decrypted and at most part of a record left: not pending while we wait
                // (else an idle client stalling mid-record would never be closed at its deadline),
                // but begun (stop() leaves it to be served).
                recordBegun = netIn.position() > 0;
                inputBuffered = false;
                if (mayReturnNothing && readSome) return 0; // after an idle wait: wait idle again for the rest
                if (noWait && (readSome || !wrapped.hasPendingInput())) return 0;
                int timeout = deadline != 0 ? millisLeft(deadline, "read timed out") : 0;
                int n = readWrappedPatiently(timeout, deadline);
                if (n == WAITED_WITHOUT_BUFFERS) continue; // the buffers are back, with the record begun: read on
                readSome = true;
                if (n > 0) inputBuffered = true; // until the loop decrypts it or waits again
                if (n < 0) {
                    inboundDone = true;
                    try {
                        engine.closeInbound();
                    } catch (SSLException e) {
                        // no close_notify first: a truncation the HTTP framing notices by itself
                    }
                    return -1;
                }
            }
        } finally {
            readLock.unlock();
        }
    }

    /**
     * Decrypts the next record netIn holds whole into appIn (under readLock): true if the read
     * should look again (data, a handshake message or the client's close_notify came, or appIn had
     * to grow), false if only part of a record is there. Counts records in a row that carry no
     * application data, and fails once there are too many (a flood of KeyUpdates, say): the
     * records of a renegotiation under way are not counted; the ClientHello that starts one is.
     */
    private boolean unwrapBuffered() throws IOException {
        boolean midHandshake = engine.getHandshakeStatus() != HandshakeStatus.NOT_HANDSHAKING;
        SSLEngineResult result = unwrapOrAlert();
        switch (result.getStatus()) {
            case OK -> {
                if (result.bytesProduced() > 0) {
                    recordsWithoutData = 0;
                } else if (!midHandshake && ++recordsWithoutData > MAX_RECORDS_WITHOUT_DATA) {
                    throw new SSLException(recordsWithoutData + " TLS records in a row without application data");
                }
                afterHandshakeMessageOrAlert(result.getHandshakeStatus());
                return true;
            }
            case BUFFER_OVERFLOW -> {
                appIn = grow(appIn, engine.getSession().getApplicationBufferSize(), true);
                return true;
            }
            case CLOSED -> { // close_notify from the client
                inboundDone = true;
                return true;
            }
            default -> { // BUFFER_UNDERFLOW: a partial record
                return false;
            }
        }
    }

    /** Decrypted bytes not read yet, or a whole record not unwrapped yet (so no read will block). */
    private boolean inputWaiting() {
        if (appIn.hasRemaining()) return true;
        int record = ClientHelloSni.recordLength(netIn.array(), netIn.position());
        return record > 0 && netIn.position() >= record;
    }

    /** TLS messages after the handshake (session tickets, key updates) may need an answer or a task. */
    private void afterHandshakeMessage(HandshakeStatus status) throws IOException {
        while (true) {
            switch (status) {
                case NEED_TASK -> status = runTasks();
                case NEED_WRAP -> status = wrapAndSend(EMPTY);
                default -> {
                    return;
                }
            }
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        wrapAndSend(ByteBuffer.wrap(b, off, len));
    }

    /** The engine encrypts from the body buffer itself: no copy of it into an array first. */
    @Override
    public void write(byte[] head, int headOff, int headLen, ByteBuffer body) throws IOException {
        if (headLen > 0) wrapAndSend(ByteBuffer.wrap(head, headOff, headLen));
        wrapAndSend(body);
    }

    /** The TLS record being sent (up to 17 KiB), the engine's state, and what plain TCP holds: measured at about 35 KiB. */
    @Override
    public int heapHeldWhileWriting() {
        return 36 * 1024;
    }

    @Override
    public boolean hasPendingInput() {
        return inputBuffered || wrapped.hasPendingInput();
    }

    /** Part of a record (or records not decrypted yet) waits here. */
    @Override
    public boolean inputBegun() {
        return recordBegun;
    }

    /**
     * Returns 0 once what arrived decrypted to nothing: records already here that carry no data (a
     * key update that came behind a request) without a wait on the socket, else after one read
     * that brought part of a record. The connection then waits idle again, without buffers or a
     * thread if it can, instead of holding both until its next request.
     */
    @Override
    public int readWhenIdle(byte[] b, int off, int len) throws IOException {
        readLock.lock();
        try {
            wokenFromIdle = true;
            arrivedOnly = inputBuffered; // else, with nothing here, it would return 0 at once, again and again
            return read(b, off, len, 0);
        } finally {
            readLock.unlock();
        }
    }

    /**
     * As the default, but a read that finds only part of a record, or only records without data,
     * returns 0 instead of waiting on the socket.
     */
    @Override
    public int readArrived(byte[] b, int off, int len) throws IOException {
        if (!hasPendingInput()) return 0;
        readLock.lock();
        try {
            arrivedOnly = true;
            return read(b, off, len, 0);
        } finally {
            readLock.unlock();
        }
    }

    /**
     * True if nothing decrypted or whole waits here (at most part of a record, kept aside for the
     * wait) and the socket below can wait without a buffer.
     */
    @Override
    public boolean waitsWithoutBuffer() {
        readLock.lock();
        try {
            return !inboundDone && (netIn == null || !inputWaiting()) && wrapped.waitsWithoutBuffer();
        } finally {
            readLock.unlock();
        }
    }

    /**
     * Gives the buffers back to the pool for the wait (part of a record goes into an array of its
     * size); the next read or write takes them again. That read may return 0: see {@link #read}.
     */
    @Override
    public void awaitReadable(int timeoutMillis) throws IOException {
        giveBuffersBack();
        wrapped.awaitReadable(timeoutMillis);
    }

    /** As {@link #awaitReadable}: without buffers, and without a thread if the socket below can. */
    @Override
    public boolean awaitReadableThen(Runnable then) throws IOException {
        giveBuffersBack();
        return wrapped.awaitReadableThen(then);
    }

    private void giveBuffersBack() {
        readLock.lock();
        try {
            wokenFromIdle = true;
            if (netIn != null && !inputWaiting()) {
                if (netIn.position() > 0) partialRecord = Arrays.copyOf(netIn.array(), netIn.position());
                giveReadBuffers();
            }
        } finally {
            readLock.unlock();
        }
        if (writeLock.tryLock()) { // else a write (a close_notify on stop) is under way: it keeps its buffer
            try {
                if (netOut != null) give(netOut);
                netOut = null;
            } finally {
                writeLock.unlock();
            }
        }
    }

    /** No close_notify either: the reset alone ends the connection. */
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

    /** A close_notify, once the handshake has begun. */
    @Override
    public boolean closesWithMessage() {
        return engine != null;
    }

    /**
     * Sends close_notify, then half-closes the wrapped transport. Nothing is sent after it, so the
     * output buffer goes back to the pool (idle connections closed at their timeout take one for this).
     */
    @Override
    public void shutdownOutput() throws IOException {
        writeLock.lock();
        try {
            engine.closeOutbound();
            for (int i = 0; i < 4 && !engine.isOutboundDone(); i++) wrapAndSend(EMPTY); // TLS 1.3 may send two alerts
            if (netOut != null) give(netOut);
            netOut = null;
        } finally {
            writeLock.unlock();
        }
        wrapped.shutdownOutput();
    }

    @Override
    public SocketAddress localAddress() {
        return wrapped.localAddress();
    }

    @Override
    public SocketAddress remoteAddress() {
        return wrapped.remoteAddress();
    }

    @Override
    public String scheme() {
        return "https";
    }

    /** The session, with values of the connection's own (see {@link ConnectionSslSession}). */
    @Override
    public SSLSession sslSession() {
        if (connectionSession == null) connectionSession = new ConnectionSslSession(engine);
        return connectionSession;
    }

    @Override
    public void close() {
        wrapped.close();
    }
}
