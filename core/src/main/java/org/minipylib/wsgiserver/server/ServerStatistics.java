package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.ServerState;
import org.minipylib.wsgiserver.ServerStats;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Collects a server's counters while it runs: always on, so every update is a {@link LongAdder}
 * increment (no lock, no allocation; threads on different cores do not contend). Gauges (open
 * connections, busy workers...) are not kept here but read from their owners when a snapshot is
 * taken with {@link #snapshot}.
 */
public final class ServerStatistics {

    /** Latency bucket upper bounds in seconds: log scale, 1-2.5-5 per decade, from 100 µs to 10 s. */
    static final double[] LATENCY_BOUNDS_SECONDS = {
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    private static final long[] LATENCY_BOUNDS_NANOS = new long[LATENCY_BOUNDS_SECONDS.length];
    private static final int LOWEST_STATUS = 100;
    private static final int STATUS_CODES = 500; // 100..599

    static {
        for (int i = 0; i < LATENCY_BOUNDS_SECONDS.length; i++) {
            LATENCY_BOUNDS_NANOS[i] = Math.round(LATENCY_BOUNDS_SECONDS[i] * 1e9);
        }
    }

    private final LongAdder accepts = new LongAdder();
    private final LongAdder refusedConnections = new LongAdder();
    private final LongAdder retiredConnections = new LongAdder();
    private final LongAdder tlsHandshakeFailures = new LongAdder();
    private final LongAdder tlsHandshakeTimeouts = new LongAdder();
    private final LongAdder proxyProtocolFailures = new LongAdder();
    private final LongAdder busyRefusals = new LongAdder();
    private final LongAdder otherStatuses = new LongAdder(); // outside 100..599; requests = these + byStatus
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();
    private final LongAdder workNanos = new LongAdder();
    private final LongAdder socketErrors = new LongAdder();
    private final LongAdder[] byStatus = adders(STATUS_CODES);
    private final LongAdder[] latency = adders(LATENCY_BOUNDS_NANOS.length + 1);
    private volatile Instant startedAt;
    private volatile long startedNanos;

    private static LongAdder[] adders(int n) {
        LongAdder[] a = new LongAdder[n];
        for (int i = 0; i < n; i++) a[i] = new LongAdder();
        return a;
    }

    /** The server started listening now; uptime counts from here. */
    public void started() {
        startedNanos = System.nanoTime();
        startedAt = Instant.now();
    }

    /** A connection was accepted. */
    public void accepted() {
        accepts.increment();
    }

    /**
     * An accepted connection was refused (and closed, lingering or at once) because the server already
     * had its maximum of connections open (answered 503 first only on a plain listener, which also counts as {@link #refused}).
     */
    public void connectionRefused() {
        refusedConnections.increment();
    }

    /** A connection's response said {@code Connection: close} because it had served its share (requests or age). */
    public void connectionRetired() {
        retiredConnections.increment();
    }

    /**
     * A TLS handshake failed: TLS itself refused it (no common protocol version or cipher suite, a
     * certificate refused by either side, bytes that are not TLS, plain HTTP answered with 400).
     */
    public void tlsHandshakeFailed() {
        tlsHandshakeFailures.increment();
    }

    /** A TLS handshake was not done by the handshake timeout. */
    public void tlsHandshakeTimedOut() {
        tlsHandshakeTimeouts.increment();
    }

    /** A PROXY protocol listener's connection did not start with a valid header, or not by the handshake timeout. */
    public void proxyProtocolFailed() {
        proxyProtocolFailures.increment();
    }

    /** A request was answered with {@code status} after {@code nanos} of work (head parsed to response finished). */
    public void served(int status, long nanos) {
        countResponse(status);
        workNanos.add(nanos);
        latency[bucketOf(nanos)].increment();
    }

    /**
     * A request was refused with 503 at once because every worker was busy and the queue was full
     * (the 503 itself, once sent, also counts as {@link #refused}).
     */
    public void refusedBusy() {
        busyRefusals.increment();
    }

    /** The server refused something with {@code status} before any request could be served (e.g. 400, 408, 503). */
    public void refused(int status) {
        countResponse(status);
    }

    private void countResponse(int status) {
        int i = status - LOWEST_STATUS;
        if (i >= 0 && i < STATUS_CODES) byStatus[i].increment();
        else otherStatuses.increment();
    }

    private static int bucketOf(long nanos) {
        int i = 0;
        while (i < LATENCY_BOUNDS_NANOS.length && nanos > LATENCY_BOUNDS_NANOS[i]) i++;
        return i;
    }

    /** A connection was lost to a network error while being served. */
    public void socketError() {
        socketErrors.increment();
    }

    /** {@code n} bytes arrived from a client. */
    public void read(int n) {
        bytesRead.add(n);
    }

    /** {@code n} bytes went to a client. */
    public void written(long n) {
        bytesWritten.add(n);
    }

    /** The counters now, with the gauges the caller read from their owners. */
    public ServerStats snapshot(ServerState state, int openConnections, int queued, int threads, int busyWorkers) {
        SortedMap<Integer, Long> statuses = new TreeMap<>();
        long requests = otherStatuses.sum();
        for (int i = 0; i < STATUS_CODES; i++) {
            long n = byStatus[i].sum();
            if (n != 0) statuses.put(LOWEST_STATUS + i, n);
            requests += n;
        }
        List<Double> bounds = new ArrayList<>(LATENCY_BOUNDS_SECONDS.length);
        for (double b : LATENCY_BOUNDS_SECONDS) bounds.add(b);
        List<Long> counts = new ArrayList<>(latency.length);
        for (LongAdder a : latency) counts.add(a.sum());
        long work = workNanos.sum();
        Instant started = startedAt;
        Duration uptime = started == null ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - startedNanos);
        return new ServerStats(state, started, uptime, accepts.sum(), refusedConnections.sum(), retiredConnections.sum(),
                tlsHandshakeFailures.sum(), tlsHandshakeTimeouts.sum(), proxyProtocolFailures.sum(), openConnections,
                requests, busyRefusals.sum(), bytesRead.sum(), bytesWritten.sum(), Duration.ofNanos(work), queued,
                threads, busyWorkers, socketErrors.sum(), statuses, new ServerStats.Latency(bounds, counts, work / 1e9));
    }
}
