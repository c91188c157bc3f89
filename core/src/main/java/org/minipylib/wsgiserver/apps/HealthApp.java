package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.ServerState;
import org.minipylib.wsgiserver.ServerStatus;
import org.minipylib.wsgiserver.StartResponse;
import org.minipylib.wsgiserver.WsgiApp;

import java.util.Objects;

/**
 * Health checks for load balancers and Kubernetes probes. Mounted at {@code /health}:
 * <ul>
 *   <li>{@code /health/livez}: liveness, {@code 200} while the server runs (also while it drains);</li>
 *   <li>{@code /health/readyz}: readiness, {@code 200} while it accepts requests, {@code 503} once
 *       it drains or stops, so a balancer sends it no more work;</li>
 *   <li>{@code /health}: both, answered with the readiness status.</li>
 * </ul>
 * Bodies are small JSON objects such as {@code {"status":"ready","state":"RUNNING"}}; never cached.
 */
public final class HealthApp implements WsgiApp {

    private final ServerStatus server;

    /** Reports the health of {@code server}. */
    public HealthApp(ServerStatus server) {
        this.server = Objects.requireNonNull(server, "server");
    }

    @Override
    public Iterable<byte[]> call(Environ environ, StartResponse startResponse) {
        ServerState state = server.state();
        boolean live = state == ServerState.RUNNING || state == ServerState.DRAINING;
        boolean ready = state == ServerState.RUNNING;
        return switch (environ.pathInfo()) {
            case "/livez" -> answer(startResponse, live, live ? "live" : "stopped", state);
            case "/readyz" -> answer(startResponse, ready, ready ? "ready" : state.name().toLowerCase(java.util.Locale.ROOT), state);
            case "", "/" -> MonitoringResponse.send(startResponse, ready ? "200 OK" : "503 Service Unavailable",
                    "application/json", "{\"live\":" + live + ",\"ready\":" + ready + ",\"state\":\"" + state + "\"}\n");
            default -> MonitoringResponse.notFound(startResponse);
        };
    }

    private static Iterable<byte[]> answer(StartResponse startResponse, boolean ok, String word, ServerState state) {
        return MonitoringResponse.send(startResponse, ok ? "200 OK" : "503 Service Unavailable", "application/json",
                "{\"status\":\"" + word + "\",\"state\":\"" + state + "\"}\n");
    }
}
