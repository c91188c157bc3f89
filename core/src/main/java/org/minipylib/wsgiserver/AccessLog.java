package org.minipylib.wsgiserver;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Receives one entry per answered request. Off unless configured; ready-made sinks write one line
 * per entry, in the Apache/NCSA combined log format or another {@link AccessLogFormat}, to a stream,
 * a file, or a {@link System.Logger}.
 */
@FunctionalInterface
public interface AccessLog extends AutoCloseable {

    /**
     * Records one request. Called on the thread that served it (or refused it) once the response
     * was written to the connection, which may still hold its last bytes (a small response's, or all
     * of it) until this returns, so that pipelined responses go out together: a log that waits
     * delays them. Connections refused for the server's connection limit are counted, not logged.
     */
    void log(AccessLogEntry entry);

    /** Releases what the log holds (a file); the server calls this when it stops. Does nothing by default. */
    @Override
    default void close() {
    }

    /**
     * Opens again what the log writes to, for log rotation: a file renamed by the rotation is closed
     * and a new one made under its name ({@link #toFile}; the command line does this on
     * {@code SIGUSR1}). Does nothing by default.
     */
    default void reopen() throws IOException {
    }

    /** Combined log format lines to {@code out} (e.g. {@code System.out}). */
    static AccessLog to(PrintStream out) {
        return to(out, AccessLogFormat.COMBINED);
    }

    /** Lines in {@code format} to {@code out} (e.g. {@code System.out}). */
    static AccessLog to(PrintStream out, AccessLogFormat format) {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(format, "format");
        // println writes the line whole (PrintStream locks itself), with no monitor of ours around
        // it: the write may wait (stdout piped to a reader that stalls), and before JDK 24 a virtual
        // thread that waits holding a monitor, or to enter one, pins its carrier.
        return entry -> out.println(format.format(entry));
    }

    /**
     * Combined log format lines appended to {@code file} (created if missing); closed when the server
     * stops; {@link #reopen() reopened} under the same name after a log rotation renamed it.
     */
    static AccessLog toFile(Path file) throws IOException {
        return toFile(file, AccessLogFormat.COMBINED);
    }

    /** As {@link #toFile(Path)}, with lines in {@code format}. */
    static AccessLog toFile(Path file, AccessLogFormat format) throws IOException {
        return new AccessLogFile(file, format);
    }

    /** Combined log format lines to the {@code System.Logger} named {@code org.minipylib.wsgiserver.access}, at INFO. */
    static AccessLog toLogger() {
        return toLogger(AccessLogFormat.COMBINED);
    }

    /** Lines in {@code format} to the {@code System.Logger} named {@code org.minipylib.wsgiserver.access}, at INFO. */
    static AccessLog toLogger(AccessLogFormat format) {
        Objects.requireNonNull(format, "format");
        System.Logger logger = System.getLogger("org.minipylib.wsgiserver.access");
        return entry -> {
            if (logger.isLoggable(System.Logger.Level.INFO)) logger.log(System.Logger.Level.INFO, format.format(entry));
        };
    }
}
