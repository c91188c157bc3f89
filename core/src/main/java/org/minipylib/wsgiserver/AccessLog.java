package org.minipylib.wsgiserver;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Receives one entry per answered request. Off unless configured; ready-made sinks write one line
 * per entry, in the Apache/NCSA combined log format or another {@link AccessLogFormat}, to a stream,
 * a file, or a {@link System.Logger}.
 */
@FunctionalInterface
public interface AccessLog extends AutoCloseable {

    /**
     * Records one request. Called once its response has gone out to the connection (or as far as
     * it got, for one cut off, with the body bytes that did), on the thread that served or refused
     * it, or on the server's thread that wrote responses held while a slow application ran; entries
     * of one connection come in order. A log that waits delays that connection's later responses.
     * Connections refused for the server's connection limit are counted, not logged.
     */
    void log(AccessLogEntry entry);

    /**
     * Opens what the log writes to, if an earlier {@link #close()} closed it; the server calls this
     * when it starts, before its first entry. The ready-made logs count the servers started with
     * them: one {@link ServerConfig} may start one server after another (a stopped server cannot be
     * started again), or several servers at once, and its log stays open while any of them runs.
     * Does nothing by default: a log that wraps another must pass this on, as {@link #close()}.
     */
    default void open() throws IOException {
    }

    /**
     * Releases what the log holds (a file); the server calls this when it stops (the ready-made logs
     * once the last server started with them stops). Does nothing by default.
     */
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

    /**
     * Lines in {@code format} to {@code out} (e.g. {@code System.out}), each written and flushed at once.
     * A failed write is warned of once: a PrintStream tells a failure by its error flag
     * ({@link PrintStream#checkError()}), which stays set from the first on, so the log cannot tell
     * whether later writes work, and warns again only if the stream clears its error (a subclass may)
     * and then reports one anew. (A file, {@link #toFile}, is warned of once each time its writes
     * start failing, and once when they work again, with how many lines the failed writes held; a
     * line that a failed write cut short is ended before the lines after it.)
     */
    static AccessLog to(PrintStream out, AccessLogFormat format) {
        return to(out, format, 0, Duration.ZERO);
    }

    /**
     * As {@link #to(PrintStream, AccessLogFormat)}, with lines gathered in a buffer as
     * {@link #toFile(Path, AccessLogFormat, int, Duration)} gathers them; {@code out} is flushed after
     * each write, and never closed.
     */
    static AccessLog to(PrintStream out, AccessLogFormat format, int bufferSize, Duration flushAfter) {
        return new AccessLogWriter(out, format, bufferSize, flushAfter);
    }

    /**
     * Combined log format lines appended to {@code file} (created if missing, and opened now: a
     * file that cannot be written fails here); closed when the last server started with it stops,
     * and opened again by a server that starts after that; {@link #reopen() reopened} under the same
     * name after a log rotation renamed it.
     */
    static AccessLog toFile(Path file) throws IOException {
        return toFile(file, AccessLogFormat.COMBINED);
    }

    /** As {@link #toFile(Path)}, with lines in {@code format}. */
    static AccessLog toFile(Path file, AccessLogFormat format) throws IOException {
        return toFile(file, format, 0, Duration.ZERO);
    }

    /**
     * As {@link #toFile(Path, AccessLogFormat)}, with lines gathered in a buffer of {@code bufferSize}
     * bytes (0: none) and written together, in one write system call, when it is full, when the oldest
     * has waited {@code flushAfter} (a daemon thread writes them then), at {@link #reopen()} and when
     * the server stops; as nginx's {@code access_log ... buffer= flush=}. Logging costs less, and a
     * line reaches the file up to {@code flushAfter} late; lines still in the buffer are lost if the
     * process ends without stopping the server (killed, or {@code System.exit} with no stop).
     *
     * @throws IllegalArgumentException if {@code bufferSize} is negative, or positive with a
     *         {@code flushAfter} that is not
     */
    static AccessLog toFile(Path file, AccessLogFormat format, int bufferSize, Duration flushAfter) throws IOException {
        return new AccessLogWriter(file, format, bufferSize, flushAfter);
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
