package org.minipylib.wsgiserver.server;

/**
 * The server's watchdog: a platform thread that, every {@link #PERIOD_MILLIS} ms until stopped,
 * enforces the timeouts that no read in progress can (see {@link ConnectionRegistry#checkTimeouts}:
 * setup and TLS handshake, keep-alive, lingering after a close, a write that makes no progress) and
 * writes out pipelined responses held too long, then lets the TLS adapter do its periodic work
 * (certificate reloads). The request head and body timeouts are the reads' own.
 */
public final class Watchdog {

    /** How often the checks run: the granularity of the timeouts it enforces. */
    public static final long PERIOD_MILLIS = 100;

    private static final System.Logger LOG = System.getLogger(Watchdog.class.getName());

    private final Thread thread;
    private volatile boolean running = true;

    /** A watchdog that runs {@code checks} every period once {@link #start()}ed. */
    public Watchdog(Runnable checks) {
        this.thread = Thread.ofPlatform().name("wsgiserver-watchdog").daemon(true).unstarted(() -> watch(checks));
    }

    /** Starts the thread; the first checks run one period later. */
    public void start() {
        thread.start();
    }

    /** Ends the thread (at once, if it waits for the next period); the checks running now finish first. */
    public void stop() {
        running = false;
        thread.interrupt();
    }

    private void watch(Runnable checks) {
        while (running) {
            try {
                Thread.sleep(PERIOD_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            try {
                checks.run();
            } catch (RuntimeException | Error e) {
                // the watchdog outlives a heap that ran out for a moment, a class that could not load (no
                // descriptor to read it with) and any other error: without it no timeout would be enforced
                try {
                    LOG.log(System.Logger.Level.ERROR, "Watchdog error", e);
                } catch (RuntimeException | Error ignored) {
                    // the log may not have the memory either
                }
            }
        }
    }
}
