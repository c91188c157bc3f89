package org.minipylib.wsgiserver;

/** Where a {@link WsgiServer} is in its life: what health checks and the status page report. */
public enum ServerState {
    /** Built, not started yet. */
    NEW,
    /** Listening and serving. */
    RUNNING,
    /** {@link WsgiServer#stop()} has begun: no longer accepting, finishing the requests in flight. */
    DRAINING,
    /** Stopped for good. */
    STOPPED
}
