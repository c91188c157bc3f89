package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.http.HttpConnection;

/**
 * Decides which threads run a connection's two phases: waiting for a request, and serving it.
 * Waiting happens on a virtual thread (parked in the JDK's poller) or, for a plain TCP connection
 * on a {@link ReadinessLoop}, on no thread at all, so an idle keep-alive connection never holds a
 * worker. When no worker can take a request, the client gets a 503,
 * counted by {@link ServerStatistics#refusedBusy()}.
 */
public interface ConnectionScheduler {

    /** Takes charge of a newly accepted connection. */
    void start(HttpConnection connection);

    /**
     * Requests being served right now (virtual-thread mode: those holding a turn; one whose large
     * write waits for a slow client has lent its turn back and is not counted).
     */
    int busy();

    /** Requests waiting for a worker right now. */
    int queued();

    /** Threads working on requests right now (pool mode: the pool's threads, idle ones included). */
    int threads();

    /** Stops the workers; connections still being served are interrupted. */
    void shutdown();

    /**
     * Whether no thread serves a request any more: after {@link #shutdown()}, once the threads
     * whose connections were closed under them have finished (and logged what they cut short).
     */
    boolean idle();
}
