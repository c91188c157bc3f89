package org.minipylib.wsgiserver.cli;

import org.minipylib.wsgiserver.ServerConfig;
import org.minipylib.wsgiserver.WsgiServer;
import picocli.CommandLine;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * The command line: {@code java -jar wsgiserver.jar [options] [APP]} (see {@link ServeCommand} for
 * the options). {@link #main} starts the server and runs until SIGINT or SIGTERM, then stops it
 * gracefully; {@link #launch} only starts it, for tests and for programs that embed the command line.
 */
public final class Main {

    /** This class's name, for messages that show how to run it. */
    static final String CLASS_NAME = "org.minipylib.wsgiserver.cli.Main";

    private static final String LOG_FORMAT_PROPERTY = "java.util.logging.SimpleFormatter.format";
    static final String REJECT_RENEGOTIATION_PROPERTY = "jdk.tls.rejectClientInitiatedRenegotiation";

    private Main() {
    }

    /** Runs the command line; exits with 0 after help or version, 2 on a usage error, 1 if the server cannot start. */
    public static void main(String[] args) throws InterruptedException {
        useOneLineLogFormat();
        haltOnUncaughtOutOfMemory();
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        // The hook goes in before the server starts: a SIGTERM while it starts (say, while its JMX bean
        // registers) must stop it gracefully too, not end the JVM under requests it already accepted.
        CompletableFuture<Launch> started = new CompletableFuture<>();
        Thread launching = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("wsgiserver-shutdown")
                .unstarted(() -> stopGracefully(awaitLaunch(started, launching))));
        SignalHandling.install(started, err);
        Launch launch = null;
        try {
            launch = launch(out, err, args);
        } finally {
            started.complete(launch);
        }
        if (!launch.started()) System.exit(launch.exitCode());
        tenureStartupObjects();
        launch.server().awaitStop();
    }

    /**
     * Parses {@code args} and starts the server they describe, writing to {@code out} the addresses it
     * listens on (or the help or version text) and to {@code err} any error. Returns at once; the
     * caller stops the server.
     */
    public static Launch launch(PrintWriter out, PrintWriter err, String... args) {
        rejectClientInitiatedRenegotiation(); // before the first TLS handshake of this JVM, when the JDK reads it
        ServeCommand command = new ServeCommand();
        int exitCode = commandLine(command, out, err).execute(args);
        boolean started = command.server() != null;
        return new Launch(exitCode, command.server(), command.statusOutput(), started ? command.pidFile() : null,
                command.accessLogFile());
    }

    /** The picocli command line for {@code command}, set up as {@code main} uses it. */
    static CommandLine commandLine(ServeCommand command, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(command);
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setParameterExceptionHandler(new UsageErrorHandler());
        commandLine.setExecutionExceptionHandler(new StartupErrorHandler());
        commandLine.getCommandSpec().usageMessage().footer(DefaultsFooter.lines(ServerConfig.builder().build()));
        return commandLine;
    }

    /**
     * One full collection once the server listens, so that what starting left alive (about 2.4 MB
     * with the demo app: classes' strings, reflection data, the application's own objects) moves to
     * the old generation now. Otherwise a young collection under the first load copies it from one
     * survivor space to the other every time until it is old enough to promote (15 collections):
     * with the serial collector (the JVM's choice on one CPU) 3-9 ms a pause instead of 1-2 ms.
     * A JVM run with {@code -XX:+DisableExplicitGC} skips it.
     */
    private static void tenureStartupObjects() {
        System.gc();
    }

    /**
     * The launch, once it is over; null at once if the launching thread is itself exiting: the
     * application called {@code System.exit} while it was loaded (bad configuration, say), and that
     * call waits for this hook, so waiting for the launch would hang the process for good.
     */
    private static Launch awaitLaunch(CompletableFuture<Launch> started, Thread launching) {
        if (!started.isDone() && isExiting(launching)) return null;
        return started.join();
    }

    private static boolean isExiting(Thread thread) {
        for (StackTraceElement frame : thread.getStackTrace()) {
            if (frame.getClassName().equals("java.lang.Shutdown") || (frame.getClassName().equals("java.lang.Runtime")
                    && (frame.getMethodName().equals("exit") || frame.getMethodName().equals("halt")))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The stop a signal asks for (or, without {@link SignalHandling}, the shutdown hook's): stops
     * the server {@code launch} started (if any) gracefully and waits for it. Once only: a later call
     * returns at once.
     */
    static void stopGracefully(Launch launch) {
        if (launch == null || !launch.started() || !STOPPING.compareAndSet(false, true)) return;
        WsgiServer server = launch.server();
        PrintWriter out = launch.status();
        java.time.Duration delay = server.config().drainDelay();
        out.println("wsgiserver stopping (" + (delay.isZero() ? "" : "still serving for " + delay.toMillis() + " ms, then ")
                + "in-flight requests get up to " + server.config().shutdownTimeout().toMillis() + " ms)");
        server.stop();
        if (launch.pidFile() != null) PidFile.remove(launch.pidFile());
        out.println("wsgiserver stopped");
    }

    private static final java.util.concurrent.atomic.AtomicBoolean STOPPING = new java.util.concurrent.atomic.AtomicBoolean();

    /** Exit status when a thread died of an OutOfMemoryError. */
    static final int OUT_OF_MEMORY_EXIT = 3;
    private static final byte[] OUT_OF_MEMORY_MESSAGE =
            "wsgiserver: out of memory in a server thread; exiting (status 3) for a restart\n".getBytes(StandardCharsets.US_ASCII);
    private static final FileOutputStream STDERR = new FileOutputStream(FileDescriptor.err); // made before it is needed

    /**
     * Ends the process when an OutOfMemoryError escapes any thread: the JDK's I/O poller, say, or
     * an accept loop. Such a thread is gone for good, and the process would keep its port open
     * while serving nothing; exiting lets a supervisor (systemd, Kubernetes) start a fresh one.
     * Errors a request runs into are caught by the server (a 500) and end nothing. The way out
     * allocates nothing it can avoid: the heap is full.
     */
    private static void haltOnUncaughtOutOfMemory() {
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
            if (e instanceof OutOfMemoryError) {
                try {
                    STDERR.write(OUT_OF_MEMORY_MESSAGE);
                } catch (Throwable ignored) {
                    // exiting anyway
                }
                Runtime.getRuntime().halt(OUT_OF_MEMORY_EXIT);
            }
            if (previous != null) {
                previous.uncaughtException(thread, e);
            } else { // what the JDK prints when there is no handler (ThreadGroup would call this one again)
                System.err.print("Exception in thread \"" + thread.getName() + "\" ");
                e.printStackTrace(System.err);
            }
        });
    }

    /**
     * Refuses TLS 1.2 renegotiations a client starts (each a full handshake's CPU the server would
     * spend on the client's say; CVE-2011-1473), as nginx and Apache do, unless the user set the
     * JDK's property. The JDK reads it once, at the JVM's first TLS handshake as a server: in a
     * program that embeds the command line and served TLS before, it is too late (README).
     */
    private static void rejectClientInitiatedRenegotiation() {
        if (System.getProperty(REJECT_RENEGOTIATION_PROPERTY) == null) {
            System.setProperty(REJECT_RENEGOTIATION_PROPERTY, "true");
        }
    }

    /**
     * Makes java.util.logging, which the server logs through by default, print one line per message,
     * unless the user configured logging.
     */
    private static void useOneLineLogFormat() {
        if (System.getProperty(LOG_FORMAT_PROPERTY) == null && System.getProperty("java.util.logging.config.file") == null) {
            System.setProperty(LOG_FORMAT_PROPERTY, "%1$tF %1$tT %4$s %5$s%6$s%n");
        }
    }
}
