package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.ServerStatus;
import org.minipylib.wsgiserver.StartResponse;
import org.minipylib.wsgiserver.WsgiApp;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A live status page for people, in the spirit of Apache's {@code /server-status}. Mounted at
 * {@code /server-status}:
 * <ul>
 *   <li>{@code /server-status}: one self-contained HTML page (inline CSS and script, nothing loaded
 *       from elsewhere) that polls the JSON every second and shows the state, requests per second,
 *       latency (average and p95, with a chart of the last minute), workers, queue, connections,
 *       totals, responses by status and the latency distribution;</li>
 *   <li>{@code /server-status/json}: the statistics it polls (the same JSON as {@link MetricsApp}).</li>
 * </ul>
 * The page carries a first snapshot, so it shows numbers before its first poll.
 */
public final class StatusPage implements WsgiApp {

    private static final String TEMPLATE = load();
    private static final String CONTENT_SECURITY_POLICY =
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'";

    private final ServerStatus server;

    /** Shows the status of {@code server}. */
    public StatusPage(ServerStatus server) {
        this.server = Objects.requireNonNull(server, "server");
    }

    private static String load() {
        try (InputStream in = StatusPage.class.getResourceAsStream("status-page.html")) {
            if (in == null) throw new IllegalStateException("status-page.html is missing from the jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Iterable<byte[]> call(Environ environ, StartResponse startResponse) {
        String path = environ.pathInfo();
        if (path.equals("/json")) {
            return MonitoringResponse.send(startResponse, "200 OK", "application/json", StatsJson.of(server));
        }
        if (!path.isEmpty() && !path.equals("/")) return MonitoringResponse.notFound(startResponse);
        String statsUrl = jsStringContent(environ.scriptName() + "/json");
        String page = TEMPLATE.replace("__STATS_URL__", statsUrl).replace("__INITIAL_STATS__", StatsJson.of(server));
        return MonitoringResponse.send(startResponse, "200 OK", "text/html; charset=utf-8", page,
                Header.of("Content-Security-Policy", CONTENT_SECURITY_POLICY));
    }

    /** The characters of a path as they may stand between the quotes of a JavaScript string in HTML. */
    private static String jsStringContent(String path) {
        StringBuilder out = new StringBuilder(path.length() + 8);
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c == '\'' || c > 0x7e) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
