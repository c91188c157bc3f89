package org.minipylib.wsgiserver.http;

import java.time.Duration;
import java.util.Objects;

/**
 * How long the server waits for a client. None of these lets a client hold a worker for longer.
 *
 * @param requestHead the whole request head (request line and headers) must arrive within this
 *                    time of its first byte, however slowly it trickles (else 408)
 * @param bodyRead    longest wait for the next bytes of a request body (else 408 or close)
 * @param write       longest time one write to the client may block (a client that stops reading)
 * @param keepAlive   longest wait for the first byte of the next request on an idle connection
 * @param handshake   how long a new connection may take for everything before its first request can
 *                    be read: a TLS handshake, a PROXY protocol header (see {@link ConnectionSetup})
 */
public record HttpTimeouts(Duration requestHead, Duration bodyRead, Duration write, Duration keepAlive,
                           Duration handshake) {

    public HttpTimeouts {
        positive(requestHead, "requestHead");
        positive(bodyRead, "bodyRead");
        positive(write, "write");
        positive(keepAlive, "keepAlive");
        positive(handshake, "handshake");
    }

    /** 10 s for the head, 30 s per body read and per write, 20 s keep-alive, 10 s for the handshake. */
    public static HttpTimeouts defaults() {
        return new HttpTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(30),
                Duration.ofSeconds(20), Duration.ofSeconds(10));
    }

    /** The same timeout for everything. */
    public static HttpTimeouts all(Duration timeout) {
        return new HttpTimeouts(timeout, timeout, timeout, timeout, timeout);
    }

    public HttpTimeouts withRequestHead(Duration d) { return new HttpTimeouts(d, bodyRead, write, keepAlive, handshake); }
    public HttpTimeouts withBodyRead(Duration d) { return new HttpTimeouts(requestHead, d, write, keepAlive, handshake); }
    public HttpTimeouts withWrite(Duration d) { return new HttpTimeouts(requestHead, bodyRead, d, keepAlive, handshake); }
    public HttpTimeouts withKeepAlive(Duration d) { return new HttpTimeouts(requestHead, bodyRead, write, d, handshake); }
    public HttpTimeouts withHandshake(Duration d) { return new HttpTimeouts(requestHead, bodyRead, write, keepAlive, d); }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(name + " must be positive");
    }

    static int millis(Duration d) {
        long ms = d.toMillis();
        return ms > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) Math.max(1, ms);
    }
}
