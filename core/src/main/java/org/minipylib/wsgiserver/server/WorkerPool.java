package org.minipylib.wsgiserver.server;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pool of platform worker threads that grows from {@code min} to {@code max} threads while work
 * waits, and shrinks back when threads stay idle. Work that finds every thread busy waits in a
 * bounded queue; when that is full, {@link #submit} refuses at once (the caller answers 503).
 *
 * <p>Unlike {@link java.util.concurrent.ThreadPoolExecutor}, it adds threads before queueing, not
 * only once the queue is full.
 */
public final class WorkerPool {

    private static final System.Logger LOG = System.getLogger("org.minipylib.wsgiserver");
    private static final long HANDOFF_GRACE_MILLIS = 100;

    private final String name;
    private final int minThreads;
    private final int maxThreads;
    private final long idleNanos;
    private final BlockingQueue<Runnable> queue;
    private final AtomicInteger threadCount = new AtomicInteger();
    private final AtomicInteger idleCount = new AtomicInteger();
    private final AtomicInteger sequence = new AtomicInteger();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private volatile boolean shutdown;

    public WorkerPool(String name, int minThreads, int maxThreads, Duration idleTimeout, int queueSize) {
        if (minThreads < 1 || maxThreads < minThreads) {
            throw new IllegalArgumentException("need 1 <= minThreads <= maxThreads, got " + minThreads + ", " + maxThreads);
        }
        this.name = name;
        this.minThreads = minThreads;
        this.maxThreads = maxThreads;
        this.idleNanos = idleTimeout.toNanos();
        // With no queue, work is handed straight to an idle thread or a new one, else refused.
        this.queue = queueSize == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(queueSize);
        for (int i = 0; i < minThreads; i++) addWorker(null);
    }

    /**
     * Runs {@code task} on a worker; false if the pool is saturated (every thread busy, queue full)
     * or shut down. When the queue is full and no thread can be added, the caller waits a moment
     * ({@value #HANDOFF_GRACE_MILLIS} ms) for a place: a worker that is just finishing a task or
     * just starting should not turn a request away.
     */
    public boolean submit(Runnable task) {
        if (shutdown) return false;
        if (queue.offer(task)) {
            if (idleCount.get() < queue.size()) addWorker(null);
            return true;
        }
        if (addWorker(task)) return true;
        try {
            return !shutdown && queue.offer(task, HANDOFF_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Threads alive. */
    public int threads() {
        return threadCount.get();
    }

    /** Threads waiting for work. */
    public int idleThreads() {
        return idleCount.get();
    }

    /** Tasks waiting for a thread. */
    public int queued() {
        return queue.size();
    }

    /** Stops all threads: idle ones at once, busy ones are interrupted. */
    public void shutdown() {
        shutdown = true;
        for (Thread t : threads) t.interrupt();
    }

    private boolean addWorker(Runnable first) {
        while (true) {
            int n = threadCount.get();
            if (n >= maxThreads || shutdown) return false;
            if (threadCount.compareAndSet(n, n + 1)) break;
        }
        Thread t = Thread.ofPlatform().name(name + "-" + sequence.incrementAndGet()).daemon(true).unstarted(() -> work(first));
        threads.add(t);
        t.start();
        return true;
    }

    private void work(Runnable first) {
        try {
            if (first != null) runSafely(first);
            while (!shutdown) {
                Runnable task;
                idleCount.incrementAndGet();
                try {
                    task = queue.poll(idleNanos, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    if (shutdown) return;
                    continue;
                } finally {
                    idleCount.decrementAndGet();
                }
                if (task != null) {
                    runSafely(task);
                } else if (retire()) {
                    return;
                }
            }
        } finally {
            threads.remove(Thread.currentThread());
        }
    }

    /** An idle thread leaves if the pool has more than its minimum; returns true if this one left. */
    private boolean retire() {
        while (true) {
            int n = threadCount.get();
            if (n <= minThreads || !queue.isEmpty()) return false;
            if (threadCount.compareAndSet(n, n - 1)) {
                if (!queue.isEmpty()) addWorker(null); // work arrived just now: keep it covered
                return true;
            }
        }
    }

    private static void runSafely(Runnable task) {
        try {
            task.run();
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.ERROR, "Uncaught error in worker", t);
        } finally {
            Thread.interrupted(); // never carry an interrupt into the next task
        }
    }
}
