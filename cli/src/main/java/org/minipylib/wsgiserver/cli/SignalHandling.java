package org.minipylib.wsgiserver.cli;

import org.minipylib.wsgiserver.AccessLog;
import org.minipylib.wsgiserver.WsgiServer;
import sun.misc.Signal;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the command line does on signals, instead of the JVM's exit on the first one:
 * <ul>
 *   <li>{@code SIGTERM}, {@code SIGINT}, {@code SIGHUP}: a graceful stop (drain delay, then in-flight
 *       requests finish up to the shutdown timeout), and then the exit (status 128 + the signal's
 *       number). The JVM's own shutdown hooks, among them the one that closes java.util.logging's
 *       handlers, run only after the stop: what the server and the application log while stopping
 *       is not lost.</li>
 *   <li>A second one while stopping: no more waiting; what is still open is closed now.
 *       A third: the process ends at once.</li>
 *   <li>{@code SIGUSR1}: the access log file is reopened under its name (after a log rotation
 *       renamed it), which the log says.</li>
 * </ul>
 * Where the JVM keeps a signal for itself ({@code -Xrs}, or a signal it uses), the shutdown hook
 * still stops the server gracefully.
 */
final class SignalHandling {

    /** Under {@code org.minipylib.wsgiserver}, as the server's own loggers: the same handler, format and {@code --log-level}. */
    private static final System.Logger LOG = System.getLogger(SignalHandling.class.getName());

    private final CompletableFuture<Launch> started;
    private final PrintWriter err;
    private final AtomicInteger stopSignals = new AtomicInteger();
    private volatile Thread stopping;

    private SignalHandling(CompletableFuture<Launch> started, PrintWriter err) {
        this.started = started;
        this.err = err;
    }

    /** Handles the signals above for the server of the launch {@code started} completes with (null if it failed). */
    static void install(CompletableFuture<Launch> started, PrintWriter err) {
        SignalHandling handling = new SignalHandling(started, err);
        for (String name : List.of("TERM", "INT", "HUP")) handle(name, handling::stop);
        handle("USR1", signal -> handling.reopenAccessLog());
    }

    private static void handle(String name, sun.misc.SignalHandler handler) {
        try {
            Signal.handle(new Signal(name), handler);
        } catch (IllegalArgumentException e) {
            // the JVM keeps it (or the platform has none): its default stays
        }
    }

    /**
     * Synchronized: each signal is handled on a thread of its own, and a second one right behind the
     * first must find the stopping thread the first started, to interrupt it.
     */
    private synchronized void stop(Signal signal) {
        int count = stopSignals.incrementAndGet();
        int status = 128 + signal.getNumber();
        if (count == 1) {
            stopping = Thread.ofPlatform().name("wsgiserver-stop").daemon(false).start(() -> { // the JVM waits for it to exit with the status
                Main.stopGracefully(started.join());
                System.exit(status);
            });
        } else if (count == 2) {
            err.println("wsgiserver: SIG" + signal.getName() + " again: closing what is still open now");
            Thread t = stopping;
            if (t != null) t.interrupt(); // stop() ends its waits and closes what is open
        } else {
            err.println("wsgiserver: SIG" + signal.getName() + " a third time: exiting now");
            Runtime.getRuntime().halt(status);
        }
    }

    /** Reopens the access log, saying so in the server's log (at INFO; a failure at WARNING). */
    private void reopenAccessLog() {
        Launch launch = started.getNow(null);
        WsgiServer server = launch == null ? null : launch.server();
        AccessLog log = server == null ? null : server.config().accessLog();
        if (log == null) return;
        String file = launch.accessLogFile(); // null: standard output, whose buffered lines reopen() writes
        try {
            log.reopen();
            if (file != null) LOG.log(System.Logger.Level.INFO, "Reopened the access log {0}", file);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Could not reopen the access log {0}; it goes on in the old file",
                    file != null ? TlsOptions.describe(file, e) : e.toString());
        }
    }
}
