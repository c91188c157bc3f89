package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.http.HttpConnection;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lets requests for the monitoring applications mounted on the server ({@code /health},
 * {@code /metrics}...) in when every worker is busy and the queue is full: they are cheap and never
 * wait on anything, and a liveness probe that got the busy {@code 503} would have its server
 * restarted just because it is loaded. At most {@link #MAX_EXTRA} of them at once beyond the
 * server's own limit, so that they cannot become a way around it.
 */
public final class MonitoringAdmission {

    /** Monitoring requests served at once without a worker's turn. */
    static final int MAX_EXTRA = 4;

    private final List<String> prefixes; // no trailing slash
    private final AtomicInteger extra = new AtomicInteger();

    /** For the mount prefixes of the monitoring applications; none: nothing is let in. */
    public MonitoringAdmission(List<String> prefixes) {
        this.prefixes = prefixes.stream().map(p -> p.replaceAll("/+$", "")).filter(p -> !p.isEmpty()).toList();
    }

    /** True if the request {@code connection} waits to serve is for a monitoring application, and one more may run; then {@link #exit()} after it. */
    boolean tryEnter(HttpConnection connection) {
        if (prefixes.isEmpty()) return false;
        String path = connection.pendingPath();
        if (path == null || !underAPrefix(path)) return false;
        if (extra.incrementAndGet() > MAX_EXTRA) {
            extra.decrementAndGet();
            return false;
        }
        return true;
    }

    void exit() {
        extra.decrementAndGet();
    }

    private boolean underAPrefix(String path) {
        for (String prefix : prefixes) {
            if (path.startsWith(prefix) && (path.length() == prefix.length() || path.charAt(prefix.length()) == '/')) return true;
        }
        return false;
    }
}
