package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.http.HttpConnection;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Virtual-thread mode: one virtual thread per connection, which both waits for and serves its
 * requests. At most {@code maxConcurrent} requests are served at once; up to {@code maxWaiting}
 * more wait (at most {@code maxWait}) for a turn, and beyond that a request is answered 503. A
 * request's whole head is read before it takes a turn, so slow clients do not use up turns.
 */
public final class VirtualThreadScheduler implements ConnectionScheduler {

    private final Semaphore permits;
    private final int maxConcurrent;
    private final int maxWaiting;
    private final long maxWaitNanos;
    private final AtomicInteger waiting = new AtomicInteger();
    private final ThreadFactory threads = Thread.ofVirtual().name("wsgiserver-conn-", 0).factory();
    private final Set<Thread> active = ConcurrentHashMap.newKeySet(); // waiting for a turn or serving
    private volatile boolean stopped;

    public VirtualThreadScheduler(int maxConcurrent, int maxWaiting, Duration maxWait) {
        this.maxConcurrent = maxConcurrent;
        this.permits = new Semaphore(maxConcurrent);
        this.maxWaiting = maxWaiting;
        this.maxWaitNanos = maxWait.toNanos();
    }

    @Override
    public void start(HttpConnection connection) {
        threads.newThread(() -> run(connection)).start();
    }

    private void run(HttpConnection connection) {
        while (connection.awaitRequest()) {
            Thread self = Thread.currentThread();
            active.add(self);
            try {
                if (!acquire()) {
                    if (stopped) connection.abort();
                    else connection.rejectBusy();
                    return;
                }
                boolean idle;
                try {
                    if (stopped) {
                        connection.abort();
                        return;
                    }
                    idle = connection.serve();
                } finally {
                    permits.release();
                }
                if (!idle) return;
            } finally {
                active.remove(self);
                Thread.interrupted();
            }
        }
    }

    private boolean acquire() {
        if (permits.tryAcquire()) return true;
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

    @Override
    public int threads() {
        return active.size();
    }

    @Override
    public void shutdown() {
        stopped = true;
        for (Thread t : active) t.interrupt();
    }
}
