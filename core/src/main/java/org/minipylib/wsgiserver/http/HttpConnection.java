package org.minipylib.wsgiserver.http;

import org.minipylib.wsgiserver.AccessLogEntry;
import org.minipylib.wsgiserver.HostAddress;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.minipylib.wsgiserver.Header;

/**
 * One client connection and its request loop (RFC 9112): read a request head, hand the exchange to
 * the gateway, finish the response, decide whether the connection can carry another request, and
 * repeat while requests are buffered (pipelining; responses in order).
 *
 * <p>A new connection first runs its {@link ConnectionSetup} steps (TLS handshake, PROXY protocol
 * header), if any, bounded by the handshake timeout. Then it alternates between two phases, and the
 * server decides which threads run them:
 * {@link #awaitRequest()} waits for the next request and reads its whole head (bounded by the
 * keep-alive and request-head timeouts; the server runs it on a virtual thread, so neither an idle
 * connection nor a slow client holds a worker, and where the transport allows,
 * {@link #awaitRequest(Runnable)} leaves an idle connection with no thread at all), and
 * {@link #serve()} runs the request(s) on a worker.
 *
 * <p>Whether the connection carries another request is decided in four steps, in this order: the
 * client's wish, from its version and {@code Connection} header ({@code RequestParser.staysOpen});
 * the server's, before the response head is written so that it can say {@code Connection: close}
 * ({@link #closesAfterResponse}: limits, an unread body too large to drain, a draining server);
 * the response's own framing ({@code HttpResponse.begin}: the application's {@code Connection:
 * close}, an HTTP/1.0 body delimited by the close); and after the response, whether the body left
 * unread could be drained ({@code keepsAfterResponse}).
 *
 * <p>Errors the server itself answers (see {@link ErrorResponse}): 400, 408, 413, 414, 417, 431,
 * 500, 501, 503, 505; after any doubt about framing the connection is closed.
 *
 * <p>The boolean results follow two conventions. On the connection's own thread ({@link #serve},
 * {@link #refuseOverLimit}, and the private refuse and closeGracefully) true means the connection
 * is still open, idle or half-closed, and the caller's next step is {@code awaitRequest}; false
 * that it is closed. For stop() and the watchdog ({@link #closeIfIdleAndQuiet},
 * {@link #checkTimeouts}) true means that this call closed (or half-closed) it.
 */
public final class HttpConnection {

    private static final System.Logger LOG = System.getLogger(HttpConnection.class.getName());
    private static final byte[] CONTINUE_100 = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    // The connection's states (the field `state`), changed by compare-and-set since stop() and the
    // watchdog act on connections from other threads:
    //   (SETUP ->) BUSY <-> IDLE;  IDLE or BUSY -> HALF_CLOSED -> (CLOSING ->) CLOSED;  any -> CLOSED
    /** Running the connection's setup steps (before any request): stop() may close it. */
    private static final int SETUP = 4;
    /** Waiting for (the head of) the next request: stop() may close it. */
    private static final int IDLE = 0;
    /** Serving a request. */
    private static final int BUSY = 1;
    /**
     * Output shut, what the client still sends is dropped by the connection's next reader until its
     * end (see dropUntilEnd): idle at stop() or at the keep-alive timeout (see halfCloseIdle), or
     * after a last response the client may still be sending into (see closeGracefully).
     */
    private static final int HALF_CLOSED = 5;
    /**
     * Done, its output ended, its descriptor kept while the kernel still holds bytes for the client
     * that the client's full receive window keeps back: the watchdog closes it once they have gone
     * out, or resets it if they make no progress for the write timeout (see closeOnceSent).
     */
    private static final int CLOSING = 6;
    /** Closed, or about to be by the thread that set it. */
    private static final int CLOSED = 3;

    /** Connections that wrote less than this are closed at once, whatever the kernel still holds for them. */
    private static final long CLOSING_MIN_BYTES = 16 * 1024;

    /** The most of what an over-limit client sent that is read (without waiting) before its close. */
    private static final int OVER_LIMIT_DISCARD_BYTES = 64 * 1024;
    private static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(2);

    /*
     * A write that blocks waits for the kernel to free room in the socket's send buffer, which Linux
     * grows to megabytes and wakes a writer in only once about a third of it is free: a client reading
     * steadily at 20 KB/s frees that more slowly than any write timeout. So the watchdog also looks at
     * what the kernel still holds unsent (Transport.unsentBytes), at most every WRITE_SAMPLE_NANOS:
     * a write whose client took WRITE_PROGRESS_BYTES (a slice, as when the timeout was per slice)
     * since the last such progress is timed from then; one whose client took WRITE_MOVED_BYTES
     * since the last look is not stalled (the stalled-write budget).
     */
    private static final long WRITE_SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final int WRITE_PROGRESS_BYTES = 32 * 1024;
    private static final int WRITE_MOVED_BYTES = 4 * 1024;
    /**
     * At most this much is read and dropped while lingering: enough for a proxy that sends a whole
     * refused body before it reads the answer (nginx, a 413 over TLS: a reset instead made it a 502).
     */
    private static final long LINGER_MAX_BYTES = 128L << 20;
    /** The longest maxConnectionAge that is one: 2^62 ns, so that System.nanoTime() + age cannot overflow into the past. */
    private static final Duration MAX_AGE = Duration.ofNanos(1L << 62);
    /**
     * Initial size of a connection's input buffer: most request heads fit; a larger one grows it (up
     * to the head size limit); large body reads bypass it. Lent back while idle where the owner
     * pools input buffers and the transport allows (see {@link ConnectionOwner#inputBuffers()}).
     */
    public static final int INPUT_BUFFER_SIZE = 2 * 1024;
    /** Response heads and small bodies collect here; larger pieces go straight out. */
    public static final int OUTPUT_BUFFER_SIZE = 16 * 1024;

    private static final VarHandle STATE;
    private static final VarHandle HELD_FLUSH_RUNNING;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(HttpConnection.class, "state", int.class);
            HELD_FLUSH_RUNNING = lookup.findVarHandle(HttpConnection.class, "heldFlushRunning", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The plain connection until setup is done, then what the setup steps returned. */
    private volatile Transport transport;
    private final List<ConnectionSetup> setups;
    private final Gateway gateway;
    private final HttpSettings settings;
    private final ConnectionOwner owner;
    // created once setup is done, over the final transport
    private RequestParser parser; // own one, where the owner lends none
    private long violationsLogged; // which relaxed violations a lent parser logged for this connection already
    private ConnectionInput input;
    private ConnectionOutput output;
    /** One of the states above, changed through STATE (a field: one object fewer per connection). */
    private volatile int state;
    private volatile boolean heldFlushRunning; // changed through HELD_FLUSH_RUNNING
    /** The watchdog's last output.writeSeenSince() (see writeStalledSince()). */
    private volatile long writeSeenSince;
    // The watchdog's samples of a blocked write's progress (see WRITE_SAMPLE_NANOS); its thread only,
    // but writeMovedNanos, which writeStalledSince() reads.
    private long writeSampledNanos; // 0: none yet for this write
    private int writeSampledUnsent;
    private long writeProgressNanos;
    private int writeProgressUnsent;
    private volatile long writeMovedNanos;
    private final int keepAliveMillis;
    private final long drainNanos;
    private final long headTimeoutNanos;
    private final long writeTimeoutNanos;
    /** While waiting idle for a request: System.nanoTime() when the wait ends (0 otherwise); see checkTimeouts. */
    private volatile long idleDeadline;
    /** The keep-alive deadline of the wait for the next request (kept through a hand-off, as handedOff is). */
    private long keepAliveUntil;
    /**
     * The begun-record deadline: while the transport holds input begun that it cannot hand over yet
     * (over TLS, part of a record; see {@link Transport#inputBegun()}), the request-head timeout
     * from when the wait first saw it; 0 if none is begun. Kept through a hand-off.
     */
    private long recordBegunUntil;
    /** While running setup steps: System.nanoTime() when they must be done; see checkTimeouts. */
    private volatile long setupDeadline;
    /** Once HALF_CLOSED: System.nanoTime() when the connection closes, whatever the client does. */
    private volatile long halfClosedUntil;
    /** Once CLOSING: the unsent bytes the watchdog last saw, and when they last went down. */
    private int closingUnsent;
    private long closingProgressNanos;
    /** Once HALF_CLOSED: bytes from the client read and dropped so far (at most about LINGER_MAX_BYTES are). */
    private int halfClosedDropped;
    private RequestHead pendingHead;
    /** System.nanoTime() when pendingHead was complete, if it may wait for a worker before its exchange; else 0. */
    private long headCompleteNanos;
    /** The idle wait was handed off without a thread; the next awaitRequest continues it. */
    private boolean handedOff;
    /** System.nanoTime() when the last exchange ended, for the wait for the next request (0: read the clock). */
    private long lastExchangeEndNanos;
    private final RequestHeadScanner headScanner;
    private RequestBody currentBody;
    private HttpResponse currentResponse;
    /**
     * The access-log entries of responses not yet gone out, written once they have (or with what
     * did, as the turn ends); null without an access log, or before the connection's setup ended.
     */
    private PendingLogEntries pendingLog;
    private boolean lingerOnClose;
    /** The statistics have counted this connection's retirement (its request or age limit). */
    private boolean retirementCounted;
    /** The turn of the requests being served (see {@link #serve(WorkerTurn)}), lent back while a body read waits. */
    private WorkerTurn turn = WorkerTurn.KEPT;
    private final boolean bareLfAllowed;
    private long requests;
    /** The request whose response closes the connection (maxRequestsPerConnection); 0: none. */
    private final long lastRequest;
    /** System.nanoTime() after which the next response closes the connection (maxConnectionAge); 0: never. */
    private final long retireAtNanos;

    /** A connection that speaks HTTP over {@code transport} from its first byte. */
    public HttpConnection(Transport transport, Gateway gateway, HttpSettings settings, ConnectionOwner owner) {
        this(transport, List.of(), gateway, settings, owner);
    }

    /**
     * A connection that first runs {@code setups} in order (in its first {@link #awaitRequest()}),
     * then speaks HTTP over the transport they return.
     */
    public HttpConnection(Transport transport, List<ConnectionSetup> setups, Gateway gateway, HttpSettings settings,
                          ConnectionOwner owner) {
        this.transport = transport;
        this.setups = List.copyOf(setups);
        this.gateway = gateway;
        this.settings = settings;
        this.owner = owner;
        this.state = this.setups.isEmpty() ? BUSY : SETUP;
        if (this.setups.isEmpty()) openHttp();
        this.bareLfAllowed = settings.limits().compliance().allows(ComplianceViolation.BARE_LF_LINE_ENDINGS);
        this.headScanner = new RequestHeadScanner(settings.limits());
        HttpTimeouts t = settings.timeouts();
        this.keepAliveMillis = HttpTimeouts.millis(t.keepAlive());
        this.drainNanos = t.drain().toNanos();
        this.headTimeoutNanos = t.requestHead().toNanos();
        this.writeTimeoutNanos = t.write().toNanos();
        this.lastRequest = settings.maxRequestsPerConnection();
        this.retireAtNanos = retireAt(settings.maxConnectionAge());
    }

    /**
     * When a connection opened now stops being reused: after {@code maxAge} less up to a tenth of
     * it, chosen at random, so that connections opened together (a client pool after a deploy) do
     * not all close together; 0 for no age limit.
     */
    private static long retireAt(Duration maxAge) {
        // past about 146 years (ChronoUnit.FOREVER's duration too, whose nanoseconds no long holds): no limit
        if (maxAge.isZero() || maxAge.compareTo(MAX_AGE) > 0) return 0;
        long age = maxAge.toNanos();
        long at = System.nanoTime() + age - ThreadLocalRandom.current().nextLong(age / 10 + 1);
        return at == 0 ? 1 : at;
    }

    private void openHttp() {
        if (owner.requestParsers() == null) this.parser = new RequestParser(settings.limits());
        BufferPool buffers = owner.outputBuffers();
        this.output = buffers != null ? new ConnectionOutput(transport, buffers) : new ConnectionOutput(transport, OUTPUT_BUFFER_SIZE);
        if (settings.accessLog() != null) this.pendingLog = new PendingLogEntries(settings.accessLog(), output);
        this.input = new ConnectionInput(transport, output, owner.inputBuffers(), INPUT_BUFFER_SIZE, settings.limits().maxHeadSize() + 16,
                owner.headMemory());
    }

    /** The transport this connection speaks over (the plain one while setup steps run). */
    public Transport transport() {
        return transport;
    }

    /**
     * True once the connection is closed. A half-closed one is not yet: it reads and drops what its
     * client still sends, until its client's end, on the thread that next calls awaitRequest.
     */
    public boolean isClosed() {
        return state == CLOSED;
    }

    /** True while a request is read, served or answered (not idle, in setup, half-closed, closing or closed). */
    public boolean isBusy() {
        return state == BUSY;
    }

    /** True if the wait for the next request needs no thread now: the transport waits on a readiness loop (see {@link #awaitRequest(Runnable)}). */
    public boolean waitsOnReadinessLoop() {
        return transport.waitsWithoutBuffer();
    }

    /** True if a pipelined request (its head, or bytes of it) is buffered here already: the next {@link #awaitRequest()} need not wait. */
    public boolean hasBufferedInput() {
        return pendingHead != null || input.available() > 0;
    }

    /**
     * Waits for the next request and reads its head: up to the keep-alive timeout for the first
     * byte, then up to the request-head timeout for the rest. Blocks; the server runs this on a
     * virtual thread. A malformed or late head is answered (400, 408, 414, 431...) and the
     * connection closed here (after reading and dropping what its client still sends, as a
     * half-closed connection's is).
     *
     * @return true if a request head is ready and the connection is now busy (call {@link #serve()});
     *         false if the connection was closed (client gone, timeout, error, or server shutting down)
     */
    public boolean awaitRequest() {
        return awaitRequest(null) == Awaited.REQUEST;
    }

    /** What {@link #awaitRequest(Runnable)} found. */
    public enum Awaited {
        /** A request head is ready and the connection is busy: call {@link #serve()}. */
        REQUEST,
        /** The connection was closed (client gone, timeout, error, or server shutting down). */
        CLOSED,
        /** No thread waits: the hand-off callback runs once input arrives, and its thread calls {@code awaitRequest} again. */
        HANDED_OFF
    }

    /**
     * As {@link #awaitRequest()}, but where the transport can wait for the next request without a
     * thread (a plain TCP connection on a readiness loop, idle after a response), returns
     * {@link Awaited#HANDED_OFF} instead of blocking, and {@code then} runs once input arrives or
     * the connection is closed (on the loop's thread or the closing one: it must only hand the
     * connection to a thread, which calls this again to continue). The calling thread must then
     * leave the connection alone: {@code then} may be running already. An idle keep-alive
     * connection so holds neither a buffer nor a parked thread's stack, and its next request runs
     * on whichever thread takes it. The keep-alive timeout is enforced by the watchdog meanwhile
     * ({@link #checkTimeouts}).
     *
     * @param then null to block as {@link #awaitRequest()} does
     */
    public Awaited awaitRequest(Runnable then) {
        boolean resumed = handedOff;
        long now = 0; // the clock, if read just now
        if (resumed) {
            handedOff = false;
            if (state != IDLE) return dropUntilEnd(then, true); // half-closed while no thread waited
            input.reclaimBuffer(); // keepAliveUntil and recordBegunUntil are kept through the hand-off
        } else {
            if (state == SETUP && !setUp()) return Awaited.CLOSED;
            if (pendingHead != null) return isClosed() ? Awaited.CLOSED : Awaited.REQUEST;
            if (!STATE.compareAndSet(this, BUSY, IDLE)) return dropUntilEnd(then, false); // half-closed after its last response, or closed
            // stop() may have looked before we were idle; a head begun (pipelined) is served, as below
            if (owner.isDraining() && input.available() == 0 && !transport.hasPendingInput() && !transport.inputBegun()
                    && halfCloseIdle()) {
                return dropUntilEnd(then, false);
            }
            now = startKeepAliveWait();
        }
        try {
            return readHead(then, resumed, now);
        } catch (BadRequestException e) {
            if (e.status() == 503) owner.headMemoryExhausted(); // the only 503 a head read throws (see ConnectionInput.fill)
            if (refuse(e.status(), e.getMessage())) return dropUntilEnd(then, false);
        } catch (SocketTimeoutException e) {
            // 408 if part of a request arrived; an idle connection (or one sending only empty lines) just closes
            if (input.available() > 0) {
                if (refuse(408, "The request head did not arrive in time")) return dropUntilEnd(then, false);
            } else if (state == HALF_CLOSED || halfCloseIdle()) { // as at the watchdog's keep-alive timeout
                return dropUntilEnd(then, false);
            } else {
                closeCleanly(); // over TLS, a close_notify
                close();
            }
        } catch (IOException e) { // reset, or closed by stop()
            close();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "Unexpected error reading from " + transport.remoteAddress(), e);
            close();
        }
        return Awaited.CLOSED;
    }

    /**
     * Starts the wait for the next request: idle, the connection may wait up to the keep-alive
     * timeout (empty lines do not extend it); once a request has begun, its head must be complete
     * within the head timeout (see readHead). The clock (about 25 ns a read) is read only where a
     * deadline needs it: the wait starts when the exchange before it ended, unless the response's
     * last writes may have waited for the client since (else a slow reader would lose its
     * keep-alive time), and a head that arrives whole needs no head deadline.
     *
     * @return the wait's start, System.nanoTime() or as good as
     */
    private long startKeepAliveWait() {
        long end = lastExchangeEndNanos;
        lastExchangeEndNanos = 0;
        boolean writesWaited = output.takeMayHaveWaited();
        long now = end != 0 && !writesWaited ? end : System.nanoTime();
        keepAliveUntil = now + TimeUnit.MILLISECONDS.toNanos(keepAliveMillis);
        recordBegunUntil = 0;
        return now;
    }

    /**
     * Reads until a request head is complete, within the idle wait's deadline (see
     * idleWaitDeadline) until a head begins, then the head timeout; throws a SocketTimeoutException
     * past them, a BadRequestException for a head the server refuses.
     *
     * @param resumed continuing a wait handed off: input came in time, read it
     * @param now     the clock if read just now, else 0
     */
    private Awaited readHead(Runnable then, boolean resumed, long now) throws IOException {
        boolean started = false;
        long deadline = 0;
        while (true) {
            boolean emptyLineBegun = false;
            if (headScanner.atStart()) emptyLineBegun = skipEmptyLines();
            if (!emptyLineBegun) {
                RequestHead head = tryParseHead();
                if (head != null) {
                    if (!STATE.compareAndSet(this, IDLE, BUSY)) return dropUntilEnd(then, false); // half-closed meanwhile
                    pendingHead = head;
                    headCompleteNanos = System.nanoTime(); // the exchange's start: it may wait for a worker first
                    return Awaited.REQUEST;
                }
                if (!started && input.available() > 0) { // a head has begun and is not complete yet
                    started = true;
                    if (recordBegunUntil != 0) { // its first record began before: the head timeout runs from then
                        deadline = recordBegunUntil;
                    } else {
                        now = System.nanoTime();
                        deadline = now + headTimeoutNanos;
                    }
                }
            }
            if (!started) deadline = idleWaitDeadline();
            long left;
            if (resumed) {
                left = 1; // input came in time: read it
            } else {
                left = deadline - (now != 0 ? now : System.nanoTime()); // now: read in this pass already
                now = 0;
            }
            if (left <= 0) throw new SocketTimeoutException(started ? "request head timeout" : "keep-alive timeout");
            int n;
            if (started) {
                n = input.fill(HttpTimeouts.waitMillis(left));
            } else {
                n = readWhenIdle(then, resumed, deadline);
                if (n == ConnectionInput.HANDED_OFF) return Awaited.HANDED_OFF; // idleDeadline stays, for the watchdog
                resumed = false;
            }
            if (n < 0) { // the client closed the connection (over TLS: with close_notify, answered by ours)
                closeCleanly();
                close();
                return Awaited.CLOSED;
            }
        }
    }

    /**
     * Reads while no request has begun: an untimed read, or, with {@code then}, a wait handed off
     * without a thread (see awaitRequest(Runnable)); the watchdog closes the connection at
     * {@code deadline}. A timed read would arm and cancel a timer for every request, which costs
     * more than the request. (No Thread.yield() before it, though that saves the failed read and
     * the poller re-arm under load: with one carrier the yields keep its local queue from ever
     * draining, and the JDK's poller, woken from outside, then waits behind them: up to 450 ms for
     * the few threads that do park. See docs/performance-log.md.)
     *
     * @return bytes read, -1 at the client's end, or ConnectionInput.HANDED_OFF
     */
    private int readWhenIdle(Runnable then, boolean resumed, long deadline) throws IOException {
        idleDeadline = deadline;
        if (!resumed && then != null) handedOff = true; // read by the thread `then` starts, if handed off
        boolean away = false;
        try {
            int n = resumed ? input.fill(0) : input.fillWhenIdle(then);
            away = n == ConnectionInput.HANDED_OFF;
            return n;
        } finally {
            if (!away) {
                handedOff = false;
                idleDeadline = 0;
            }
        }
    }

    /**
     * The deadline of a wait for the next request none of which has been read: the keep-alive one;
     * or, while the transport holds the start of input it cannot hand over yet (over TLS, part of a
     * record), the begun-record deadline: the request-head timeout from when the wait first saw it,
     * as for a head read in part; the keep-alive deadline does not end it, nor does a record begun
     * right behind one without data extend it. Once such a record turns out to carry no data (a key
     * update) with nothing begun behind it, the keep-alive deadline again: so a wait lasts at most
     * the keep-alive timeout and one head timeout, as over plain HTTP.
     */
    private long idleWaitDeadline() {
        if (!transport.inputBegun()) {
            recordBegunUntil = 0;
            return keepAliveUntil;
        }
        if (recordBegunUntil == 0) recordBegunUntil = System.nanoTime() + headTimeoutNanos;
        return recordBegunUntil;
    }

    /** Runs the setup steps; true if the connection is ready for HTTP, false if it was closed. */
    private boolean setUp() {
        long deadline = System.nanoTime() + settings.timeouts().handshake().toNanos();
        setupDeadline = deadline;
        Transport t = transport;
        try {
            for (ConnectionSetup step : setups) {
                t = step.setUp(t, deadline);
                if (state != SETUP) break; // closed by stop() or the watchdog meanwhile
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "Connection setup with {0} failed: {1}", t.remoteAddress(), e.toString());
            if (e instanceof SetupRefusedException refusal) answerSetupRefusal(t, refusal);
            t.close();
            close();
            return false;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "Unexpected error setting up a connection with " + t.remoteAddress(), e);
            t.close();
            close();
            return false;
        }
        transport = t;
        openHttp();
        if (!STATE.compareAndSet(this, SETUP, BUSY)) { // closed meanwhile: make sure the new transport is closed too
            t.close();
            return false;
        }
        setupDeadline = 0;
        return true;
    }

    /**
     * Answers the HTTP request a setup step refused (plain HTTP on a TLS port) on {@code t}, the
     * transport that step was given, and counts and logs it as the server's own refusal.
     */
    private void answerSetupRefusal(Transport t, SetupRefusedException refusal) {
        byte[] answer = ErrorResponse.closing(refusal.status(), refusal.answer(), settings.serverHeader(), refusal.headRequest());
        long bodyBytes = refusal.headRequest() ? 0 : ErrorResponse.bodyLength(refusal.answer());
        try {
            t.write(answer, 0, answer.length);
            t.shutdownOutput();
        } catch (IOException e) { // the client is gone
            bodyBytes = 0;
        }
        owner.refused(refusal.status());
        writeLogEntry(peerText(t.remoteAddress()), refusal.requestLine(), refusal.status(), bodyBytes, null, 0);
    }

    /**
     * Serves the request {@link #awaitRequest()} read, and any further ones whose heads are already
     * buffered (pipelining), up to {@link HttpLimits#maxPipelinedRequestsPerTurn()} of them, then returns.
     *
     * @return true if the connection is open (call {@link #awaitRequest()} next): idle, or
     *         half-closed after a last response the client may still be sending into, which that
     *         call reads and drops until the client's end, then answers closed (see
     *         closeGracefully); false if it was closed
     */
    public boolean serve() {
        return serve(WorkerTurn.KEPT);
    }

    /**
     * As {@link #serve()}, lending {@code turn} back while a large write or a request body read waits
     * for the client (see {@link WorkerTurn}); when this returns, the caller holds the turn again (or
     * the server stopped).
     */
    public boolean serve(WorkerTurn turn) {
        this.turn = turn;
        output.useTurn(turn);
        try {
            return serveBuffered();
        } finally {
            output.useTurn(WorkerTurn.KEPT);
            this.turn = WorkerTurn.KEPT;
            writeLogEntries(); // the turn's responses went out now (flushed), or as far as they got (the client left)
        }
    }

    /** Writes the turn's access-log entries (see PendingLogEntries), with the body bytes that went out. */
    private void writeLogEntries() {
        if (pendingLog != null && !pendingLog.isEmpty()) pendingLog.writeAll(output.bytesWritten());
    }

    private boolean serveBuffered() {
        int servedThisTurn = 0;
        try {
            while (true) {
                RequestHead head = pendingHead;
                pendingHead = null;
                if (head == null || isClosed()) {
                    close();
                    return false;
                }
                if (!exchange(head)) return closeGracefully();
                servedThisTurn++;
                if (!skipEmptyLines() && input.available() > 0) {
                    try {
                        pendingHead = tryParseHead();
                    } catch (BadRequestException e) {
                        return refuse(e.status(), e.getMessage());
                    }
                }
                // No complete head buffered: wait for the rest, or for the next request, without a
                // worker. Enough for one turn: awaitRequest() finds pendingHead at once, and the
                // request takes a turn again behind the requests of other connections already waiting.
                if (pendingHead == null || servedThisTurn >= settings.limits().maxPipelinedRequestsPerTurn()) {
                    if (pendingHead != null) headCompleteNanos = System.nanoTime(); // it waits for a turn now
                    endTurn();
                    output.flush();
                    output.release();
                    return true;
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "Connection from {0} failed: {1}", transport.remoteAddress(), e.toString());
            owner.socketError();
            abort();
            return false;
        } catch (Throwable t) {
            abort(); // first: logging may fail too when the heap is full
            try {
                LOG.log(System.Logger.Level.ERROR, "Unexpected error serving " + transport.remoteAddress(), t);
            } catch (Throwable ignored) {
                // the connection is closed; nothing more to do
            }
            return false;
        }
    }

    /** The decoded path of the request parsed and waiting to be served, or null if none is. */
    public String pendingPath() {
        RequestHead head = pendingHead;
        return head == null ? null : head.path();
    }

    /**
     * Answers 503 (the server is too busy to serve this request) and closes, after reading and
     * dropping what the client still sends, as {@link #awaitRequest(Runnable)} does for a refused
     * head: on the calling thread, or, where the transport can wait without one, handed off
     * ({@code then} runs once input arrives, and its thread calls {@code awaitRequest} to go on).
     *
     * @param then null to drop on the calling thread until the close
     * @return {@link Awaited#HANDED_OFF} if no thread waits now, else {@link Awaited#CLOSED}
     */
    public Awaited rejectBusy(Runnable then) {
        STATE.compareAndSet(this, IDLE, BUSY);
        // its head was parsed already (the buffer has moved past it): ask the head, not the buffer
        RequestHead head = pendingHead;
        pendingHead = null;
        if (refuse(503, "The server is too busy to take this request; try again later.", head)) {
            return dropUntilEnd(then, false);
        }
        return Awaited.CLOSED;
    }

    /**
     * Answers 503 to the request that waits for a worker when the server stops: it never reached
     * the application, so its client may send it again. Half-closes the connection, which the
     * server's stop then closes (what the client still sends is not read).
     */
    public void refuseAtStop() {
        RequestHead head = pendingHead;
        pendingHead = null;
        refuse(503, "The server is stopping; try again.", head);
    }

    /**
     * Answers 503 to a connection the server will not take at all (over its connection limit). A
     * connection in setup (a TLS handshake, a PROXY protocol header) cannot be answered before it:
     * it is closed at once, unanswered.
     *
     * <p>With {@code linger} (the owner counts it, within a budget of such refusals) the close
     * lingers as any refusal's does (see closeGracefully): the output is shut after the 503, and
     * what the client still sends (an upload's body) is read and dropped until its end by the next
     * {@link #awaitRequest(Runnable)}, without a thread between reads where the transport can wait
     * without one; the watchdog closes it at its deadline. Else it closes at once, after reading
     * and dropping, without waiting, what the client sent already (its request, there when the
     * connection is accepted late, as with deferAccept): a close with unread bytes would send a
     * reset, which may destroy the 503 before the client reads it; a client still sending then may
     * see one all the same.
     *
     * <p>Called on the thread that accepts connections: neither way waits for the client.
     *
     * @return true if the connection is half-closed: hand it to a thread that calls
     *         {@code awaitRequest}, which ends it; false if it is closed
     */
    public boolean refuseOverLimit(boolean linger) {
        if (state == SETUP) {
            close();
            return false;
        }
        try {
            // Read before writing: after a write, a read first waits on a readiness loop, where its
            // 1 ms could pass before the loop reports the socket, leaving the bytes unread (1.5 % of
            // refusals ended in a reset so). A lingering close reads them later instead.
            if (!linger) input.discardArrived(OVER_LIMIT_DISCARD_BYTES);
            // counted (and warned of: WsgiServer.refusalWarning, a ThrottledWarning) but not access-logged: this runs on the thread
            // that accepts connections, which a slow log must never hold up during a flood
            sendError(503, "The server has too many connections; try again later.", false);
            owner.refused(503);
        } catch (IOException e) { // the client is gone
            close();
            return false;
        }
        if (linger) {
            lingerOnClose = true;
            return closeGracefully();
        }
        close();
        return false;
    }

    /**
     * For stop(): closes the connection if it is waiting for a request (or still in setup) and none
     * has arrived; returns true if it did. Bytes already in the socket (a request, or a PROXY header
     * and a request, whose reader has not run yet) are left to be served: the setup steps stay
     * bounded by the handshake timeout, and the server's stop() by its shutdown timeout. So is a
     * head read in part (the connection then waits, timed, for the rest: idleDeadline is 0 then);
     * one whose thread has not begun its idle wait yet looks at the drain itself, and stop() looks
     * again until the connection waits idle. So is a TLS record begun (nothing decrypted yet: the
     * connection waits idle), up to its begun-record deadline (see idleWaitDeadline), at which the
     * watchdog half-closes it. A TLS handshake waiting for its client's next message is not: it is
     * closed (no request can have been sent on it yet; its client retries as after any failed
     * connection).
     * An idle connection is half-closed (see halfCloseIdle).
     */
    public boolean closeIfIdleAndQuiet() {
        if (state == SETUP) return !transport.hasPendingInput() && closeInSetup();
        if (state != IDLE || idleDeadline == 0 || transport.hasPendingInput() || transport.inputBegun()) return false;
        return halfCloseIdle();
    }

    /**
     * For the watchdog: half-closes the connection (see halfCloseIdle) if it still waits idle for a
     * request, with {@code deadline} its idle deadline.
     */
    private boolean closeIfIdleAndQuiet(long deadline) {
        if (state != IDLE || transport.hasPendingInput()) return false;
        if (idleDeadline != deadline) return false; // it has moved on since
        return halfCloseIdle();
    }

    /**
     * The close of an idle connection, by stop() or at the keep-alive timeout. Its client may be
     * sending a request just now, not knowing: a plain close would then be a reset, which the client
     * cannot tell from a failure. So the output is shut first (over TLS with a close_notify, written
     * on a thread of its own, never stop()'s nor the watchdog's), and the client sees a clean end
     * before any response byte: its request was not processed, and may be retried (RFC 9110 section
     * 9.2.2). Whichever thread reads next (the one waiting for the request, or the one its input is
     * handed to) drops what comes until the client's end (see dropUntilEnd); at
     * {@code LINGER_NANOS} the watchdog closes it anyway.
     */
    private boolean halfCloseIdle() {
        halfClosedUntil = System.nanoTime() + LINGER_NANOS; // first: the watchdog reads it once HALF_CLOSED
        if (!STATE.compareAndSet(this, IDLE, HALF_CLOSED)) return false;
        if (transport.closesWithMessage()) {
            Thread.ofVirtual().name("wsgiserver-close").start(this::shutdownOutput);
        } else {
            shutdownOutput();
        }
        return true;
    }

    private void shutdownOutput() {
        try {
            output.timedAsWrite(transport::shutdownOutput);
        } catch (IOException e) {
            // the client is gone: its reader, or the watchdog, closes the connection
        }
    }

    /**
     * What awaitRequest answers once the connection is no longer waiting for a request: a
     * half-closed one (idle at stop() or the keep-alive timeout, see halfCloseIdle; or after a last
     * response, see closeGracefully) is closed after what the client still sends is read and
     * dropped, until the client's end or LINGER_MAX_BYTES; the watchdog closes it at
     * {@code halfClosedUntil}. Between reads it waits as an idle connection does: without a buffer,
     * and handed off without a thread where it can be ({@code then}, as for awaitRequest), so that
     * thousands timed out together, or closed after their responses, hold no thread each while
     * their clients take their time. Any other state answers closed as it is.
     *
     * @param resumed called on the thread a hand-off started: it reads what arrived first
     */
    private Awaited dropUntilEnd(Runnable then, boolean resumed) {
        if (state != HALF_CLOSED) return Awaited.CLOSED;
        try {
            boolean readOn = false; // the last read brought bytes: more may be there already
            while (state == HALF_CLOSED && halfClosedDropped < LINGER_MAX_BYTES) {
                input.skip(input.available()); // a request's bytes, or part of one: dropped
                int n;
                if (resumed) {
                    resumed = false;
                    input.reclaimBuffer();
                    n = input.fill(0); // 0 for a wake with nothing to read: wait again
                } else if (readOn) {
                    // A client sending much (a refused body): read in a row and in larger pieces, not
                    // a wait (a hand-off on a loop) per small buffer; 0 if nothing is there (as far
                    // as the transport can tell without waiting: Transport.readArrived), then a wait.
                    n = input.readToDrop();
                } else {
                    if (then != null) handedOff = true; // read by the thread `then` starts, if handed off
                    n = input.fillWhenIdle(then); // untimed: the watchdog closes the connection at its deadline
                    if (n == ConnectionInput.HANDED_OFF) return Awaited.HANDED_OFF;
                    handedOff = false;
                }
                if (n < 0) break; // the client's end
                halfClosedDropped += n;
                readOn = n > 0;
            }
        } catch (IOException e) {
            // reset, or closed by the watchdog or a forced stop: done either way
            handedOff = false;
            close();
            return Awaited.CLOSED;
        }
        if (state == HALF_CLOSED) closeOnceSent(); // else the watchdog closed it, or made it CLOSING
        return Awaited.CLOSED;
    }

    /**
     * Closes a half-closed connection at the end of its linger; but if
     * the kernel still holds bytes for the client that its full receive window keeps back, it becomes
     * CLOSING instead, still registered and counted, and the watchdog closes it once they have gone
     * out, or resets it if they make no progress for the write timeout (see checkClosing): closed
     * behind them, the kernel would keep an orphan socket holding them (megabytes) for minutes,
     * uncounted by maxConnections, for a client that never reads. Returns true if it closed.
     */
    private boolean closeOnceSent() {
        int unsent = unsentOutput();
        if (holdsData(unsent)) {
            closingUnsent = unsent;
            closingProgressNanos = System.nanoTime(); // first: the watchdog reads them once CLOSING
            if (STATE.compareAndSet(this, HALF_CLOSED, CLOSING) || state == CLOSING) return false; // (or another thread made it so)
        }
        close();
        return true;
    }

    /**
     * What the kernel still holds of the connection's output (see Transport.unsentBytes); 0 without
     * asking if the connection has written too little for that to matter (a system call per closed
     * connection, where most write a few hundred bytes).
     */
    private int unsentOutput() {
        return transport.bytesWritten() < CLOSING_MIN_BYTES ? 0 : transport.unsentBytes();
    }

    /**
     * True if {@code unsent} (see Transport.unsentBytes) counts bytes of a response: a FIN queued
     * behind them counts one, and waits for a window too (a client that read all but whose window
     * update has not come yet), but holds no memory worth a reset.
     */
    private static boolean holdsData(int unsent) {
        return unsent > 1;
    }

    /** For the watchdog, on a CLOSING connection: closes it once sent, resets it if stalled (see closeOnceSent). */
    private boolean checkClosing(long nowNanos) {
        int unsent = unsentOutput();
        if (holdsData(unsent)) {
            if (unsent < closingUnsent) {
                closingUnsent = unsent;
                closingProgressNanos = nowNanos;
            }
            if (nowNanos - closingProgressNanos <= writeTimeoutNanos) return false;
            LOG.log(System.Logger.Level.DEBUG, "{0} stopped taking the end of its last response; resetting",
                    transport.remoteAddress());
            transport.resetOnClose();
        }
        close();
        return true;
    }

    private boolean closeInSetup() {
        if (STATE.compareAndSet(this, SETUP, CLOSED)) {
            transport.close();
            owner.connectionClosed(this);
            return true;
        }
        return false;
    }

    /**
     * Closes the connection now, whatever it is doing (a blocked read or write fails at once). A
     * close-delimited response cut off this way ends in a reset, not in the FIN that would pass for
     * its end: but only on the connection's first response, since a reset also drops what the
     * kernel still holds of earlier, complete ones. Read from other threads (stop(), the watchdog),
     * the response and count may be stale: then there is no reset, which is no worse than before.
     * A write blocked at that moment also ends in a reset: its response is cut off anyway, and its
     * client is slow to read or stopped, so a FIN would queue behind what the kernel holds for it
     * (megabytes), which would outlive the server (as at the write timeout; see checkTimeouts).
     */
    public void abort() {
        HttpResponse response = currentResponse;
        boolean cutBodyEndsAtClose = response != null && requests == 1 && response.isCommitted() && !response.isFinished()
                && response.endsAtClose();
        if (cutBodyEndsAtClose || (output != null && output.writing())) transport.resetOnClose();
        close();
    }

    /**
     * Since when ({@link System#nanoTime()}) the write under way has made no progress, as the
     * watchdog last saw it (see checkTimeouts): the write's start, or its last look at the kernel's
     * unsent count that found 4 KiB taken since the look before (see WRITE_SAMPLE_NANOS); 0 if no
     * write is under way.
     */
    public long writeStalledSince() {
        long since = writeSeenSince;
        ConnectionOutput out = output;
        if (out == null || !out.stillWriting(since)) return 0;
        long moved = writeMovedNanos;
        return moved - since > 0 ? moved : since;
    }

    /** About how much heap the connection holds while a write waits for its client (see {@link Transport#heapHeldWhileWriting()}). */
    public int heapHeldWhileWriting() {
        return transport.heapHeldWhileWriting();
    }

    /**
     * Resets the connection, whose write waits for a client that does not read, before its write
     * timeout: the server's connections hold too much heap in such writes (see the registry's
     * stalled-write budget).
     */
    public void resetStalledWrite() {
        LOG.log(System.Logger.Level.DEBUG, "Write to {0} stalled while stalled writes hold too much memory; resetting",
                transport.remoteAddress());
        transport.resetOnClose();
        abort();
    }

    /**
     * Enforces the timeouts that are not checked by a timed read: closes the connection if its setup
     * steps ran past the handshake deadline, half-closes it if it has waited idle past its keep-alive
     * deadline, or its begun-record deadline (see idleWaitDeadline, halfCloseIdle), closes it if it
     * was half-closed {@code LINGER_NANOS} ago, or if a write has made no progress for longer than the write timeout (the client stopped reading).
     * Also has responses held for batching written out when the next pipelined request's
     * application is slow. Called periodically (every 100 ms) by the server's watchdog.
     *
     * @return true if it closed the connection, or half-closed it (idle past its deadline)
     */
    public boolean checkTimeouts(long nowNanos) {
        if (state == SETUP) {
            long setupUntil = setupDeadline;
            if (setupUntil == 0 || nowNanos - setupUntil < 0) return false;
            LOG.log(System.Logger.Level.DEBUG, "Connection setup with {0} timed out; closing", transport.remoteAddress());
            return closeInSetup();
        }
        if (output == null) return false; // closed during setup
        if (state == HALF_CLOSED && nowNanos - halfClosedUntil >= 0) {
            return closeOnceSent(); // the client neither closed nor stopped sending in time
        }
        if (state == CLOSING) return checkClosing(nowNanos);
        long idleUntil = idleDeadline;
        if (idleUntil != 0 && nowNanos - idleUntil >= 0 && closeIfIdleAndQuiet(idleUntil)) return true;
        long started = output.writeSeenSince();
        if (writeSeenSince != started) {
            writeSeenSince = started;
            writeSampledNanos = 0;
            writeProgressNanos = started;
            writeMovedNanos = started;
        }
        if (started != 0) sampleWriteProgress(started, nowNanos);
        if (started != 0 && nowNanos - writeProgressNanos > writeTimeoutNanos && state != CLOSED) {
            LOG.log(System.Logger.Level.DEBUG, "Write to {0} timed out; closing", transport.remoteAddress());
            // a reset, not a FIN behind the unsent bytes: a client that stopped reading would otherwise
            // leave the kernel an orphan socket holding its send buffer (megabytes) for minutes, past
            // maxConnections (as nginx's reset_timedout_connection)
            transport.resetOnClose();
            abort();
            return true;
        }
        if (output.heldTooLong(nowNanos) && HELD_FLUSH_RUNNING.compareAndSet(this, false, true)) {
            Thread.ofVirtual().name("wsgiserver-flush").start(this::flushHeldResponses);
        }
        return false;
    }

    /**
     * Samples what the kernel holds unsent of a blocked write (see WRITE_SAMPLE_NANOS); nothing
     * where the transport cannot tell (JDK 21, UNIX sockets): each slice is then timed whole.
     */
    private void sampleWriteProgress(long started, long nowNanos) {
        if (nowNanos - (writeSampledNanos == 0 ? started : writeSampledNanos) < WRITE_SAMPLE_NANOS) return;
        int unsent = transport.unsentBytes();
        if (unsent < 0) return;
        if (writeSampledNanos == 0) {
            writeProgressUnsent = unsent;
        } else {
            if (unsent <= writeSampledUnsent - WRITE_MOVED_BYTES) writeMovedNanos = nowNanos;
            if (unsent <= writeProgressUnsent - WRITE_PROGRESS_BYTES) {
                writeProgressNanos = nowNanos;
                writeProgressUnsent = unsent;
            }
        }
        writeSampledNanos = nowNanos;
        writeSampledUnsent = unsent;
    }

    /** Writes the complete responses held while a slow application runs (see ConnectionOutput). */
    private void flushHeldResponses() {
        try {
            output.flushHeld(); // their access-log entries go out with them (see PendingLogEntries)
        } catch (IOException e) {
            abort(); // the client is gone or stopped reading
        } finally {
            heldFlushRunning = false;
        }
    }

    // ---- request head ----

    /**
     * Parses the head at the front of the input buffer if it is all there (see RequestHeadScanner);
     * null if more bytes are needed.
     */
    private RequestHead tryParseHead() throws BadRequestException {
        int avail = input.available();
        if (avail == 0) return null;
        int start = input.pos;
        int end = headScanner.findEnd(input.buf, start, avail);
        if (end < 0) return null;
        RequestHead head = parse(input.buf, start, end);
        input.skip(end - start);
        return head;
    }

    /** Parses a complete head with a parser the owner lends for it, or this connection's own. */
    private RequestHead parse(byte[] b, int start, int end) throws BadRequestException {
        RequestParserPool parsers = owner.requestParsers();
        if (parsers == null) return parser.parse(b, start, end);
        RequestParser p = parsers.take(settings.limits());
        p.violationsLogged(violationsLogged);
        try {
            return p.parse(b, start, end);
        } finally {
            violationsLogged = p.violationsLogged();
            parsers.give(p);
        }
    }

    /**
     * RFC 9112 section 2.2: ignores empty lines (CRLF; a bare LF only where bare-LF line endings are
     * relaxed) before a request line. A bare CR is left for the parser to refuse.
     *
     * @return true if all that is left is a CR whose LF has not arrived yet (wait for it before parsing)
     */
    private boolean skipEmptyLines() {
        byte[] b = input.buf;
        while (input.pos < input.limit) {
            if (b[input.pos] == '\r') {
                if (input.pos + 1 == input.limit) return true;
                if (b[input.pos + 1] != '\n') return false;
                input.pos += 2;
            } else if (b[input.pos] == '\n' && bareLfAllowed) {
                input.pos++;
            } else {
                return false;
            }
        }
        return false;
    }

    /**
     * Answers an error the client caused before its request could be served, and closes.
     *
     * @return true if the connection is left half-closed: its next awaitRequest (dropUntilEnd)
     *         reads and drops what the client still sends and closes it
     */
    private boolean refuse(int status, String message) {
        return refuse(status, message, null);
    }

    /** As {@link #refuse(int, String)}; {@code head}: the refused request's head if it was parsed, else null. */
    private boolean refuse(int status, String message, RequestHead head) {
        // Refused while waiting for a request (a bad or late head): busy from now on, so that stop()
        // does not close it as idle under the answer, nor close the access log before its entry.
        if (!STATE.compareAndSet(this, IDLE, BUSY) && state == HALF_CLOSED) return true; // too late to answer
        try {
            // a parsed head may have waited for a turn (a busy 503): that wait is the refusal's duration
            answerRefusal(status, message, head, head != null ? headCompleteNanos : 0);
        } catch (IOException e) {
            close();
            return false;
        }
        lingerOnClose = true;
        return closeGracefully();
    }

    /**
     * Writes the error response of a refusal and counts and logs it as the server's own (the
     * application never saw the request); {@code head}: the refused request's head if it was
     * parsed, else null (the buffer still starts with the refused request); {@code startNanos}: when
     * the refused request began, for the log's duration, or 0.
     */
    private void answerRefusal(int status, String message, RequestHead head, long startNanos) throws IOException {
        long sent = sendError(status, message, head != null ? head.isHead() : bufferedRequestIsHead());
        owner.refused(status);
        if (settings.accessLog() != null) {
            String requestLine = head != null ? head.requestLine() : bufferedRequestLine();
            long duration = startNanos != 0 ? System.nanoTime() - startNanos : 0;
            writeLogEntry(peerText(transport.remoteAddress()), requestLine, status, sent, head, duration);
        }
    }

    // ---- one exchange ----

    /** Runs one request through the gateway; returns true if the connection may carry another. */
    private boolean exchange(RequestHead head) throws IOException {
        // From the complete head, a wait for a worker included (statistics, access log); a pipelined
        // head parsed just now is complete now.
        long startNanos = headCompleteNanos != 0 ? headCompleteNanos : System.nanoTime();
        headCompleteNanos = 0;
        HttpLimits limits = settings.limits();
        requests++;
        if (head.contentLength() > limits.maxBodySize()) { // refused before 100-continue
            answerRefusal(413, "Request body is larger than " + limits.maxBodySize() + " bytes", head, startNanos);
            lingerOnClose = true;
            return false;
        }
        input.shrinkIfGrown(); // a long head's buffer (and its share of maxHeadMemory) is not kept while the application runs
        // Responses to earlier pipelined requests wait for this one to share a write, but only
        // briefly: if this application is slow, the watchdog has them written (see checkTimeouts).
        output.holdCompleteResponses();
        if (requests == 1 && head.keepAlive()) transport.expectMoreRequests(); // see SocketTransport's
        RequestBody body = newBody(head);
        currentBody = body;
        HttpResponse response = new HttpResponse(this, head, output, settings.serverHeader());
        currentResponse = response;
        Throwable failure = null;
        try {
            gateway.handle(new Exchange(head, body, response, transport.localAddress(), transport.remoteAddress(),
                    transport.scheme(), transport.sslSession(), transport.proxiedTls()));
        } catch (Throwable t) {
            failure = t;
        }
        String client = response.loggedClient(); // the gateway's; an error response below replaces the response
        if (failure != null || !response.isFinished()) {
            HttpResponse unfinished = response;
            try {
                response = answerUnfinished(head, body, unfinished, failure, startNanos);
            } finally {
                unfinished.abandon(); // an application that kept its writer cannot write into the connection any more
            }
            if (response == null) return false;
        }
        // the response is complete: its duration and log line need not wait for a drain of the body's rest
        recordExchangeEnd(head, client, response.status(), response.bodyBytes(), startNanos);
        boolean keep = keepsAfterResponse(head, body, response);
        currentBody = null;
        currentResponse = null;
        return keep;
    }

    /**
     * After a gateway that threw {@code failure} or (null) did not finish {@code response}: the
     * error response the client gets instead (400/408 for a bad or late body, else 500), written;
     * or null if the connection must close without one (cut off by stop(), the client gone, a
     * failed write, a response begun and partly sent), counted and logged here.
     */
    private HttpResponse answerUnfinished(RequestHead head, RequestBody body, HttpResponse response, Throwable failure,
                                          long startNanos) throws IOException {
        if (isClosed() && owner.isDraining()) { // cut off by stop() at the shutdown timeout (or sooner): expected, no stack trace
            // '' is MessageFormat's quote: one ' in the line
            LOG.log(System.Logger.Level.INFO, "\"{0}\" was cut off by the server''s stop", head.requestLine());
            logIfStarted(head, response, startNanos); // stop() waits a moment for this before it closes the log
            return null;
        }
        if (output.failure() instanceof IOException) { // the client went away mid-response (or the write timed out)
            // with the write's failure: a reset, a broken pipe and a socket closed under the write differ
            LOG.log(System.Logger.Level.DEBUG, "Client {0} went away during \"{1}\": {2}", transport.remoteAddress(),
                    head.requestLine(), output.failure().toString());
            owner.socketError();
            logIfStarted(head, response, startNanos);
            return null;
        }
        if (output.failed()) { // not the client: a defect, which must not pass for a client that left
            LOG.log(System.Logger.Level.ERROR, "Writing the response to \"" + head.requestLine() + "\" failed; closing the connection",
                    output.failure());
            abort();
            logIfStarted(head, response, startNanos);
            return null;
        }
        // A response still wholly in the buffer is dropped: the client gets the error response below instead.
        if (response.isCommitted() && !output.discardResponse()) {
            if (failure != null) {
                LOG.log(System.Logger.Level.ERROR, "Error after the response to \"" + head.requestLine() + "\" started; closing the connection", failure);
            }
            try { // complete responses to earlier pipelined requests, held behind this one, still go out
                output.flushHeld();
            } catch (IOException e) {
                // the client is gone: nothing more to send
            }
            abort();
            logIfStarted(head, response, startNanos);
            return null;
        }
        IOException bodyError = body.failure();
        if (bodyError instanceof BadRequestException bad) {
            return errorResponse(head, bad.status(), bad.getMessage(), true);
        }
        if (bodyError instanceof SocketTimeoutException) {
            return errorResponse(head, 408, "The request body did not arrive in time", true);
        }
        if (bodyError != null) { // the client went away while sending its body
            LOG.log(System.Logger.Level.DEBUG, "Client {0} went away sending the body of \"{1}\": {2}", transport.remoteAddress(),
                    head.requestLine(), bodyError.toString());
            owner.socketError();
            return null;
        }
        if (failure != null) {
            LOG.log(System.Logger.Level.ERROR, "Error serving \"" + head.requestLine() + "\"", failure);
        } else {
            LOG.log(System.Logger.Level.ERROR, "Gateway did not finish the response to \"{0}\"", head.requestLine());
        }
        return errorResponse(head, 500, "The server could not complete your request.", false);
    }

    /**
     * Whether the connection carries another request after {@code response}: not if the client or
     * the response closes it, and not if the request's body is left unread and cannot be drained.
     */
    private boolean keepsAfterResponse(RequestHead head, RequestBody body, HttpResponse response) {
        boolean keep = head.keepAlive();
        // A close the client did not ask for (the application's Connection: close, an HTTP/1.0 body
        // that ends at the close, or stop() begun after the response promised keep-alive): it may
        // have pipelined more requests, and unread input makes a reset.
        if (keep && (response.closeAfter() || owner.isDraining())) {
            keep = false;
            lingerOnClose = true;
        }
        if (!body.isFullyRead()) {
            lastExchangeEndNanos = 0; // the keep-alive wait starts after the drain
            if (keep) {
                long max = settings.limits().maxDrainSize();
                boolean neverAskedForBody = head.expectContinue() && !body.isStarted();
                keep = (!neverAskedForBody || bodyArrivedWithin(body, max)) && body.drain(max, System.nanoTime() + drainNanos);
            }
            if (!keep) lingerOnClose = true;
        }
        // The client's own close after a body: an old client's extra CRLF after it (RFC 9112 section
        // 2.2) may be waiting in the socket, and a close with unread input is a reset, which can
        // destroy the response before the client reads it (section 9.6). Asked after bodies only:
        // a system call, which bodiless requests with Connection: close (scenario d) are spared.
        if (!keep && !lingerOnClose && head.framing() != RequestHead.BodyFraming.NONE && transport.hasPendingInput()) {
            lingerOnClose = true;
        }
        return keep;
    }

    private RequestBody newBody(RequestHead head) {
        if (head.framing() == RequestHead.BodyFraming.NONE) return new RequestBody(null, null, null);
        BodyInput source = new BodyInput(input, settings.timeouts(), turn);
        InputStream framed = head.framing() == RequestHead.BodyFraming.CHUNKED
                ? new ChunkedInputStream(source, settings.limits())
                : new FixedLengthInputStream(source, head.contentLength());
        return new RequestBody(framed, source, continueHook(head));
    }

    private RequestBody.FirstReadHook continueHook(RequestHead head) {
        if (!head.expectContinue()) return null;
        return () -> {
            // The client waits for this before it sends the body. A response begun but all still in
            // the buffer (a gateway that writes its head before it reads, as the JDK's API may) gets it
            // in front; once some of a response went out it is too late.
            if (input.available() != 0) return;
            if (!currentResponse.isCommitted()) {
                output.write(CONTINUE_100);
                output.flush();
            } else if (output.insertBeforeResponse(CONTINUE_100)) {
                output.flush();
            }
        };
    }

    /**
     * True if bytes of the client's next request are waiting in the input buffer; false while the
     * current request's body is not all read (what is buffered may be the rest of it).
     */
    boolean hasPipelinedInput() {
        RequestBody body = currentBody;
        return (body == null || body.isFullyRead()) && input.available() > 0;
    }

    /**
     * Called by {@link HttpResponse#begin} before it writes anything: true if the connection will
     * close after this response, so that the response can say so. An unread body is never read here
     * (the application may still read it after starting its response); one known to be larger than
     * what the server drains afterwards means closing, and so does a chunked one not all arrived yet.
     * So does a connection that has served its most requests or outlived its age limit; a client
     * that did not ask for that close may have pipelined more requests, still on their way, so the
     * close then lingers (see closeGracefully): a close with unread input would be a reset. So does
     * the close of a draining server (stop()) for the same reason.
     */
    boolean closesAfterResponse(RequestHead request) {
        if (!request.keepAlive()) return true;
        if (owner.isDraining()) { // the server's close, which the client may have pipelined more requests into
            lingerOnClose = true;
            return true;
        }
        if (isRetiring()) {
            lingerOnClose = true;
            if (!retirementCounted) { // once: a response replaced by an error response begins again
                retirementCounted = true;
                owner.connectionRetired();
            }
            return true;
        }
        RequestBody body = currentBody;
        if (body == null || body.isFullyRead()) return false;
        if (body.failure() != null) return true;
        long max = settings.limits().maxDrainSize();
        // The client waits for a 100 Continue that never came: it may or may not send the body,
        // unless it sent it without waiting, all of it (and then it is drained as any other).
        if (!body.isStarted() && request.expectContinue()) return !bodyArrivedWithin(body, max);
        // What the application leaves is drained after the response, if small; if not, the close is announced.
        long known = body.remainingLength();
        if (known >= 0) return known > max;
        // A chunked body's size is unknown until read: the connection is kept only if all the rest
        // has arrived already and is small, else the drain might fail after keep-alive was promised
        // (and a client that sent its next request would see the connection close under it).
        return !bodyArrivedWithin(body, max);
    }

    /**
     * True if the rest of the body, at most {@code max} bytes, has arrived already (in the input
     * buffer, or waiting in the socket: read without waiting); false if the client is gone.
     */
    private boolean bodyArrivedWithin(RequestBody body, long max) {
        try {
            long known = body.remainingLength();
            if (known < 0) {
                long arrived = body.dataLeftIfArrived(input);
                return arrived >= 0 && arrived <= max;
            }
            if (known > max) return false;
            if (input.available() < known) input.readArrived();
            return input.available() >= known;
        } catch (IOException e) { // the client is gone: the response's write will find out
            return false;
        }
    }

    /** True once this connection has served its most requests or is older than its age limit. */
    private boolean isRetiring() {
        return (lastRequest != 0 && requests >= lastRequest) || (retireAtNanos != 0 && System.nanoTime() - retireAtNanos >= 0);
    }

    /**
     * Throws the error the application ran into reading the request body if it now starts its own
     * response anyway (having caught the error): the server answers with the error's status instead.
     */
    void rethrowRequestBodyFailure(HttpResponse response) throws IOException {
        RequestBody body = currentBody;
        if (response == currentResponse && body != null && body.failure() != null) throw body.failure();
    }

    /**
     * Answers a request the application could not (see answerUnfinished) with an error response
     * written as the application's would be, through {@link HttpResponse} (HTTP/1.0 or 1.1, HEAD
     * without content, keep-alive unless {@code close}).
     */
    private HttpResponse errorResponse(RequestHead head, int status, String message, boolean close) throws IOException {
        HttpResponse response = new HttpResponse(this, head, output, settings.serverHeader());
        byte[] body = ErrorResponse.body(message);
        List<Header> headers = ErrorResponse.headers(status);
        if (close) {
            headers = new ArrayList<>(headers);
            headers.add(Header.of("Connection", "close"));
        }
        response.begin(status, HttpStatus.reason(status), headers, body.length);
        response.write(body, 0, body.length);
        response.finish();
        return response;
    }

    /**
     * Writes a complete error response that closes the connection when there is no request to
     * answer through {@link HttpResponse} (a head refused or not parsed, a body refused before the
     * application ran), and flushes it; returns the body bytes written.
     *
     * @param headRequest the refused request is a HEAD: its response carries the header fields but
     *                    no content (RFC 9110 section 9.3.2)
     */
    private long sendError(int status, String message, boolean headRequest) throws IOException {
        output.write(ErrorResponse.closing(status, message, settings.serverHeader(), headRequest));
        output.flush();
        return headRequest ? 0 : ErrorResponse.bodyLength(message);
    }

    /**
     * The request line of the request being refused, as far as it arrived (at most 1024 bytes), for
     * the access log; null if none did. Like {@link #bufferedRequestIsHead()}, not for a request
     * whose head was parsed.
     */
    private String bufferedRequestLine() {
        return RequestParser.firstLine(input.buf, input.pos, input.available());
    }

    /**
     * Whether the request being refused (its head not parsed yet, or refused by the parser) is a
     * HEAD, as far as it arrived: the buffer then starts with its request line, whose method is
     * case-sensitive (RFC 9110 section 9.1). Not for a request whose head was parsed: the buffer
     * has moved past it.
     */
    private boolean bufferedRequestIsHead() {
        return RequestParser.startsWithHeadMethod(input.buf, input.pos, input.available());
    }

    /**
     * Ends an exchange: the keep-alive wait that follows starts now, the statistics count it, and the
     * access log (if any) gets its line. {@code client}: the client the gateway named
     * ({@link HttpResponse#logClientAs}), or null for the peer.
     */
    private void recordExchangeEnd(RequestHead head, String client, int status, long bodyBytes, long startNanos) {
        long end = System.nanoTime();
        lastExchangeEndNanos = end; // where the keep-alive wait that follows starts
        long duration = end - startNanos;
        owner.served(status, duration);
        // requestLine() builds a string: only for a log that takes it (40 bytes a request otherwise)
        if (pendingLog != null) { // written once the response has gone out, with the body bytes that did (see serve)
            String addr = client != null ? client : peerText(transport.remoteAddress());
            pendingLog.add(logEntry(addr, head.requestLine(), status, bodyBytes, head, duration), output.bodyStart(),
                    output.bytesGiven());
            // written through already (a large or streamed body): no later write of this turn may tell
            if (!output.hasPending()) pendingLog.writeSent(output.bytesWritten());
        }
    }

    /**
     * Counts and logs a response that started but was cut off (the client went away, a write timed
     * out), with its status and the body bytes of it that went out: it was answered, as far as the
     * client is concerned. One that never started was not, and has no entry.
     */
    private void logIfStarted(RequestHead head, HttpResponse response, long startNanos) {
        if (response.isCommitted()) recordExchangeEnd(head, response.loggedClient(), response.status(), response.bodyBytes(), startNanos);
    }

    /**
     * An access-log entry; {@code client}: the address text it names, {@code head}: the request's
     * parsed head, or null for a refusal before it was parsed.
     */
    private void writeLogEntry(String client, String requestLine, int status, long bodyBytes, RequestHead head,
                               long durationNanos) {
        var accessLog = settings.accessLog();
        if (accessLog == null) return;
        AccessLogEntry entry = logEntry(client, requestLine, status, bodyBytes, head, durationNanos);
        if (pendingLog != null && !pendingLog.isEmpty()) { // after the turn's earlier responses, its answer flushed already
            long end = output.bytesGiven();
            pendingLog.add(entry, end, end);
            return;
        }
        PendingLogEntries.write(accessLog, entry);
    }

    /** An access-log entry of a request that arrived {@code durationNanos} ago; see {@link #writeLogEntry}. */
    private static AccessLogEntry logEntry(String client, String requestLine, int status, long bodyBytes, RequestHead head,
                                           long durationNanos) {
        return new AccessLogEntry(client, Instant.now().minusNanos(durationNanos), requestLine, status, bodyBytes,
                head != null ? head.headers().get("Referer") : null,
                head != null ? head.headers().get("User-Agent") : null, durationNanos,
                head != null ? head.headers().get("Host") : null);
    }

    /** The access log's text for a connection's peer: an IP address, else what the address says of itself. */
    private static String peerText(SocketAddress remote) {
        return remote instanceof InetSocketAddress isa ? HostAddress.text(isa.getAddress()) : String.valueOf(remote);
    }

    // ---- closing ----

    private void close() {
        int previous = (int) STATE.getAndSet(this, CLOSED);
        if (previous != CLOSED) {
            // uncounted first: a client that sees the close and connects again at once is not refused
            // over the connection limit for the moment between the two
            owner.connectionClosed(this);
            transport.close();
            if (input != null) input.returnBudget(); // null: closed during setup
        }
    }

    /**
     * Closes after a response. If the client may still be sending (an unread body, a refused
     * request, requests pipelined into the server's own close), the output is shut first and what
     * the client sends is read and dropped until its end (see dropUntilEnd): closing a socket with
     * unread input makes the kernel send a reset, which can destroy the response before the client
     * read it. That lingering is the half-closed state an idle connection is in after stop() or the
     * keep-alive timeout: no worker waits for it, the next awaitRequest does the reading, waiting as
     * an idle connection does (without a thread where the transport can, and without a buffer), and
     * the watchdog closes it {@code LINGER_NANOS} after the half-close. The connection stays
     * registered (counted against the connection limit, closed by a forced stop) until it ends.
     *
     * @return true if the connection is half-closed: the caller must call awaitRequest, which ends it
     */
    private boolean closeGracefully() {
        endTurn();
        try {
            output.flush();
        } catch (IOException e) {
            close();
            return false;
        }
        output.release(); // everything is out: the next connection reuses the buffer (called on the connection's own thread only)
        writeLogEntries(); // before the close, as nginx logs: a client that reads to the end finds its line there
        // A response the kernel still holds part of lingers too: its client's close (once it has read
        // all) ends the linger, and the connection with it; one that never reads becomes CLOSING at the
        // linger's end (see closeOnceSent). Closed at once, it would stay CLOSING until the watchdog.
        if (!lingerOnClose && input.available() == 0 && !holdsData(unsentOutput())) {
            closeCleanly();
            close();
            return false;
        }
        if (state != BUSY) return false; // closed meanwhile (a forced stop, the write timeout)
        try {
            output.timedAsWrite(transport::shutdownOutput); // a close_notify over TLS: timed like any write
        } catch (IOException e) {
            close(); // timeout, reset, or closed by a forced stop: either way we are done
            return false;
        }
        halfClosedUntil = System.nanoTime() + LINGER_NANOS; // first: the watchdog reads it once HALF_CLOSED
        if (STATE.compareAndSet(this, BUSY, HALF_CLOSED)) return true;
        close(); // closed by a forced stop meanwhile
        return false;
    }

    /**
     * Gives the turn up before the last write of its complete responses (see
     * {@link WorkerTurn#answered()}); that write, should it wait for the client, has none to lend.
     */
    private void endTurn() {
        turn.answered();
        output.useTurn(WorkerTurn.KEPT);
    }

    /** The transport's clean close (over TLS, a close_notify first), timed by the watchdog like any write. */
    private void closeCleanly() {
        if (output == null) {
            transport.closeCleanly();
            return;
        }
        try {
            output.timedAsWrite(transport::closeCleanly);
        } catch (IOException e) {
            // it closes whatever happens
        }
    }
}
