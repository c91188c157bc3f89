package org.minipylib.wsgiserver.server;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * A {@link ReadinessLoop}'s edge-triggered part: keep-alive sockets with a descriptor of their
 * transport's own (see {@link DirectSocketCalls}) wait on an {@link EdgeTriggeredEpoll} instead of
 * the loop's NIO selector, which is level-triggered: there, each socket found ready is looked at
 * again at the next poll (to find it drained by then), and one that got bytes while no one waited
 * must be muted and unmuted with {@code epoll_ctl}. Here each arrival is reported once.
 *
 * <p>A virtual thread polls without waiting, wakes the connections found ready (see
 * {@link EdgeWait#ready}), and yields (parks briefly every {@value #ROUNDS_BEFORE_DRAIN} busy rounds
 * in a row), as the selector loop does. When a poll finds nothing it arms the outer epoll and parks;
 * a platform thread blocked on that outer epoll unparks it once a socket is ready. Under load the
 * loop never parks, and no thread but the carrier's runs.
 */
final class EdgeTriggeredLoop {

    private static final System.Logger LOG = System.getLogger(EdgeTriggeredLoop.class.getName());

    private static final int ROUNDS_BEFORE_DRAIN = 64;

    private final EdgeTriggeredEpoll epoll;
    private final Object lock = new Object(); // guards registrations, the table's growth, and closing the epoll
    // Registered waits by slot: a poll reports a socket by its slot and its registration's generation.
    private volatile AtomicReferenceArray<EdgeWait> slots = new AtomicReferenceArray<>(256);
    private int[] freeSlots = new int[256]; // under lock, as the rest: slots given back, reused first
    private int freeCount;
    private int slotsUsed; // slots below this were used once
    private int generation;
    private volatile boolean closed; // close() was called
    private volatile boolean stopped; // set under lock: the loop ended, no more registrations, waits fail
    private final Thread thread;

    /** A loop named {@code name}, running, polling {@code epoll} (which it closes when it ends); tests may pass one of their own. */
    EdgeTriggeredLoop(EdgeTriggeredEpoll epoll, String name) {
        this.epoll = epoll;
        this.thread = Thread.ofVirtual().name(name).unstarted(this::run);
        try {
            Thread.ofPlatform().daemon().name(name + "-sleeper").start(this::sleepUntilReady);
        } catch (RuntimeException | Error e) { // out of memory, say
            epoll.close();
            throw e;
        }
        try {
            thread.start();
        } catch (RuntimeException | Error e) {
            stop(); // the sleeper closes the epoll
            throw e;
        }
    }

    /** A loop named {@code name}, running, if this JVM can poll edge-triggered (see {@link EdgeTriggeredEpoll#open()}); else null. */
    static EdgeTriggeredLoop open(String name) {
        EdgeTriggeredEpoll epoll = EdgeTriggeredEpoll.open();
        return epoll == null ? null : new EdgeTriggeredLoop(epoll, name);
    }

    /**
     * Switches {@code channel} to non-blocking and has the loop watch {@code fd} (a descriptor of
     * the caller's own, for the same socket, open throughout this call).
     *
     * @param readableNow whether a read would find something now (see {@link EdgeWait#awaitReadableThen})
     * @param writableNow whether the socket would take bytes now (see {@link EdgeWait#awaitWritable()})
     * @return the socket's wait; null if the kernel refused to watch it, or this loop has stopped
     *         (the caller may use the selector)
     */
    EdgeWait register(SocketChannel channel, int fd, BooleanSupplier readableNow, BooleanSupplier writableNow)
            throws IOException {
        channel.configureBlocking(false);
        synchronized (lock) {
            if (stopped) return null; // the selector's registration fails too if the server stopped
            int slot = freeCount > 0 ? freeSlots[--freeCount] : slotsUsed++;
            AtomicReferenceArray<EdgeWait> table = slots;
            if (slot >= table.length()) slots = table = grown(table);
            EdgeWait wait = new EdgeWait(this, slot, ++generation, readableNow, writableNow);
            table.set(slot, wait); // before the socket can be reported
            if (epoll.add(fd, (long) wait.generation << 32 | slot)) return wait;
            table.set(slot, null);
            giveBack(slot);
            return null;
        }
    }

    private static AtomicReferenceArray<EdgeWait> grown(AtomicReferenceArray<EdgeWait> table) {
        AtomicReferenceArray<EdgeWait> bigger = new AtomicReferenceArray<>(table.length() * 2);
        for (int i = 0; i < table.length(); i++) bigger.set(i, table.get(i));
        return bigger;
    }

    private void giveBack(int slot) {
        if (freeCount == freeSlots.length) freeSlots = Arrays.copyOf(freeSlots, freeCount * 2);
        freeSlots[freeCount++] = slot;
    }

    /**
     * Forgets {@code wait}, before its descriptor is closed: the slot goes to another socket. A
     * report for this one still under way finds another generation there, and is dropped.
     */
    void deregister(EdgeWait wait) {
        synchronized (lock) {
            if (slots.compareAndSet(wait.slot, wait, null)) giveBack(wait.slot);
        }
    }

    /** True once the loop has ended: a socket still open can no longer be waited for. */
    boolean isStopped() {
        return stopped;
    }

    private void run() {
        int busyRounds = 0;
        try {
            while (!closed) {
                int n = epoll.poll();
                AtomicReferenceArray<EdgeWait> table = slots; // read after the poll: has every socket it reports
                for (int i = 0; i < n; i++) {
                    long token = epoll.token(i);
                    EdgeWait wait = table.get((int) token);
                    // else (or another generation) closed since it was reported: nothing to wake
                    if (wait != null && wait.generation == (int) (token >>> 32)) wait.ready(epoll.ready(i));
                }
                if (n == 0) {
                    busyRounds = 0;
                    // The sleeper unparks this thread once a socket is ready (at once if one is now).
                    if (!epoll.armSleep()) throw new IllegalStateException("epoll_ctl failed");
                    if (!closed) LockSupport.park(this);
                } else if (++busyRounds % ROUNDS_BEFORE_DRAIN == 0) {
                    LockSupport.parkNanos(1); // back after every thread queued now, also those woken from outside
                } else {
                    Thread.yield(); // let the threads just woken read before the next poll
                }
            }
        } catch (RuntimeException | Error e) {
            if (!closed) {
                LOG.log(System.Logger.Level.ERROR, "Readiness loop failed; its connections fail at their next wait", e);
            }
            if (e instanceof Error error) throw error;
        } finally {
            stop();
        }
    }

    /** Ends the loop: no more registrations, every wait woken (to fail), the sleeper told to close the epoll. */
    private void stop() {
        List<EdgeWait> waits = new ArrayList<>();
        try {
            synchronized (lock) {
                stopped = true;
                AtomicReferenceArray<EdgeWait> table = slots;
                for (int i = 0; i < table.length(); i++) {
                    EdgeWait wait = table.get(i);
                    if (wait != null) waits.add(wait);
                }
            }
            waits.forEach(EdgeWait::wake);
        } finally {
            epoll.wakeSleeper(); // the sleeper closes the epoll, and ends
        }
    }

    /**
     * The platform thread's life: blocks while the loop sleeps, and wakes it; once told the loop
     * stopped (no registration or poll comes after that), closes the epoll.
     */
    private void sleepUntilReady() {
        try {
            while (!epoll.sleep()) LockSupport.unpark(thread);
        } catch (RuntimeException | Error e) { // a defect: the loop cannot sleep without this thread
            LOG.log(System.Logger.Level.ERROR,
                    "Readiness loop's sleeper failed; its connections fail at their next wait", e);
            close(); // the epoll stays open: the loop may still be polling it
            return;
        }
        epoll.close();
    }

    /** Stops the loop (registered sockets stay open; their waits fail). */
    void close() {
        closed = true;
        LockSupport.unpark(thread);
    }
}
