package org.minipylib.wsgiserver.cli;

import org.minipylib.wsgiserver.ServerConfig;
import org.minipylib.wsgiserver.WsgiServer;
import picocli.CommandLine;

import java.io.PrintWriter;
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
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        // The hook goes in before the server starts: a SIGTERM while it starts (say, while its JMX bean
        // registers) must stop it gracefully too, not end the JVM under requests it already accepted.
        CompletableFuture<WsgiServer> started = new CompletableFuture<>();
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("wsgiserver-shutdown")
                .unstarted(() -> stopGracefully(started.join(), out)));
        Launch launch = null;
        try {
            launch = launch(out, err, args);
        } finally {
            started.complete(launch == null ? null : launch.server());
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
        return new Launch(exitCode, command.server());
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

    /** The shutdown hook's work: stops {@code server} (if one started) gracefully and waits for it. */
    private static void stopGracefully(WsgiServer server, PrintWriter out) {
        if (server == null) return;
        out.println("wsgiserver stopping (in-flight requests get up to "
                + server.config().shutdownTimeout().toMillis() + " ms)");
        server.stop();
        out.println("wsgiserver stopped");
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
