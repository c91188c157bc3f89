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
import java.util.concurrent.locks.LockSupport;

/**
 * Waits for many keep-alive sockets at once on one NIO {@link Selector}, on a virtual thread, and
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
 * {@code synchronized} block, which before JDK 24 pins the carrier.
 */
public final class ReadinessLoop implements AutoCloseable {

    private static final int ROUNDS_BEFORE_DRAIN = 64;

    private final Selector selector;
    private final ConcurrentLinkedQueue<ReadinessWait> interestChanges = new ConcurrentLinkedQueue<>();
    private final EdgeTriggeredLoop edgeTriggered; // null: every socket waits on the selector
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
        this.edgeTriggered = edgeTriggered ? EdgeTriggeredLoop.open(name + "-edge") : null;
        try {
            this.selector = Selector.open();
            Thread.ofVirtual().name(name).start(this::run);
        } catch (IOException | RuntimeException | Error e) {
            if (this.edgeTriggered != null) this.edgeTriggered.close();
            throw e;
        }
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
     * Registers a connected channel (switched to non-blocking mode here) for reads; {@code wait}
     * becomes the key's attachment.
     */
    SelectionKey register(SocketChannel channel, ReadinessWait wait) throws IOException {
        channel.configureBlocking(false); // no system call once a virtual thread has used it: already non-blocking
        SelectionKey key;
        try {
            key = channel.register(selector, SelectionKey.OP_READ, wait);
        } catch (ClosedSelectorException e) {
            throw new ClosedChannelException(); // the server stopped
        }
        selector.wakeup(); // a loop parked in its poll applies the new registration only once woken
        return key;
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

    private void run() {
        int busyRounds = 0;
        try {
            while (!closed) {
                int n = selector.select(ReadinessLoop::ready);
                for (ReadinessWait w; (w = interestChanges.poll()) != null; ) w.watch();
                if (n == 0) {
                    busyRounds = 0;
                } else if (++busyRounds % ROUNDS_BEFORE_DRAIN == 0) {
                    LockSupport.parkNanos(1); // back after every thread queued now, also those woken from outside
                } else {
                    Thread.yield(); // let the threads just woken read before the next poll
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            if (!closed) {
                System.getLogger(ReadinessLoop.class.getName()).log(System.Logger.Level.ERROR,
                        "Readiness loop failed; its connections fail at their next wait", e);
            }
            if (e instanceof Error error) throw error;
        } finally {
            List<ReadinessWait> waits = new ArrayList<>();
            for (SelectionKey key : selector.keys()) {
                if (key.attachment() instanceof ReadinessWait wait) waits.add(wait);
            }
            try {
                selector.close(); // cancels every key: a waiting thread woken now fails
            } catch (IOException e) {
                // nothing more to do
            }
            waits.forEach(ReadinessWait::wake);
        }
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
        if (edgeTriggered != null) edgeTriggered.close();
    }
}
