package org.minipylib.wsgiserver.http;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * How long the server waits for a client. None of these lets a client hold a worker for longer.
 *
 * <p>Where each is enforced: the request head by the head's reads ({@code HttpConnection.readHead}),
 * the body's by the body's reads ({@code BodyInput}), the drain by the drain's; write, keep-alive and
 * handshake, which no read in progress can time, by the server's watchdog
 * ({@code server.Watchdog}, through {@code HttpConnection.checkTimeouts}) every 100 ms.
 *
 * @param requestHead the whole request head (request line and headers) must arrive within this
 *                    time of its first byte, however slowly it trickles (else 408)
 * @param bodyRead    longest wait for the next bytes of a request body (else 408 or close)
 * @param write       longest time one write to the client may block (a client that stops reading)
 * @param keepAlive   longest wait for the first byte of the next request on an idle connection
 * @param handshake   how long a new connection may take for everything before its first request can
 *                    be read: a TLS handshake, a PROXY protocol header (see {@link ConnectionSetup})
 * @param drain       after a response, how long the server may spend reading and discarding the part
 *                    of the request body the application left unread (up to
 *                    {@link HttpLimits#maxDrainSize()}) to keep the connection; past it the connection
 *                    is closed instead
 * @param minBodyRate the slowest average rate at which a client may send a request body while it is
 *                    read ({@link MinDataRate#NONE} for no minimum); else 408 (if the response has not
 *                    started) and close
 */
public record HttpTimeouts(Duration requestHead, Duration bodyRead, Duration write, Duration keepAlive,
                           Duration handshake, Duration drain, MinDataRate minBodyRate) {

    private static final Duration DEFAULT_DRAIN = Duration.ofSeconds(5);

    /**
     * The longest duration the server can time (its clock counts nanoseconds in a {@code long}):
     * about 292 years. A longer timeout is refused when the configuration is made, rather than
     * failing every connection.
     */
    public static final Duration LONGEST = Duration.ofNanos(Long.MAX_VALUE);

    public HttpTimeouts {
        positive(requestHead, "requestHead");
        positive(bodyRead, "bodyRead");
        positive(write, "write");
        positive(keepAlive, "keepAlive");
        positive(handshake, "handshake");
        positive(drain, "drain");
        Objects.requireNonNull(minBodyRate, "minBodyRate");
    }

    /** The five timeouts given, the default {@code drain} timeout and minimum body rate. */
    public HttpTimeouts(Duration requestHead, Duration bodyRead, Duration write, Duration keepAlive, Duration handshake) {
        this(requestHead, bodyRead, write, keepAlive, handshake, DEFAULT_DRAIN, MinDataRate.defaults());
    }

    /**
     * 10 s for the head, 30 s per body read and per write, 20 s keep-alive, 10 s for the handshake,
     * 5 s to drain an unread body, and a body must average 240 bytes/s after 5 s.
     */
    public static HttpTimeouts defaults() {
        return new HttpTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(30),
                Duration.ofSeconds(20), Duration.ofSeconds(10));
    }

    /** The same timeout for everything (the drain timeout included); the default minimum body rate. */
    public static HttpTimeouts all(Duration timeout) {
        return new HttpTimeouts(timeout, timeout, timeout, timeout, timeout, timeout, MinDataRate.defaults());
    }

    public HttpTimeouts withRequestHead(Duration d) { return new HttpTimeouts(d, bodyRead, write, keepAlive, handshake, drain, minBodyRate); }
    public HttpTimeouts withBodyRead(Duration d) { return new HttpTimeouts(requestHead, d, write, keepAlive, handshake, drain, minBodyRate); }
    public HttpTimeouts withWrite(Duration d) { return new HttpTimeouts(requestHead, bodyRead, d, keepAlive, handshake, drain, minBodyRate); }
    public HttpTimeouts withKeepAlive(Duration d) { return new HttpTimeouts(requestHead, bodyRead, write, d, handshake, drain, minBodyRate); }
    public HttpTimeouts withHandshake(Duration d) { return new HttpTimeouts(requestHead, bodyRead, write, keepAlive, d, drain, minBodyRate); }
    public HttpTimeouts withDrain(Duration d) { return new HttpTimeouts(requestHead, bodyRead, write, keepAlive, handshake, d, minBodyRate); }
    public HttpTimeouts withMinBodyRate(MinDataRate r) { return new HttpTimeouts(requestHead, bodyRead, write, keepAlive, handshake, drain, r); }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(name + " must be positive");
        atMostLongest(d, name);
    }

    /** Throws {@link IllegalArgumentException} naming {@code name} if {@code d} is longer than {@link #LONGEST}. */
    public static void atMostLongest(Duration d, String name) {
        if (d.compareTo(LONGEST) > 0) throw new IllegalArgumentException(name + " must be at most " + LONGEST.toDays() + " days, got " + d);
    }

    static int millis(Duration d) {
        return waitMillis(d.toNanos());
    }

    /**
     * A read's timeout, in the milliseconds a socket takes, for a wait of {@code nanos} (positive):
     * rounded up, so never 0 (which would wait forever) and never short of the deadline (a wait
     * that ends early only wakes up to wait again), and at most {@link Integer#MAX_VALUE}.
     */
    public static int waitMillis(long nanos) {
        return (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(nanos - 1) + 1);
    }
}
