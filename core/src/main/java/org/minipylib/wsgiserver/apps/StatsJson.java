package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.HostAddress;
import org.minipylib.wsgiserver.ServerConfig;
import org.minipylib.wsgiserver.ServerStats;
import org.minipylib.wsgiserver.ServerStatus;
import org.minipylib.wsgiserver.Version;

import java.net.SocketAddress;
import java.util.Map;

/**
 * A server's statistics as one JSON object (what {@link MetricsApp} serves at {@code /json} and
 * {@link StatusPage} polls): a {@code server} object (version, addresses, limits), then every field
 * of {@link ServerStats}, durations in seconds.
 */
final class StatsJson {

    private final StringBuilder out = new StringBuilder(2048);

    private StatsJson() {
    }

    static String of(ServerStatus status) {
        return new StatsJson().write(status);
    }

    private String write(ServerStatus status) {
        ServerStats s = status.statistics();
        ServerConfig c = status.config();
        out.append("{\"server\":{");
        field("software", "wsgiserver/" + Version.VERSION).append(',');
        out.append("\"addresses\":[");
        boolean first = true;
        for (SocketAddress a : status.listeningAddresses()) {
            if (!first) out.append(',');
            first = false;
            string(HostAddress.text(a));
        }
        out.append("],");
        field("workerMode", c.workerMode().name().toLowerCase(java.util.Locale.ROOT)).append(',');
        field("maxThreads", c.maxThreads()).append(',');
        field("maxConnections", c.maxConnections()).append(',');
        field("acceptQueueSize", c.acceptQueueSize()).append("},");
        field("state", s.state().name()).append(',');
        out.append("\"startedAt\":");
        if (s.startedAt() == null) out.append("null");
        else string(s.startedAt().toString());
        out.append(',');
        field("uptimeSeconds", s.uptime().toNanos() / 1e9).append(',');
        field("accepts", s.accepts()).append(',');
        field("refusedConnections", s.refusedConnections()).append(',');
        field("retiredConnections", s.retiredConnections()).append(',');
        field("tlsHandshakeFailures", s.tlsHandshakeFailures()).append(',');
        field("tlsHandshakeTimeouts", s.tlsHandshakeTimeouts()).append(',');
        field("proxyProtocolFailures", s.proxyProtocolFailures()).append(',');
        field("openConnections", s.openConnections()).append(',');
        field("requests", s.requests()).append(',');
        field("busyRefusals", s.busyRefusals()).append(',');
        field("bytesRead", s.bytesRead()).append(',');
        field("bytesWritten", s.bytesWritten()).append(',');
        field("workTimeSeconds", s.workTime().toNanos() / 1e9).append(',');
        field("queued", s.queued()).append(',');
        field("threads", s.threads()).append(',');
        field("busyWorkers", s.busyWorkers()).append(',');
        field("socketErrors", s.socketErrors()).append(',');
        out.append("\"responsesByStatus\":{");
        first = true;
        for (Map.Entry<Integer, Long> e : s.responsesByStatus().entrySet()) {
            if (!first) out.append(',');
            first = false;
            field(Integer.toString(e.getKey()), e.getValue());
        }
        out.append("},\"latency\":{\"upperBoundsSeconds\":[");
        ServerStats.Latency latency = s.latency();
        for (int i = 0; i < latency.upperBounds().size(); i++) {
            if (i > 0) out.append(',');
            out.append(ServerStats.number(latency.upperBounds().get(i)));
        }
        out.append("],\"counts\":[");
        for (int i = 0; i < latency.counts().size(); i++) {
            if (i > 0) out.append(',');
            out.append(latency.counts().get(i));
        }
        out.append("],");
        field("count", latency.count()).append(',');
        field("sumSeconds", latency.sumSeconds()).append("}}");
        return out.toString();
    }

    private StringBuilder field(String name, String value) {
        string(name);
        out.append(':');
        string(value);
        return out;
    }

    private StringBuilder field(String name, long value) {
        string(name);
        return out.append(':').append(value);
    }

    private StringBuilder field(String name, double value) {
        string(name);
        return out.append(':').append(ServerStats.number(value));
    }

    /** A JSON string; {@code <}, {@code >} and {@code &} escaped too, so it is safe inside an HTML script. */
    private void string(String value) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            switch (ch) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (ch < 0x20 || ch == '<' || ch == '>' || ch == '&' || ch == 0x2028 || ch == 0x2029) {
                        out.append(String.format("\\u%04x", (int) ch));
                    } else {
                        out.append(ch);
                    }
                }
            }
        }
        out.append('"');
    }
}
