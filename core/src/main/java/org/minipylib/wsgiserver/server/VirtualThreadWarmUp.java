package org.minipylib.wsgiserver.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Has the JDK start, at the server's start, what its virtual threads need and otherwise start on
 * first use: the virtual-thread scheduler, the thread behind timed waits, and the I/O poller (its
 * threads and {@code epoll} descriptors). Started first while the process is short of threads or
 * descriptors (a reconnect storm, a task limit reached), the JDK fails them for good: a class whose
 * initialisation failed stays failed ({@code NoClassDefFoundError} on every later use), and a
 * virtual thread whose timed wait could not be scheduled never runs again. Pool workers wait for a
 * connection's next request on virtual threads too, so both worker modes need it.
 */
public final class VirtualThreadWarmUp {

    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** Whether a warm-up succeeded in this JVM: what it started stays started. */
    private static final AtomicBoolean DONE = new AtomicBoolean();

    private VirtualThreadWarmUp() {
    }

    /** {@link #run()}, unless a run has succeeded in this JVM already. */
    public static void runOnce() throws IOException {
        if (DONE.get()) return;
        run();
        DONE.set(true);
    }

    /**
     * Whether the warm-up waits in the poller: from JDK 24. Before, a virtual thread's pipe read held
     * its carrier, the scheduler added one to make up for it, and virtual threads shared their
     * carriers differently from then on: a client pipelining without end was answered ahead of every
     * other connection on one carrier (PipeliningClientsLeaveTheCarrierTest on JDK 21: 1-3 of the
     * other client's requests answered during the flood, against 470-1300 without the read).
     */
    private static final boolean WAITS_IN_POLLER = Runtime.version().feature() >= 24;

    /**
     * A virtual thread sleeps a millisecond (a timed wait), then (JDK 24+) waits in a pipe read (the
     * poller) until this thread writes a byte.
     *
     * <p>The caller's interrupt flag (one restored after a catch, say) is set aside meanwhile, and set
     * again after.
     *
     * @return true if the read was seen waiting before the byte was written (the poller was used);
     *         false before JDK 24 (no read)
     * @throws IOException if the JDK could not start what its virtual threads need
     */
    static boolean run() throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            return startAndWake();
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private static boolean startAndWake() throws IOException {
        try {
            Pipe pipe = Pipe.open();
            try (Pipe.SourceChannel source = pipe.source(); Pipe.SinkChannel sink = pipe.sink()) {
                AtomicReference<Throwable> failure = new AtomicReference<>();
                Thread reader = Thread.ofVirtual().name("wsgiserver-warm-up").start(() -> {
                    try {
                        Thread.sleep(1);
                        if (WAITS_IN_POLLER) source.read(ByteBuffer.allocate(1));
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                });
                boolean parked = WAITS_IN_POLLER && awaitState(reader, Thread.State.WAITING);
                sink.write(ByteBuffer.wrap(new byte[] {1}));
                if (!reader.join(Duration.ofNanos(WAIT_NANOS))) {
                    throw new IOException("the warm-up's virtual thread did not end within 5 s");
                }
                if (failure.get() != null) throw failure.get();
                return parked;
            }
        } catch (IOException e) {
            throw new IOException("The JDK could not start what virtual threads need: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while starting the JDK's virtual threads", e);
        } catch (Throwable t) { // out of memory: unable to create a native thread, say
            throw new IOException("The JDK could not start what virtual threads need: " + t, t);
        }
    }

    /** Waits (up to 5 s) for {@code thread} to be in {@code state}; false if it never was, or ended. */
    private static boolean awaitState(Thread thread, Thread.State state) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (thread.getState() != state) {
            if (!thread.isAlive() || System.nanoTime() - deadline > 0) return false;
            Thread.sleep(1);
        }
        return true;
    }
}
