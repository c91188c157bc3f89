package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.ServerState;
import org.minipylib.wsgiserver.ServerStats;

import java.util.Map;

/**
 * A server's statistics in the Prometheus text exposition format, version 0.0.4: one
 * {@code # HELP} and {@code # TYPE} line per metric family, counters named {@code *_total}, and
 * the request latency as a histogram ({@code _bucket{le=...}} cumulative, {@code +Inf} equal to
 * {@code _count}).
 */
final class PrometheusText {

    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final StringBuilder out = new StringBuilder(4096);

    private PrometheusText() {
    }

    static String of(ServerStats stats) {
        return new PrometheusText().write(stats);
    }

    private String write(ServerStats s) {
        // up stays 1 while a drain still serves: an alert on up == 0 must not fire on every rolling deploy
        gauge("wsgiserver_up", "1 while the server serves (running, or draining on its way to stop), 0 once stopped.",
                s.state() == ServerState.RUNNING || s.state() == ServerState.DRAINING ? 1 : 0);
        gauge("wsgiserver_ready", "1 while the server is ready for more work (readyz answers 200), 0 while draining (drain delay included) or stopped.",
                s.state() == ServerState.RUNNING ? 1 : 0);
        if (s.startedAt() != null) {
            gauge("wsgiserver_start_time_seconds", "When the server started, in seconds since the Unix epoch.",
                    s.startedAt().toEpochMilli() / 1000.0);
        }
        gauge("wsgiserver_uptime_seconds", "Seconds since the server started.", s.uptime().toNanos() / 1e9);
        counter("wsgiserver_connections_accepted_total", "Connections accepted, those refused at the limit included.",
                s.accepts());
        counter("wsgiserver_connections_refused_total",
                "Connections refused and closed because the server had maxConnections open (a 503 only on plain listeners).",
                s.refusedConnections());
        counter("wsgiserver_connections_retired_total",
                "Connections closed after a response because they had served maxRequestsPerConnection or outlived maxConnectionAge.",
                s.retiredConnections());
        family("wsgiserver_tls_handshake_failures_total", "counter",
                "TLS handshakes that failed: refused by TLS itself (reason=\"failed\": no common protocol or cipher,"
                + " a refused certificate, not TLS) or not done by the handshake timeout (reason=\"timeout\").");
        labeled("wsgiserver_tls_handshake_failures_total", "reason", "failed", s.tlsHandshakeFailures());
        labeled("wsgiserver_tls_handshake_failures_total", "reason", "timeout", s.tlsHandshakeTimeouts());
        counter("wsgiserver_proxy_protocol_failures_total",
                "Connections to a PROXY protocol listener without a valid PROXY header by the handshake timeout.",
                s.proxyProtocolFailures());
        gauge("wsgiserver_connections_open", "Connections open now, refusals over maxConnections still lingering after their 503 included.", s.openConnections());
        counter("wsgiserver_requests_total", "Responses sent, including the server's own error responses.", s.requests());
        counter("wsgiserver_requests_refused_busy_total",
                "Requests answered 503 at once because every worker was busy and the accept queue full.",
                s.busyRefusals());
        counter("wsgiserver_bytes_read_total", "Bytes read from clients.", s.bytesRead());
        counter("wsgiserver_bytes_written_total", "Bytes written to clients.", s.bytesWritten());
        counter("wsgiserver_work_seconds_total", "Time spent serving requests.", s.workTime().toNanos() / 1e9);
        gauge("wsgiserver_queue_length", "Requests waiting for a worker now.", s.queued());
        gauge("wsgiserver_threads", "Worker threads now.", s.threads());
        gauge("wsgiserver_busy_workers", "Requests holding a worker now (a request waiting for its client lends it back).", s.busyWorkers());
        counter("wsgiserver_socket_errors_total", "Connections lost to network errors while serving.", s.socketErrors());

        family("wsgiserver_responses_total", "counter", "Responses sent, by status code.");
        for (Map.Entry<Integer, Long> e : s.responsesByStatus().entrySet()) {
            labeled("wsgiserver_responses_total", "code", e.getKey().toString(), e.getValue());
        }

        String name = "wsgiserver_request_duration_seconds";
        family(name, "histogram", "Time from a parsed request head to the finished response.");
        ServerStats.Latency latency = s.latency();
        long cumulative = 0;
        for (int i = 0; i < latency.upperBounds().size(); i++) {
            cumulative += latency.counts().get(i);
            out.append(name).append("_bucket{le=\"").append(ServerStats.number(latency.upperBounds().get(i)))
                    .append("\"} ").append(cumulative).append('\n');
        }
        cumulative += latency.counts().get(latency.upperBounds().size());
        out.append(name).append("_bucket{le=\"+Inf\"} ").append(cumulative).append('\n');
        out.append(name).append("_sum ").append(ServerStats.number(latency.sumSeconds())).append('\n');
        out.append(name).append("_count ").append(cumulative).append('\n');
        return out.toString();
    }

    private void family(String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private void counter(String name, String help, double value) {
        family(name, "counter", help);
        out.append(name).append(' ').append(ServerStats.number(value)).append('\n');
    }

    /** One sample of a family written already, with one label. */
    private void labeled(String name, String label, String value, long sample) {
        out.append(name).append('{').append(label).append("=\"").append(value).append("\"} ").append(sample).append('\n');
    }

    private void gauge(String name, String help, double value) {
        family(name, "gauge", help);
        out.append(name).append(' ').append(ServerStats.number(value)).append('\n');
    }
}
