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

    /**
     * Answers {@code 503} with {@code Retry-After} to the requests waiting for a worker (the server
     * stops before it can serve them: they never reached the application, and a client may send
     * them again) and half-closes their connections, which the stop closes next; from now on a new
     * request gets that answer too rather than a place in the queue. Returns how many were answered,
     * once their answers are written, or at {@code deadlineNanos} (a {@link System#nanoTime()}).
     */
    int refuseWaiting(long deadlineNanos);

    /** Stops the workers; connections still being served are interrupted. */
    void shutdown();

    /**
     * Whether no thread serves a request any more: after {@link #shutdown()}, once the threads
     * whose connections were closed under them have finished (and logged what they cut short).
     */
    boolean idle();
}
