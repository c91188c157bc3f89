package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.http.HttpConnection;
import org.minipylib.wsgiserver.http.WorkerTurn;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Virtual-thread mode: virtual threads wait for and serve requests; a plain TCP connection waiting
 * idle on a readiness loop has none. A connection with input (new, or idle and now readable) joins
 * a queue of ready connections, and a virtual thread serves it until it waits idle again, then
 * takes the next one from the queue, and ends when the queue is empty. Whenever a thread takes a
 * connection and more are queued, it makes sure another thread has been started that has not yet
 * taken one (a spare): should its request block, the spare serves the rest. So every queued
 * connection is served even if every busy thread blocks, and connections found ready together
 * share threads instead of costing a thread start each (with wrk's 64 keep-alive connections,
 * 0.07-0.11 starts per request on one or two carriers; with 1024, 0.008). A thread may thus
 * serve several connections in turn: thread-locals an application sets, or other state it leaves
 * on the thread (its name, its context class loader), may be seen by later requests, as on any
 * pooled thread. A connection that waits in the JDK's poller instead (below JDK 24, or with no
 * readiness loops) waits on a fresh thread after each response (see the public constructor).
 *
 * <p>At most {@code maxConcurrent} requests are served at once; up to {@code maxWaiting} more wait
 * (at most {@code maxWait}) for a turn, and beyond that a request is answered 503. A
 * request's whole head is read before it takes a turn, and a request lends its turn back while a
 * large response write waits for the client, so slow clients do not use up turns (slowloris, slow
 * read); {@link #busy()} counts the turns taken.
 */
public final class VirtualThreadScheduler implements ConnectionScheduler {

    private static final System.Logger LOG = System.getLogger(VirtualThreadScheduler.class.getName());

    private static final VarHandle CURRENT;

    /** What {@link #acquire()} got: a turn, none (answer 503, or stop), or none because the server stops (refuseWaiting). */
    private static final int TURN = 1;
    private static final int NO_TURN = 0;
    private static final int REFUSED = -1;

    static {
        try {
            CURRENT = MethodHandles.lookup().findVarHandle(ConnectionTask.class, "current", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Semaphore permits;
    private final int maxConcurrent;
    private final int maxWaiting;
    private final long maxWaitNanos;
    private final AtomicInteger waiting = new AtomicInteger();
    private final ThreadFactory threads;
    private final Set<ConnectionTask> connections = ConcurrentHashMap.newKeySet(); // for shutdown()
    private final ConcurrentLinkedQueue<ConnectionTask> ready = new ConcurrentLinkedQueue<>();
    private final AtomicInteger spares = new AtomicInteger(); // threads started that have not yet polled the queue
    private volatile boolean stopped;
    /** Set by {@link #refuseWaiting}: a request that finds no turn is answered 503, not kept waiting. */
    private volatile boolean refusing;
    /** Requests refuseWaiting() left to their own threads to answer that have not been answered yet. */
    private final AtomicInteger answering = new AtomicInteger();
    private final AtomicInteger refusedAtStop = new AtomicInteger();
    private final boolean freshThreadBeforeIdleWait;
    private final MonitoringAdmission monitoring;
    private final ServerStatistics statistics;

    /**
     * The scheduler the server uses in virtual mode ({@code WsgiServer}; tests outside this package
     * use it too), its connection threads named {@code wsgiserver-conn}. When all turns are taken,
     * requests for monitoring applications are let in by {@code monitoring}, and the others refused
     * with 503 are counted in {@code statistics}.
     *
     * <p>With {@code freshThreadBeforeIdleWait}, after a response the connection's wait for its next
     * request (unless that request is buffered already, or the connection waits on a readiness loop:
     * below JDK 24, a UNIX socket's) is left to a new thread, started behind the threads already
     * waiting to run. For connections that wait in the JDK's poller (no readiness loops): the other
     * connections' turns in between often bring this one's next request, which the new thread's read
     * then finds without a round trip through the poller's thread. On one core, JDK 21, 64 keep-alive
     * connections, that halves the CPU per request (docs/performance.md, "On JDK 21"). Not
     * {@code Thread.yield()}: on JDK 21 a virtual thread that yields while its carrier has other work
     * queued is queued on that carrier before the threads the poller woke, and those waited hundreds
     * of milliseconds behind the yielding ones.
     */
    public VirtualThreadScheduler(int maxConcurrent, int maxWaiting, Duration maxWait, MonitoringAdmission monitoring,
                                  ServerStatistics statistics, boolean freshThreadBeforeIdleWait) {
        this(maxConcurrent, maxWaiting, maxWait, Thread.ofVirtual().name("wsgiserver-conn").factory(), monitoring,
                statistics, freshThreadBeforeIdleWait);
    }

    /**
     * For tests of this package that count or record the connection threads: they are made by
     * {@code threads}. No request is let in as a monitoring one, and refusals are counted in
     * statistics no one reads.
     */
    VirtualThreadScheduler(int maxConcurrent, int maxWaiting, Duration maxWait, ThreadFactory threads,
                           boolean freshThreadBeforeIdleWait) {
        this(maxConcurrent, maxWaiting, maxWait, threads, new MonitoringAdmission(List.of()), new ServerStatistics(),
                freshThreadBeforeIdleWait);
    }

    /** Both constructors above end here. */
    private VirtualThreadScheduler(int maxConcurrent, int maxWaiting, Duration maxWait, ThreadFactory threads,
                                   MonitoringAdmission monitoring, ServerStatistics statistics,
                                   boolean freshThreadBeforeIdleWait) {
        this.freshThreadBeforeIdleWait = freshThreadBeforeIdleWait;
        this.monitoring = monitoring;
        this.statistics = statistics;
        this.threads = threads;
        this.maxConcurrent = maxConcurrent;
        this.permits = new Semaphore(maxConcurrent, true); // fair: a timed acquire queues behind earlier waiters
        this.maxWaiting = maxWaiting;
        this.maxWaitNanos = maxWait.toNanos();
    }

    @Override
    public void start(HttpConnection connection) {
        ConnectionTask c = new ConnectionTask(connection);
        connections.add(c); // once per connection, not per request: a keep-alive request costs no set update
        c.run(); // queues it for a thread
    }

    /**
     * Makes sure a thread that has not yet polled the queue exists, starting one if none does.
     * Called by whoever queues a connection, after queuing it, and by a thread that takes a
     * connection while more are queued. A thread decrements the count before it polls, so a
     * connection queued after that poll finds the count lower and starts one. Should no thread
     * start (out of memory), the connections queued are closed: none may wait for a thread that
     * will not come.
     */
    private void ensureSpare() {
        if (spares.get() > 0 || !spares.compareAndSet(0, 1)) return;
        try {
            threads.newThread(this::serveQueued).start();
        } catch (RuntimeException | Error e) { // perhaps on a loop's thread: it must not fail for the connections
            spares.decrementAndGet();
            for (ConnectionTask c; (c = ready.poll()) != null; ) {
                connections.remove(c);
                c.connection.abort();
            }
            LOG.log(System.Logger.Level.ERROR,
                    "Could not start a connection thread; closed the connections waiting for one", e);
        }
    }

    /** A virtual thread's life: serve queued connections until none is left. */
    private void serveQueued() {
        spares.decrementAndGet();
        for (ConnectionTask c; (c = ready.poll()) != null; ) {
            if (!ready.isEmpty()) ensureSpare(); // should this request block, a spare serves the rest
            c.serve();
        }
    }

    /**
     * One connection's serving state, queued whenever the connection has input and no thread (see
     * {@link HttpConnection#awaitRequest(Runnable)}), and served by whichever thread takes it. It
     * is also the callback that queues it again ({@link #run()}) and its requests' turn (lent back
     * while a large response write waits for a slow client, so that such clients cannot take every
     * turn: a slow-read attack): one object per connection rather than four.
     */
    private final class ConnectionTask implements Runnable, WorkerTurn {
        private final HttpConnection connection;
        private volatile Thread current; // for shutdown(): the serving thread, if any; changed through CURRENT
        private boolean held; // a turn is held; used by one thread at a time: the queue orders them
        /** Its request waits for a turn (see refuseWaiting). */
        private volatile boolean waitingForTurn;

        ConnectionTask(HttpConnection connection) {
            this.connection = connection;
        }

        /**
         * Queues the connection for a thread (on a loop's thread, the accepting one, or a closing
         * one). One closed while it waited without a thread (by the watchdog, a forced stop) has
         * nothing left to serve: it is forgotten here, rather than a thread started only to find
         * it closed (thousands may expire together). A half-closed one (the keep-alive timeout, a
         * stop, a lingering close) is queued: its thread reads and drops what its client sent.
         */
        @Override
        public void run() {
            if (connection.isClosed()) {
                connections.remove(this);
                return;
            }
            ready.offer(this);
            ensureSpare();
        }

        /** Serves the connection until it waits idle without a thread (queued again when readable), or ends. */
        void serve() {
            Thread self = Thread.currentThread();
            Thread.interrupted(); // one meant for the connection this thread served before
            current = self;
            boolean handedOff = false;
            try {
                handedOff = serveAll();
            } catch (RuntimeException | Error e) { // no thread would serve the connection again; the server goes on
                ServingFailure.closeAfter(connection, e);
            } finally {
                if (!handedOff) connections.remove(this); // else the connection may be someone else's already
                CURRENT.compareAndSet(this, self, null); // unless the next thread set itself already: an idle connection keeps no thread
            }
        }

        /**
         * Serves the connection's requests; true if another thread has it now, or will: it waits for the
         * next one without a thread (it will be queued again), or a fresh thread goes on with it.
         */
        private boolean serveAll() {
            while (true) {
                HttpConnection.Awaited awaited = connection.awaitRequest(this);
                if (awaited != HttpConnection.Awaited.REQUEST) return awaited == HttpConnection.Awaited.HANDED_OFF;
                try {
                    waitingForTurn = true; // before acquire() reads `refusing`: refuseWaiting() sees one or the other
                    int turn = acquire();
                    waitingForTurn = false;
                    if (turn == REFUSED) {
                        refusedAtStop.incrementAndGet();
                        try {
                            connection.refuseAtStop();
                        } finally {
                            answering.decrementAndGet();
                        }
                        return false;
                    }
                    if (turn == NO_TURN) {
                        if (stopped) {
                            connection.abort();
                            return false;
                        }
                        if (!monitoring.tryEnter(connection)) {
                            statistics.refusedBusy();
                            return connection.rejectBusy(this) == HttpConnection.Awaited.HANDED_OFF;
                        }
                        boolean idle;
                        try {
                            idle = connection.serve(WorkerTurn.KEPT); // no turn to lend or take back
                        } finally {
                            monitoring.exit();
                        }
                        if (!idle) return false;
                        continue;
                    }
                    held = true;
                    boolean idle;
                    try {
                        if (stopped) {
                            connection.abort();
                            return false;
                        }
                        idle = connection.serve(this);
                    } finally {
                        giveBack();
                    }
                    if (!idle) return false;
                    if (freshThreadBeforeIdleWait && !connection.hasBufferedInput() && !connection.waitsOnReadinessLoop()
                            && continueOnFreshThread()) {
                        return true;
                    }
                    // The next turn starts at once (a request is buffered: the turn ended at its limit,
                    // maxPipelinedRequestsPerTurn): let the threads queued for a carrier run first. A
                    // virtual thread is never preempted, so clients that always have a request waiting
                    // would otherwise keep every carrier, and the other connections wait.
                    if (connection.hasBufferedInput()) Thread.yield();
                } finally {
                    Thread.interrupted();
                }
            }
        }

        /**
         * Starts a thread that goes on serving the connection (see the public constructor): true if
         * it started, and the calling thread must leave the connection alone; false (out of memory)
         * to go on on this one.
         */
        private boolean continueOnFreshThread() {
            try {
                threads.newThread(this::serve).start();
                return true;
            } catch (RuntimeException | Error e) {
                return false;
            }
        }

        void interrupt() {
            Thread t = current;
            if (t != null) t.interrupt();
        }

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
    private int acquire() {
        if (!permits.hasQueuedThreads() && permits.tryAcquire()) return TURN;
        if (stopped) return NO_TURN;
        if (refusing) {
            answering.incrementAndGet();
            return REFUSED;
        }
        if (waiting.incrementAndGet() > maxWaiting) {
            waiting.decrementAndGet();
            return NO_TURN;
        }
        boolean got;
        try {
            got = permits.tryAcquire(maxWaitNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) { // stop(): shutdown() or refuseWaiting()
            got = false;
        }
        boolean refused = !got && refusing;
        if (refused) answering.incrementAndGet(); // before it leaves `waiting`: refuseWaiting() waits for either
        waiting.decrementAndGet();
        return got ? TURN : refused ? REFUSED : NO_TURN;
    }

    @Override
    public int refuseWaiting(long deadlineNanos) {
        refusing = true;
        for (ConnectionTask c : connections) {
            if (c.waitingForTurn) c.interrupt();
        }
        while ((waiting.get() > 0 || answering.get() > 0) && System.nanoTime() - deadlineNanos < 0) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return refusedAtStop.get();
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

    /** Connections started and not yet ended, served or waiting (with a thread or without). */
    int connections() {
        return connections.size();
    }

    @Override
    public void shutdown() {
        stopped = true;
        for (ConnectionTask c : connections) c.interrupt(); // a thread waiting for a turn gives up; connections are closed already
    }

    @Override
    public boolean idle() {
        for (ConnectionTask c : connections) {
            if (c.current != null) return false;
        }
        return true;
    }
}
