package org.minipylib.wsgiserver;

/** Where a {@link WsgiServer} is in its life: what health checks and the status page report. */
public enum ServerState {
    /** Built, not started yet. */
    NEW,
    /** Listening and serving. */
    RUNNING,
    /**
     * {@link WsgiServer#stop()} has begun: during the drain delay (if any) still accepting and serving,
     * then no longer accepting and finishing the requests in flight. Readiness checks answer 503.
     */
    DRAINING,
    /** Stopped for good. */
    STOPPED
}
