package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.http.HttpConnection;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Thread-pool mode: a virtual thread waits for each request; requests are served by a
 * {@link WorkerPool} of platform threads; an idle connection goes back to waiting on a virtual thread.
 * A platform thread cannot be given back in the middle of a response, so a client that reads its
 * response slowly holds its worker until the response is written or the write timeout cuts it
 * (virtual-thread mode lends the turn back instead, see {@link VirtualThreadScheduler}).
 */
public final class PooledScheduler implements ConnectionScheduler {

    private final WorkerPool pool;
    private final MonitoringAdmission monitoring;
    private final ServerStatistics statistics;
    private final ThreadFactory waiters = Thread.ofVirtual().name("wsgiserver-wait-", 0).factory();
    private final AtomicInteger busy = new AtomicInteger();

    public PooledScheduler(WorkerPool pool) {
        this(pool, new MonitoringAdmission(java.util.List.of()), new ServerStatistics());
    }

    /**
     * As above; requests for monitoring applications are let in by {@code monitoring} when the pool is
     * full, and the others refused with 503 are counted in {@code statistics}.
     */
    public PooledScheduler(WorkerPool pool, MonitoringAdmission monitoring, ServerStatistics statistics) {
        this.pool = pool;
        this.monitoring = monitoring;
        this.statistics = statistics;
    }

    @Override
    public void start(HttpConnection connection) {
        awaitThenServe(connection);
    }

    private void awaitThenServe(HttpConnection connection) {
        waiters.newThread(() -> {
            if (!connection.awaitRequest()) return;
            WorkerPool.Task serve = () -> serveOne(connection);
            if (pool.submit(serve)) return;
            if (!monitoring.tryEnter(connection)) {
                statistics.refusedBusy();
                connection.rejectBusy();
                return;
            }
            Runnable next;
            try { // on this waiter thread (virtual): no pool thread is free
                next = serveOne(connection);
            } finally {
                monitoring.exit();
            }
            if (next != null) next.run();
        }).start();
    }

    /**
     * Serves the connection's request (and those pipelined behind it); returns the wait for its next
     * one if it stays open, to be started only once this request no longer counts as the pool's or
     * the monitoring admission's work: a client that sends its next request as soon as it has its
     * answer would otherwise find this one still counted, and the pool full.
     */
    private Runnable serveOne(HttpConnection connection) {
        busy.incrementAndGet();
        boolean idle;
        try {
            idle = connection.serve();
        } finally {
            busy.decrementAndGet();
        }
        return idle ? () -> awaitThenServe(connection) : null;
    }

    /** The pool behind this scheduler. */
    public WorkerPool pool() {
        return pool;
    }

    @Override
    public int busy() {
        return busy.get();
    }

    @Override
    public int queued() {
        return pool.queued();
    }

    @Override
    public int threads() {
        return pool.threads();
    }

    @Override
    public void shutdown() {
        pool.shutdown();
    }

    @Override
    public boolean idle() {
        return busy.get() == 0;
    }
}
