package org.minipylib.wsgiserver.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pool of platform worker threads that grows from {@code min} to {@code max} threads as work
 * arrives, and shrinks back when threads stay idle. It counts the tasks it has accepted and not yet
 * finished: up to {@code max} run at once and up to {@code queueSize} more wait; beyond that
 * {@link #submit} refuses at once (the caller answers 503). Counting accepted work, rather than
 * guessing which threads are free, means a thread that is just starting or just finishing never
 * causes a refusal. A {@link Task} may stop counting before it ends (its responses are complete,
 * only their last write left), and may leave a follow-up that runs once the task no longer counts
 * (waiting for a connection's next request): a client that has its answer is not refused for the
 * task still finishing it.
 *
 * <p>Unlike {@link java.util.concurrent.ThreadPoolExecutor}, it adds threads before anything waits,
 * not only once the queue is full.
 */
public final class WorkerPool {

    private static final System.Logger LOG = System.getLogger(WorkerPool.class.getName());

    private final String name;
    private final int minThreads;
    private final int maxThreads;
    private final int maxInFlight;
    private final long idleNanos;
    private final BlockingQueue<Task> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger inFlight = new AtomicInteger(); // accepted, not finished: running + waiting
    private final AtomicInteger threadCount = new AtomicInteger();
    private final AtomicInteger idleCount = new AtomicInteger();
    private final AtomicInteger releasedRunning = new AtomicInteger(); // threads whose task released its place early and still runs
    private final AtomicInteger sequence = new AtomicInteger();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final ThrottledWarning threadStartFailures = new ThrottledWarning(LOG);
    private final ThreadFactory threadFactory;
    private volatile boolean shutdown;
    /** Set by {@link #drainQueued()}: {@link #submit} refuses, the threads go on with what they run. */
    private volatile boolean closedToNew;

    public WorkerPool(String name, int minThreads, int maxThreads, Duration idleTimeout, int queueSize) {
        this(name, minThreads, maxThreads, idleTimeout, queueSize,
                task -> Thread.ofPlatform().daemon(true).unstarted(task));
    }

    /** As above, with the pool's threads made by {@code threads} (named here; started by the pool). */
    WorkerPool(String name, int minThreads, int maxThreads, Duration idleTimeout, int queueSize, ThreadFactory threads) {
        if (minThreads < 1 || maxThreads < minThreads) {
            throw new IllegalArgumentException("need 1 <= minThreads <= maxThreads, got " + minThreads + ", " + maxThreads);
        }
        if (queueSize < 0) throw new IllegalArgumentException("queueSize must be >= 0");
        this.name = name;
        this.minThreads = minThreads;
        this.maxThreads = maxThreads;
        this.maxInFlight = (int) Math.min(Integer.MAX_VALUE, (long) maxThreads + queueSize); // MAX_VALUE: no bound
        this.idleNanos = idleTimeout.toNanos();
        this.threadFactory = threads;
        try {
            for (int i = 0; i < minThreads; i++) addWorker();
        } catch (RuntimeException | Error e) { // no thread for one (out of memory, say): none of them left running
            shutdown();
            throw e;
        }
    }

    /** Work for the pool that may stop counting before it ends, and may leave a follow-up. */
    @FunctionalInterface
    public interface Task {
        /**
         * Does the work; running {@code release} (on this thread) makes it stop counting against the
         * pool's limit before it ends, and a task that is still running may then wait for this thread
         * (the pool starts another for work that waits meanwhile, up to its maximum: the released
         * task still holds this one).
         * Returns what to run next, on the same thread, once this task no longer counts; or null.
         */
        Runnable run(Runnable release);
    }

    /** Runs {@code task} on a worker; false if {@code max} tasks run and {@code queueSize} wait already, or shut down. */
    public boolean submit(Runnable task) {
        return submit((Task) release -> {
            task.run();
            return null;
        });
    }

    /**
     * Runs {@code task} on a worker, then its follow-up once the task no longer counts; false if
     * {@code max} tasks run and {@code queueSize} wait already, or shut down.
     */
    public boolean submit(Task task) {
        if (shutdown || closedToNew) return false;
        while (true) {
            int n = inFlight.get();
            if (n >= maxInFlight) return false;
            if (inFlight.compareAndSet(n, n + 1)) break;
        }
        queue.add(task);
        // drainQueued() may have run between the check above and the add: the task must not stay
        // behind, neither run nor refused; taken back here, the caller refuses it
        if (closedToNew && queue.remove(task)) {
            inFlight.decrementAndGet();
            return false;
        }
        try {
            ensureThreads();
        } catch (RuntimeException | Error e) { // no new thread (a limit on threads, out of memory)
            warnThreadStartFailed(e); // the task waits for a running one (the pool never has fewer than its minimum)
        }
        return true;
    }

    private void warnThreadStartFailed(Throwable e) {
        String reason = e.toString();
        threadStartFailures.occurred((count, every) -> "Could not start a thread for " + name
                + (count == 1 ? "" : " (" + count + " times since the last such warning)") + ": " + reason
                + "; work waits for the " + threadCount.get() + " running (logged at most every " + every + " s)");
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

    /**
     * Removes the tasks waiting for a thread, which will not run, and returns them; from now on
     * {@link #submit} refuses. The tasks running go on.
     */
    public List<Task> drainQueued() {
        closedToNew = true;
        List<Task> drained = new ArrayList<>();
        queue.drainTo(drained);
        inFlight.addAndGet(-drained.size());
        return drained;
    }

    /** Stops all threads: idle ones at once, busy ones are interrupted. Tasks still waiting are dropped. */
    public void shutdown() {
        shutdown = true;
        for (Thread t : threads) t.interrupt();
    }

    /** Adds threads until every accepted task has one (up to the maximum). */
    private void ensureThreads() {
        while (threadCount.get() - releasedRunning.get() < Math.min(inFlight.get(), maxThreads)) {
            if (!addWorker()) return;
        }
    }

    /** Starts a thread; false if the pool has its maximum (or is shut down); throws if no thread could be started. */
    private boolean addWorker() {
        if (!countThread()) return false;
        Thread t = null;
        try {
            t = threadFactory.newThread(this::work);
            t.setName(name + "-" + sequence.incrementAndGet());
            threads.add(t);
            t.start();
            return true;
        } catch (RuntimeException | Error e) { // not started: it must not count, or the pool would wait on it for ever
            if (t != null) threads.remove(t);
            threadCount.decrementAndGet();
            throw e;
        }
    }

    /** Counts one more thread, if the pool has fewer than its maximum and is not shut down. */
    private boolean countThread() {
        while (true) {
            int n = threadCount.get();
            if (n >= maxThreads || shutdown) return false;
            if (threadCount.compareAndSet(n, n + 1)) return true;
        }
    }

    private void work() {
        Place place = new Place();
        try {
            while (!shutdown) {
                Task task;
                idleCount.incrementAndGet();
                try {
                    task = queue.poll(idleNanos, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    continue; // shutdown is checked by the loop
                } finally {
                    idleCount.decrementAndGet();
                }
                if (task == null) {
                    if (retire()) return;
                    continue;
                }
                Runnable followUp;
                place.held = true;
                try {
                    followUp = runSafely(task, place.early);
                } finally {
                    place.run();
                    if (place.releasedEarly) {
                        place.releasedEarly = false;
                        releasedRunning.decrementAndGet();
                    }
                }
                if (followUp != null) {
                    runSafely(release -> {
                        followUp.run();
                        return null;
                    }, place);
                }
            }
        } finally {
            threads.remove(Thread.currentThread());
        }
    }

    /** An idle thread leaves if the pool has more than its minimum and than its work needs; true if it left. */
    private boolean retire() {
        while (true) {
            int n = threadCount.get();
            if (n <= minThreads || n <= Math.min(inFlight.get(), maxThreads)) return false;
            if (threadCount.compareAndSet(n, n - 1)) {
                try {
                    ensureThreads(); // work may have arrived just now
                } catch (RuntimeException | Error e) { // with no thread for it: this one stays
                    warnThreadStartFailed(e);
                    return !countThread();
                }
                return true;
            }
        }
    }

    /** A worker's task's place among the {@code max + queueSize} the pool accepts: given back once, by that worker. */
    private final class Place implements Runnable {
        boolean held;
        boolean releasedEarly;
        final Runnable early = () -> {
            if (held) {
                releasedEarly = true;
                releasedRunning.incrementAndGet();
            }
            run();
        };

        @Override
        public void run() {
            if (!held) return;
            held = false;
            inFlight.decrementAndGet();
        }
    }

    /** Runs {@code task}; returns its follow-up, or null (also when it failed). */
    private static Runnable runSafely(Task task, Runnable place) {
        try {
            return task.run(place);
        } catch (Throwable t) {
            try {
                LOG.log(System.Logger.Level.ERROR, "Uncaught error in worker", t);
            } catch (Throwable ignored) {
                // out of memory, say: the worker goes on to its next task
            }
            return null;
        } finally {
            Thread.interrupted(); // never carry an interrupt into the next task
        }
    }
}
