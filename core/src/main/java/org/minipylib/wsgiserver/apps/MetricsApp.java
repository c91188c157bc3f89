package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.ServerStatus;
import org.minipylib.wsgiserver.StartResponse;
import org.minipylib.wsgiserver.WsgiApp;

import java.util.Objects;

/**
 * Serves a server's statistics for monitoring systems. Mounted at {@code /metrics}:
 * <ul>
 *   <li>{@code /metrics}: Prometheus text format 0.0.4 (counters, gauges, a latency histogram);</li>
 *   <li>{@code /metrics/json} (or {@code /metrics?format=json}): the same as one JSON object.</li>
 * </ul>
 * Only GET and HEAD are answered; other methods get {@code 405 Method Not Allowed}.
 * <pre>{@code
 * WsgiServer.builder(app).mount("/metrics", MetricsApp::new).build();
 * }</pre>
 */
public final class MetricsApp implements WsgiApp {

    private final ServerStatus server;

    /** Serves the statistics of {@code server}. */
    public MetricsApp(ServerStatus server) {
        this.server = Objects.requireNonNull(server, "server");
    }

    @Override
    public Iterable<byte[]> call(Environ environ, StartResponse startResponse) {
        Iterable<byte[]> refused = MonitoringResponse.refuseUnlessRead(environ, startResponse);
        if (refused != null) return refused;
        String path = environ.pathInfo();
        boolean root = path.isEmpty() || path.equals("/");
        if (path.equals("/json") || (root && asksForJson(environ.queryString()))) {
            return MonitoringResponse.send(startResponse, "200 OK", "application/json", StatsJson.of(server));
        }
        if (root) {
            return MonitoringResponse.send(startResponse, "200 OK", PrometheusText.CONTENT_TYPE,
                    PrometheusText.of(server.statistics()));
        }
        return MonitoringResponse.notFound(startResponse);
    }

    /** True if the query string has {@code format=json} among its parameters (others are ignored). */
    private static boolean asksForJson(String query) {
        if (query == null || query.isEmpty()) return false;
        for (String parameter : query.split("&")) {
            if (parameter.equals("format=json")) return true;
        }
        return false;
    }
}
