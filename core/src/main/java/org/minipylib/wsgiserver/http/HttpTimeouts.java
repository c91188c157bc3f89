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

    /**
     * 10 s for the head, 30 s per body read and per write, 20 s keep-alive, 10 s for the handshake,
     * 5 s to drain an unread body, and a body must average 240 bytes/s after 5 s.
     */
    public static HttpTimeouts defaults() {
        return builder().build();
    }

    /** The same timeout for everything (the drain timeout included); the default minimum body rate. */
    public static HttpTimeouts all(Duration timeout) {
        return builder().requestHead(timeout).bodyRead(timeout).write(timeout).keepAlive(timeout)
                .handshake(timeout).drain(timeout).build();
    }

    /**
     * A builder starting from the {@linkplain #defaults() defaults}: set only the timeouts that
     * differ, e.g. {@code HttpTimeouts.builder().keepAlive(Duration.ofSeconds(5)).build()}.
     */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these timeouts. */
    public Builder toBuilder() {
        return new Builder().requestHead(requestHead).bodyRead(bodyRead).write(write).keepAlive(keepAlive)
                .handshake(handshake).drain(drain).minBodyRate(minBodyRate);
    }

    /** These timeouts with {@link #requestHead()} {@code d}. */
    public HttpTimeouts withRequestHead(Duration d) { return toBuilder().requestHead(d).build(); }
    /** These timeouts with {@link #bodyRead()} {@code d}. */
    public HttpTimeouts withBodyRead(Duration d) { return toBuilder().bodyRead(d).build(); }
    /** These timeouts with {@link #write()} {@code d}. */
    public HttpTimeouts withWrite(Duration d) { return toBuilder().write(d).build(); }
    /** These timeouts with {@link #keepAlive()} {@code d}. */
    public HttpTimeouts withKeepAlive(Duration d) { return toBuilder().keepAlive(d).build(); }
    /** These timeouts with {@link #handshake()} {@code d}. */
    public HttpTimeouts withHandshake(Duration d) { return toBuilder().handshake(d).build(); }
    /** These timeouts with {@link #drain()} {@code d}. */
    public HttpTimeouts withDrain(Duration d) { return toBuilder().drain(d).build(); }
    /** These timeouts with {@link #minBodyRate()} {@code r}. */
    public HttpTimeouts withMinBodyRate(MinDataRate r) { return toBuilder().minBodyRate(r).build(); }

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

    /**
     * Builds {@link HttpTimeouts}, starting from the {@linkplain #defaults() defaults}; one setter per
     * timeout, checked by {@link #build()} (each must be positive and at most {@link #LONGEST}).
     */
    public static final class Builder {
        private Duration requestHead = Duration.ofSeconds(10);
        private Duration bodyRead = Duration.ofSeconds(30);
        private Duration write = Duration.ofSeconds(30);
        private Duration keepAlive = Duration.ofSeconds(20);
        private Duration handshake = Duration.ofSeconds(10);
        private Duration drain = Duration.ofSeconds(5);
        private MinDataRate minBodyRate = MinDataRate.defaults();

        private Builder() {
        }

        public Builder requestHead(Duration d) { this.requestHead = d; return this; }
        public Builder bodyRead(Duration d) { this.bodyRead = d; return this; }
        public Builder write(Duration d) { this.write = d; return this; }
        public Builder keepAlive(Duration d) { this.keepAlive = d; return this; }
        public Builder handshake(Duration d) { this.handshake = d; return this; }
        public Builder drain(Duration d) { this.drain = d; return this; }
        /** {@link MinDataRate#NONE} for no minimum. */
        public Builder minBodyRate(MinDataRate r) { this.minBodyRate = r; return this; }

        /** @throws IllegalArgumentException if a timeout is not positive or longer than {@link #LONGEST} */
        public HttpTimeouts build() {
            return new HttpTimeouts(requestHead, bodyRead, write, keepAlive, handshake, drain, minBodyRate);
        }
    }
}
