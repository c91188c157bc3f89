package org.minipylib.wsgiserver;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.Collections;

/**
 * A snapshot of a server's statistics, in the spirit of Cheroot's {@code server.stats}: counters
 * that only grow since the server started, and gauges of this moment. Taken by
 * {@link WsgiServer#statistics()}; each counter is read on its own, so counters taken while
 * requests run may disagree by a request or two.
 *
 * @param state              lifecycle state when the snapshot was taken
 * @param startedAt          when the server started; {@code null} if it has not
 * @param uptime             time since the server started (zero if it has not)
 * @param accepts            connections accepted (including those refused over the connection limit)
 * @param refusedConnections connections refused and closed (after a lingering close, or at once) because
 *                           the server already had {@link ServerConfig#maxConnections()} open, on every
 *                           kind of listener:
 *                           answered {@code 503} on a plain one (that response is also in
 *                           {@code requests} and {@code responsesByStatus}), closed unanswered on a
 *                           TLS or PROXY protocol one (nothing can be sent before their setup)
 * @param retiredConnections connections closed after a response because they had served
 *                           {@link ServerConfig#maxRequestsPerConnection()} requests or outlived
 *                           {@link ServerConfig#maxConnectionAge()} (that response said {@code Connection: close})
 * @param tlsHandshakeFailures TLS handshakes that TLS itself refused: no protocol version or cipher
 *                           suite in common, a certificate refused by either side (the client's alert,
 *                           say {@code unknown_ca}), bytes that are not TLS, a plain HTTP request
 *                           (answered {@code 400}, which is in {@code responsesByStatus} too). Not a
 *                           client that closes or resets the connection before the handshake is done
 *                           (port scanners, TCP health checks, a client giving up), nor one closed by
 *                           the server's stop
 * @param tlsHandshakeTimeouts TLS handshakes not done by the handshake timeout (a client that
 *                           connects and sends nothing, or too little)
 * @param proxyProtocolFailures connections on a PROXY protocol listener that did not start with a
 *                           valid PROXY header (a malformed one, or a client that is not the proxy),
 *                           or whose header had not arrived by the handshake timeout; not one closed
 *                           or reset by the client before it sent a whole header
 * @param openConnections    connections open now, refusals over the connection limit still lingering
 *                           included (a few: see {@link ServerConfig#maxConnections()})
 * @param requests           responses sent, including the server's own error responses
 * @param busyRefusals       requests answered {@code 503} at once because every worker was busy and
 *                           {@link ServerConfig#acceptQueueSize()} requests were waiting already (that
 *                           response is also in {@code requests} and {@code responsesByStatus}, unless
 *                           the client had gone); not a {@code 503} of the application's, nor of a
 *                           readiness probe
 * @param bytesRead          bytes read from clients' connections (request heads and bodies, and the TLS
 *                           records and PROXY protocol headers they come in, handshakes included)
 * @param bytesWritten       bytes written to clients' connections (response heads and bodies, TLS included)
 * @param workTime           total time spent serving requests (from a complete head, a wait for a worker
 *                           included, to a finished response)
 * @param queued             requests waiting for a worker now
 * @param threads            worker threads now (pool mode: pool threads; virtual mode: threads on a request)
 * @param busyWorkers        requests holding a worker now (in virtual mode a request waiting for its client lends it back)
 * @param socketErrors       connections lost to a network error while a request was being served
 * @param responsesByStatus  responses sent, by status code (only codes sent at least once), ascending
 * @param latency            the distribution of the durations of requests that reached the application
 *                           (as workTime; the server's own refusals are not in it)
 */
public record ServerStats(ServerState state, Instant startedAt, Duration uptime, long accepts,
                          long refusedConnections, long retiredConnections, long tlsHandshakeFailures, long tlsHandshakeTimeouts,
                          long proxyProtocolFailures, int openConnections, long requests, long busyRefusals,
                          long bytesRead, long bytesWritten, Duration workTime, int queued, int threads,
                          int busyWorkers, long socketErrors, SortedMap<Integer, Long> responsesByStatus,
                          Latency latency) {

    public ServerStats {
        responsesByStatus = Collections.unmodifiableSortedMap(new TreeMap<>(responsesByStatus));
    }

    /**
     * A number as the monitoring outputs write it (Prometheus text, JSON, the JMX bucket labels):
     * without exponent or needless zeros, {@code 0.0001}, {@code 1}, {@code 2.5}.
     */
    public static String number(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) return Long.toString((long) value);
        return java.math.BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    /**
     * A latency histogram with fixed, log-scale buckets, with the semantics of a Prometheus histogram:
     * bucket {@code i} counts requests that took at most {@code upperBounds.get(i)} seconds and more
     * than the bound before it; the last count is the overflow bucket ({@code +Inf}).
     *
     * @param upperBounds upper bounds of the buckets in seconds, ascending ({@code +Inf} not included)
     * @param counts      requests per bucket (not cumulative); one more than {@code upperBounds}
     * @param sumSeconds  the sum of all request durations, in seconds
     */
    public record Latency(List<Double> upperBounds, List<Long> counts, double sumSeconds) {

        public Latency {
            upperBounds = List.copyOf(upperBounds);
            counts = List.copyOf(counts);
            if (counts.size() != upperBounds.size() + 1) {
                throw new IllegalArgumentException("need one count per bound plus the +Inf bucket");
            }
        }

        /** Requests measured. */
        public long count() {
            long n = 0;
            for (long c : counts) n += c;
            return n;
        }

        /** Requests that took at most the bound of bucket {@code i} (Prometheus {@code _bucket{le=...}}). */
        public long cumulativeCount(int i) {
            long n = 0;
            for (int k = 0; k <= i; k++) n += counts.get(k);
            return n;
        }
    }

    /** Responses sent with status codes in {@code [from, to)}, e.g. {@code responses(500, 600)}. */
    public long responses(int from, int to) {
        long n = 0;
        for (Map.Entry<Integer, Long> e : responsesByStatus.subMap(from, to).entrySet()) n += e.getValue();
        return n;
    }
}
