package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.http.HttpConnection;
import org.minipylib.wsgiserver.http.WorkerTurn;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Virtual-thread mode: a virtual thread per connection, which both waits for and serves its
 * requests; a plain TCP connection waiting idle on a readiness loop has none (its thread ends, and
 * the loop starts a new one when the next request arrives). At most {@code maxConcurrent}
 * requests are served at once; up to {@code maxWaiting} more wait (at most {@code maxWait}) for a
 * turn, and beyond that a request is answered 503. A
 * request's whole head is read before it takes a turn, and a request lends its turn back while a
 * large response write waits for the client, so slow clients do not use up turns (slowloris, slow
 * read); {@link #busy()} counts the turns taken.
 */
public final class VirtualThreadScheduler implements ConnectionScheduler {

    private final Semaphore permits;
    private final int maxConcurrent;
    private final int maxWaiting;
    private final long maxWaitNanos;
    private final AtomicInteger waiting = new AtomicInteger();
    private final ThreadFactory threads = Thread.ofVirtual().name("wsgiserver-conn").factory();
    private final Set<ConnectionThread> connectionThreads = ConcurrentHashMap.newKeySet(); // for shutdown()
    private volatile boolean stopped;

    public VirtualThreadScheduler(int maxConcurrent, int maxWaiting, Duration maxWait) {
        this.maxConcurrent = maxConcurrent;
        this.permits = new Semaphore(maxConcurrent, true); // fair: a timed acquire queues behind earlier waiters
        this.maxWaiting = maxWaiting;
        this.maxWaitNanos = maxWait.toNanos();
    }

    @Override
    public void start(HttpConnection connection) {
        ConnectionThread c = new ConnectionThread(connection);
        connectionThreads.add(c); // once per connection, not per request: a keep-alive request costs no set update
        c.startThread();
    }

    /**
     * The thread serving one connection. Where the connection can wait for its next request
     * without a thread (see {@link HttpConnection#awaitRequest(Runnable)}), the thread ends
     * meanwhile, and a new one is started when the request arrives: starting a virtual thread
     * costs less than parking one and thawing its stack again, and idle connections hold no stack.
     */
    private final class ConnectionThread implements Runnable {
        private final HttpConnection connection;
        private final Turn turn = new Turn(); // used by one thread at a time: the hand-off orders them
        private final Runnable resume = this::startThread;
        private final AtomicReference<Thread> current = new AtomicReference<>(); // for shutdown(): the running thread, if any

        ConnectionThread(HttpConnection connection) {
            this.connection = connection;
        }

        void startThread() {
            try {
                threads.newThread(this).start();
            } catch (RuntimeException | Error e) { // on the loop's thread: it must not fail for one connection
                connectionThreads.remove(this);
                connection.abort();
                System.getLogger(VirtualThreadScheduler.class.getName()).log(System.Logger.Level.ERROR,
                        "Could not start a connection thread", e);
            }
        }

        @Override
        public void run() {
            Thread self = Thread.currentThread();
            current.set(self);
            boolean handedOff = false;
            try {
                handedOff = serveAll(connection, turn, resume);
            } finally {
                if (!handedOff) connectionThreads.remove(this); // else the connection may be someone else's already
                current.compareAndSet(self, null); // unless the next thread set itself already: an idle connection keeps no thread
            }
        }

        void interrupt() {
            Thread t = current.get();
            if (t != null) t.interrupt();
        }
    }

    /** Serves the connection's requests; true if it waits for the next one without a thread (resume will run). */
    private boolean serveAll(HttpConnection connection, Turn turn, Runnable resume) {
        while (true) {
            HttpConnection.Awaited awaited = connection.awaitRequest(resume);
            if (awaited != HttpConnection.Awaited.REQUEST) return awaited == HttpConnection.Awaited.HANDED_OFF;
            try {
                if (!acquire()) {
                    if (stopped) connection.abort();
                    else connection.rejectBusy();
                    return false;
                }
                turn.held = true;
                boolean idle;
                try {
                    if (stopped) {
                        connection.abort();
                        return false;
                    }
                    idle = connection.serve(turn);
                } finally {
                    turn.giveBack();
                }
                if (!idle) return false;
            } finally {
                Thread.interrupted();
            }
        }
    }

    /**
     * One connection's turn, lent back while a large response write waits for a slow client, so
     * that such clients cannot take every turn (a slow-read attack). Used by the connection's thread only.
     */
    private final class Turn implements WorkerTurn {
        private boolean held;

        @Override
        public void giveBack() {
            if (!held) return;
            held = false;
            permits.release();
        }

        @Override
        public void takeAgain() throws IOException {
            if (held) return;
            try {
                permits.acquire(); // mid-response: wait as long as it takes, never 503
            } catch (InterruptedException e) { // stop(): the connection is being closed
                throw new InterruptedIOException("server stopping");
            }
            held = true;
        }
    }

    /**
     * Takes a turn, waiting (at most maxWait) behind requests already waiting: a connection that gave
     * its turn back after a batch of pipelined requests does not take it again before them.
     */
    private boolean acquire() {
        if (!permits.hasQueuedThreads() && permits.tryAcquire()) return true;
        if (waiting.incrementAndGet() > maxWaiting) {
            waiting.decrementAndGet();
            return false;
        }
        try {
            return permits.tryAcquire(maxWaitNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            return false;
        } finally {
            waiting.decrementAndGet();
        }
    }

    @Override
    public int busy() {
        return maxConcurrent - permits.availablePermits();
    }

    @Override
    public int queued() {
        return waiting.get();
    }

    /** Requests served or waiting for a turn (a connection thread waiting for its next request is not counted). */
    @Override
    public int threads() {
        return busy() + waiting.get();
    }

    @Override
    public void shutdown() {
        stopped = true;
        for (ConnectionThread t : connectionThreads) t.interrupt(); // a thread waiting for a turn gives up; connections are closed already
    }
}
