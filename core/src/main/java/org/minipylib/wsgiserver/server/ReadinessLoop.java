package org.minipylib.wsgiserver.server;

import java.io.IOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits for many keep-alive sockets at once on one NIO {@link Selector}, on a virtual thread (see
 * {@link #oneShotOnPlatformThread} for the other kind), and
 * wakes the connection thread of each socket that became readable (or writable), or hands an
 * idle connection that waits without a thread to one (see {@link VirtualThreadScheduler}). This
 * replaces, for an idle keep-alive connection, the JDK's way of blocking a virtual thread on a
 * socket, which per request costs a read that fails (nothing has arrived yet), an
 * {@code epoll_ctl} to re-arm the one-shot registration, and a lookup in the poller's map: here
 * the socket stays registered (level-triggered) for its whole life and is read only once it has
 * bytes.
 *
 * <p>After a round that woke threads the loop yields, so that they read their sockets before it
 * polls again (a socket still readable because its thread has not run yet is not reported twice:
 * see {@link ReadinessWait}). Every {@value #ROUNDS_BEFORE_DRAIN} busy rounds in a row it parks
 * briefly instead: on one carrier, a loop that always yields behind other threads would keep the
 * carrier's queue from ever emptying, and threads woken from outside the pool (timers, the JDK's
 * poller for application I/O) would wait behind it.
 *
 * <p>Needs JDK 24 or later (see {@link #supported()}): the selector parks its thread inside a
 * {@code synchronized} block, which before JDK 24 pins the carrier. Below, {@link
 * #oneShotOnPlatformThread} makes a loop that polls on a platform thread instead, and watches each
 * socket only while a thread (or callback) waits on it ({@link #oneShot()}): with no yield that lets
 * a woken thread read before the next poll (on JDK 21 it does not), a socket watched throughout
 * would be reported again and again until its thread read.
 */
public final class ReadinessLoop implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ReadinessLoop.class.getName());

    private static final int ROUNDS_BEFORE_DRAIN = 64;
    /** After a second failure in a row the loop pauses this long before it polls again, doubled for each further one (at most 5 s). */
    private static final long FIRST_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long MAX_PAUSE_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** A failure this long after the last one counts as the first of a new row. */
    private static final long FAILURES_FORGOTTEN_NANOS = TimeUnit.MINUTES.toNanos(1);

    private volatile Selector selector; // replaced after a failure
    private final ConcurrentLinkedQueue<ReadinessWait> interestChanges = new ConcurrentLinkedQueue<>();
    private final EdgeTriggeredLoop edgeTriggered; // null: every socket waits on the selector
    private final boolean oneShot;
    private final Thread thread;
    private volatile boolean closed;

    /**
     * Opens the selector and starts the loop on a virtual thread named {@code name}, with an
     * edge-triggered part where this JVM can call epoll (see {@link #ReadinessLoop(String, boolean)}).
     */
    public ReadinessLoop(String name) throws IOException {
        this(name, true);
    }

    /**
     * As {@link #ReadinessLoop(String)}; with {@code edgeTriggered}, sockets whose transport has a
     * descriptor of its own for direct calls (see {@link DirectSocketCalls}) wait on an epoll of
     * the loop's own, edge-triggered, by that descriptor ({@link EdgeTriggeredLoop}, a virtual thread
     * and a platform thread), where this JVM can call it; other sockets wait on the selector.
     */
    public ReadinessLoop(String name, boolean edgeTriggered) throws IOException {
        this(name, edgeTriggered ? EdgeTriggeredLoop.open(name + "-edge") : null);
    }

    /** As above, with {@code edgeTriggered} (running, or null) as its edge-triggered part, closed with it (for tests). */
    ReadinessLoop(String name, EdgeTriggeredLoop edgeTriggered) throws IOException {
        this.edgeTriggered = edgeTriggered;
        this.oneShot = false;
        try {
            this.selector = Selector.open();
            this.thread = Thread.ofVirtual().name(name).start(this::run);
        } catch (IOException | RuntimeException | Error e) {
            if (this.edgeTriggered != null) this.edgeTriggered.close();
            throw e;
        }
    }

    private ReadinessLoop(String name, Thread.Builder thread) throws IOException {
        this.edgeTriggered = null;
        this.oneShot = true;
        this.selector = Selector.open();
        try {
            this.thread = thread.name(name).start(this::run);
        } catch (RuntimeException | Error e) {
            selector.close();
            throw e;
        }
    }

    /**
     * A loop for any JDK (21 on): it polls on a platform daemon thread named {@code name}, which
     * blocks in the selector, and watches each socket {@linkplain #oneShot() one-shot}. Each wait
     * then costs a hand-over to the loop's thread and back, and a registration change each way:
     * meant for what has no cheaper wait below JDK 24 (UNIX sockets, whose waits on a selector of
     * their own would block a carrier each).
     */
    public static ReadinessLoop oneShotOnPlatformThread(String name) throws IOException {
        return new ReadinessLoop(name, Thread.ofPlatform().daemon(true));
    }

    /**
     * True if the loop watches a socket's side only while a thread (or callback) waits on it: each
     * wait asks it to watch again ({@link #watchAgain}), a wake stops it. Else a socket stays watched
     * for reads for its whole life, and the loop yields after a busy round so that woken threads
     * read before it polls again.
     */
    boolean oneShot() {
        return oneShot;
    }

    /** The edge-triggered part, for sockets with a descriptor of their own; null if this JVM cannot (see {@link EdgeTriggeredEpoll#open()}). */
    EdgeTriggeredLoop edgeTriggered() {
        return edgeTriggered;
    }

    /** True if this JDK lets a virtual thread park inside {@code synchronized} without pinning its carrier (JEP 491). */
    public static boolean supported() {
        return Runtime.version().feature() >= 24;
    }

    /**
     * Registers a connected channel (switched to non-blocking mode here) for reads (on a one-shot
     * loop for nothing yet: its first wait asks); {@code wait} becomes the key's attachment.
     */
    SelectionKey register(SocketChannel channel, ReadinessWait wait) throws IOException {
        channel.configureBlocking(false); // no system call once a virtual thread has used it: already non-blocking
        while (true) {
            Selector current = selector;
            try {
                SelectionKey key = channel.register(current, oneShot ? 0 : SelectionKey.OP_READ, wait);
                if (!oneShot) current.wakeup(); // a loop parked in its poll applies the new registration only once woken
                return key;
            } catch (ClosedSelectorException e) {
                // the server stopped, or the loop failed: it opens a new selector at once (unless it cannot)
                if (closed || !awaitNewSelector(current)) throw new ClosedChannelException();
            }
        }
    }

    /** True once the loop has replaced the failed {@code previous}; false if it stopped or gave up (1 s at most). */
    private boolean awaitNewSelector(Selector previous) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (selector == previous) {
            if (closed || !thread.isAlive() || System.nanoTime() - deadline > 0) return false;
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        return true;
    }

    /** Makes the loop deregister closed channels now. */
    void wakeup() {
        selector.wakeup();
    }

    /** Has the loop set {@code wait}'s interest from its state, on the loop's thread, before it polls again. */
    void watchAgain(ReadinessWait wait) {
        interestChanges.add(wait);
        selector.wakeup();
    }

    /**
     * Polls until closed. A failure (an error from the selector, or an {@link Error} such as running
     * out of memory on this thread) ends the waits on the selector, whose connections fail at their
     * next wait, and the loop goes on with a new selector, so that the connections the server gives
     * it later are served.
     */
    private void run() {
        int failuresInARow = 0;
        long lastFailure = 0;
        while (!closed) {
            Selector current = selector;
            try {
                if (oneShot) pollOneShot(current);
                else pollYielding(current);
            } catch (IOException | RuntimeException | Error e) {
                if (closed) break;
                long now = System.nanoTime();
                failuresInARow = failuresInARow > 0 && now - lastFailure < FAILURES_FORGOTTEN_NANOS ? failuresInARow + 1 : 1;
                lastFailure = now;
                try {
                    LOG.log(System.Logger.Level.ERROR, "Readiness loop failed; its connections fail at their next wait,"
                            + " new ones wait on a new selector", e);
                } catch (Throwable ignored) {
                    // out of memory, say: the loop must go on all the same
                }
                endWaits(current);
                if (!replaceSelector()) return;
                // none after a first failure: connections registered on the new selector meanwhile get no events
                if (failuresInARow > 1) {
                    LockSupport.parkNanos(Math.min(MAX_PAUSE_NANOS, FIRST_PAUSE_NANOS << Math.min(failuresInARow - 2, 6)));
                }
            }
        }
        endWaits(selector);
    }

    /** Closes {@code selector}, whose keys are cancelled then, and wakes its waits: they fail. */
    private static void endWaits(Selector selector) {
        List<ReadinessWait> waits = new ArrayList<>();
        try {
            for (SelectionKey key : selector.keys()) {
                if (key.attachment() instanceof ReadinessWait wait) waits.add(wait);
            }
        } catch (ClosedSelectorException e) {
            // closed under the loop (nothing but close() closes it): its waits cannot be found
        }
        try {
            selector.close(); // cancels every key: a waiting thread woken now fails
        } catch (IOException e) {
            // nothing more to do
        }
        waits.forEach(ReadinessWait::wake);
    }

    /** After a failure: a new selector for the connections to come; false if none could be opened. */
    private boolean replaceSelector() {
        try {
            selector = Selector.open(); // closed by run()'s end if close() came meanwhile
            return true;
        } catch (IOException | RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "Readiness loop could not open a new selector; connections given it fail", e);
            return false;
        }
    }

    private void pollYielding(Selector selector) throws IOException {
        int busyRounds = 0;
        while (!closed) {
            int n = selector.select(ReadinessLoop::ready);
            applyInterestChanges();
            if (n == 0) {
                busyRounds = 0;
            } else if (++busyRounds % ROUNDS_BEFORE_DRAIN == 0) {
                LockSupport.parkNanos(1); // back after every thread queued now, also those woken from outside
            } else {
                Thread.yield(); // let the threads just woken read before the next poll
            }
        }
    }

    /** A woken side is no longer watched: nothing to let its thread read before the next poll. */
    private void pollOneShot(Selector selector) throws IOException {
        while (!closed) {
            selector.select(ReadinessLoop::ready);
            applyInterestChanges();
        }
    }

    private void applyInterestChanges() {
        for (ReadinessWait w; (w = interestChanges.poll()) != null; ) w.watch();
    }

    private static void ready(SelectionKey key) {
        if (!(key.attachment() instanceof ReadinessWait wait)) return;
        try {
            wait.ready(key);
        } catch (CancelledKeyException e) {
            // closed by its thread after the poll: nothing to wake
        }
    }

    /** Stops the loop (and its edge-triggered part) and closes its selector (registered channels stay open). */
    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        LockSupport.unpark(thread); // in its pause after a failure
        if (edgeTriggered != null) edgeTriggered.close();
    }
}
