package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.http.HttpConnection;
import org.minipylib.wsgiserver.http.WorkerTurn;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
        this(pool, new MonitoringAdmission(List.of()), new ServerStatistics());
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
        new PooledConnection(connection).awaitThenServe();
    }

    /**
     * A connection served by the pool: the task that serves its request, the turn it gives up once
     * its responses are complete, and the follow-up that waits for its next request (one object per
     * connection, not per request).
     */
    private final class PooledConnection implements WorkerPool.Task, WorkerTurn {
        private static final Runnable NO_PLACE = () -> { };

        private final HttpConnection connection;
        private final Runnable awaitNext = this::awaitThenServe;
        /** The pool's place of the task serving the connection, while it runs on a pool thread. */
        private Runnable place = NO_PLACE;

        PooledConnection(HttpConnection connection) {
            this.connection = connection;
        }

        void awaitThenServe() {
            try {
                waiters.newThread(this::awaitAndServeOrClose).start();
            } catch (RuntimeException | Error e) { // no thread to wait for its next request (out of memory)
                ServingFailure.closeAfter(connection, e);
            }
        }

        private void awaitAndServeOrClose() {
            try {
                awaitAndServe();
            } catch (RuntimeException | Error e) { // no thread would serve the connection again
                ServingFailure.closeAfter(connection, e);
            }
        }

        private void awaitAndServe() {
            if (!connection.awaitRequest()) return;
            if (pool.submit(this)) return;
            if (!monitoring.tryEnter(connection)) {
                statistics.refusedBusy();
                connection.rejectBusy(null); // drops what the client still sends on this (virtual) waiter thread
                return;
            }
            Runnable next;
            try { // on this waiter thread (virtual): no pool thread is free
                next = serveOne();
            } finally {
                monitoring.exit();
            }
            if (next != null) next.run();
        }

        @Override
        public Runnable run(Runnable release) {
            place = release;
            try {
                return serveOne();
            } catch (RuntimeException | Error e) { // no thread would serve the connection again
                ServingFailure.closeAfter(connection, e);
                return null;
            } finally {
                place = NO_PLACE;
            }
        }

        /**
         * Serves the connection's request (and those pipelined behind it); returns the wait for its
         * next one if it stays open, to be started only once this request no longer counts as the
         * pool's or the monitoring admission's work: a client that sends its next request as soon as
         * it has its answer would otherwise find this one still counted, and the pool full.
         */
        private Runnable serveOne() {
            busy.incrementAndGet();
            boolean idle;
            try {
                idle = connection.serve(this);
            } finally {
                busy.decrementAndGet();
            }
            return idle ? awaitNext : null;
        }

        /** A platform thread cannot be given back mid-response: it keeps its place while a write waits. */
        @Override
        public void giveBack() {
        }

        @Override
        public void takeAgain() {
        }

        /** The responses are complete: the pool may take another task (which waits for this thread, should the last write wait). */
        @Override
        public void answered() {
            place.run();
        }
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
    public int refuseWaiting(long deadlineNanos) {
        List<Thread> answering = new ArrayList<>();
        for (WorkerPool.Task task : pool.drainQueued()) {
            if (task instanceof PooledConnection c) answering.add(waiters.newThread(c.connection::refuseAtStop));
        }
        answering.forEach(Thread::start); // a client that does not read must not hold up the others' answers
        for (Thread t : answering) {
            try {
                if (!t.join(Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime())))) break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return answering.size();
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
