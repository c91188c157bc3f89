package org.minipylib.wsgiserver;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The ready-made sinks that write lines: {@link AccessLog#toFile} appends them to a file, which
 * {@link #reopen()} opens again under its name; {@link AccessLog#to(PrintStream)} writes them to a
 * stream (standard output), flushed, never reopened nor closed. Unbuffered, each line is one write
 * system call; with a buffer, lines
 * gather in it and are written together when it is full, when the oldest has waited the flush
 * interval (a daemon thread, {@code wsgiserver-access-log-flush}, writes them then), at
 * {@link #reopen()} and at {@link #close()}.
 *
 * <p>A file's write that fails (a full disk) loses its lines, with one warning; the first write that
 * works again says how many lines the failed writes held. A full disk takes what fits, so a failed
 * write may leave part of a line at the file's end: before the next lines, if the file (a regular
 * one) does not end with a line end, one is written, so that they start on a line of their own. A
 * stream (a PrintStream) tells no such details: see {@code streamReportsAnError}.
 *
 * <p>A file is written through {@link Files#newOutputStream}, whose writes an interrupt does not
 * end: a {@link FileChannel} of one's own would be closed by an interrupt (the server's stop cuts
 * the requests left), and its close waits for the write in progress, forever on a pipe that is not read.
 *
 * <p>Its lock is no monitor: a write may wait (the file may be a pipe, as {@code /dev/stdout} is when
 * piped to a reader that stalls), and before JDK 24 a virtual thread that waits holding a monitor, or
 * to enter one, pins its carrier.
 */
final class AccessLogWriter implements AccessLog {

    private static final System.Logger LOG = System.getLogger(AccessLogWriter.class.getName());

    private final Path file; // null: a stream, never reopened nor closed
    private final Opener opener; // the file's; null for a stream
    private final String name; // in warnings
    private final AccessLogFormat format;
    private final int bufferSize; // 0: each line written at once
    private final long flushNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition linesWaiting = lock.newCondition(); // signalled when the buffer stops being empty, and at close
    private OutputStream out; // guarded by lock
    private byte[] bytes; // lines not yet written, from 0 to pending; guarded by lock
    private int pending; // guarded by lock
    private long oldestPendingAt; // System.nanoTime() when the oldest pending line came; guarded by lock
    private boolean failing; // the last write failed (warned of once, until a write is known to succeed); guarded by lock
    private long linesLost; // in a file's failed writes, since they started failing; guarded by lock
    private boolean mayEndMidLine; // a write to the file failed: it may have left part of a line at its end; guarded by lock
    private boolean closed; // guarded by lock
    private int servers; // servers started with this log and not stopped yet (open() and close()); guarded by lock
    private int generation; // of the flush thread: one from an earlier open ends; guarded by lock

    /**
     * Lines appended to {@code file}, gathered in a buffer of {@code bufferSize} bytes (0: none) and
     * written when it is full or when the oldest has waited {@code flushAfter}.
     */
    AccessLogWriter(Path file, AccessLogFormat format, int bufferSize, Duration flushAfter) throws IOException {
        this(file, AccessLogWriter::open, format, bufferSize, flushAfter);
    }

    /** Opens the file for appending: a seam for tests, whose stream may fill up as a disk does. */
    @FunctionalInterface
    interface Opener {
        OutputStream open(Path file) throws IOException;
    }

    /** As {@link #AccessLogWriter(Path, AccessLogFormat, int, Duration)}, the file opened (and reopened) by {@code opener}. */
    AccessLogWriter(Path file, Opener opener, AccessLogFormat format, int bufferSize, Duration flushAfter) throws IOException {
        this(Objects.requireNonNull(file, "file"), opener, opener.open(file), format, bufferSize, flushAfter);
    }

    /** Lines written to {@code out} and flushed, as {@link #AccessLogWriter(Path, AccessLogFormat, int, Duration)}. */
    AccessLogWriter(PrintStream out, AccessLogFormat format, int bufferSize, Duration flushAfter) {
        this(null, null, Objects.requireNonNull(out, "out"), format, bufferSize, flushAfter);
    }

    private AccessLogWriter(Path file, Opener opener, OutputStream out, AccessLogFormat format, int bufferSize, Duration flushAfter) {
        this.file = file;
        this.opener = opener;
        this.name = file != null ? file.toString() : "stream";
        this.format = Objects.requireNonNull(format, "format");
        if (bufferSize < 0) throw new IllegalArgumentException("bufferSize < 0: " + bufferSize);
        if (bufferSize > 0 && (flushAfter == null || flushAfter.isNegative() || flushAfter.isZero())) {
            throw new IllegalArgumentException("a buffered access log needs a positive flushAfter: " + flushAfter);
        }
        this.bufferSize = bufferSize;
        this.flushNanos = bufferSize > 0 ? saturatedNanos(flushAfter) : 0;
        this.bytes = new byte[Math.max(bufferSize, 512)];
        this.out = out;
        startFlushThread();
    }

    private void startFlushThread() {
        if (bufferSize == 0) return;
        int ownGeneration = generation;
        Thread.ofPlatform().daemon().name("wsgiserver-access-log-flush").start(() -> writeOldLines(ownGeneration));
    }

    private static long saturatedNanos(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private static OutputStream open(Path file) throws IOException {
        return Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }

    @Override
    @SuppressWarnings("deprecation") // String.getBytes(int, int, byte[], int): the low byte of each char, exact for ASCII
    public void log(AccessLogEntry entry) {
        String line = format.format(entry); // outside the lock; ASCII, every format escapes anything else
        int length = line.length();
        lock.lock();
        try {
            if (pending > 0 && pending + length + 1 > bufferSize) writePending();
            if (bytes.length < pending + length + 1) bytes = new byte[Math.max(length + 1, bytes.length * 2)]; // pending is 0 here
            line.getBytes(0, length, bytes, pending);
            bytes[pending + length] = '\n';
            if (pending == 0 && bufferSize > 0) {
                oldestPendingAt = System.nanoTime();
                linesWaiting.signal();
            }
            pending += length + 1;
            if (pending >= bufferSize || closed) writePending();
        } finally {
            lock.unlock();
        }
    }

    /** Writes the buffer's lines; lost, with one warning until a write works again, if that fails. Under the lock. */
    private void writePending() {
        try {
            if (mayEndMidLine) endACutLine();
            out.write(bytes, 0, pending);
            if (file == null) {
                // a stream is a PrintStream: checkError() flushes it and tells a failure, which it never throws
                if (((PrintStream) out).checkError()) {
                    streamReportsAnError();
                } else {
                    failing = false;
                }
            } else if (failing) {
                writesWorkAgain();
            }
        } catch (IOException e) { // a file's: how much of the write went out is not known
            for (int i = 0; i < pending; i++) {
                if (bytes[i] == '\n') linesLost++;
            }
            mayEndMidLine = true;
            if (!failing) LOG.log(System.Logger.Level.WARNING, "Writing the access log " + name + " failed; lines are lost until it works again", e);
            failing = true;
        } finally {
            pending = 0;
        }
    }

    /** The first write to the file after a failed one: ends the line the failure cut short, if it did. Under the lock. */
    private void endACutLine() throws IOException {
        if (Files.isRegularFile(file) && endsMidLine(file)) out.write('\n');
        mayEndMidLine = false;
    }

    /**
     * Whether the file at {@code path} ends partway through a line: its last byte is no line end. Not
     * known (it cannot be read): yes, as an empty line is better than two lines glued into one.
     */
    private static boolean endsMidLine(Path path) {
        try (FileChannel file = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = file.size();
            if (size == 0) return false; // a new file, after a rotation
            ByteBuffer last = ByteBuffer.allocate(1);
            return file.read(last, size - 1) != 1 || last.get(0) != '\n';
        } catch (IOException e) {
            return true;
        }
    }

    /** A write to the file worked after failed ones: says how many lines those held. Under the lock. */
    private void writesWorkAgain() {
        LOG.log(System.Logger.Level.WARNING, "Writing the access log " + name + " works again; the failed writes held " + linesLost
                + (linesLost == 1 ? " line" : " lines") + (bufferSize > 0 ? " (the first lines of a write cut short may be in the file)" : ""));
        failing = false;
        linesLost = 0;
    }

    /**
     * The stream's {@code checkError()} says a write failed, this one or one before: a PrintStream's
     * error stays set from its first failure on (only the stream itself can clear it), so whether later
     * writes work cannot be told. Warned of once, saying so; again only after the stream clears its
     * error (a subclass may) and then reports one anew. Under the lock.
     */
    private void streamReportsAnError() {
        if (!failing) {
            LOG.log(System.Logger.Level.WARNING, "Writing the access log to the stream failed; lines may be lost from now on,"
                    + " with no further warning: the stream (a PrintStream) reports an error from its first failure on,"
                    + " whether later writes work or not");
        }
        failing = true;
    }

    /** The flush thread: writes the buffered lines once the oldest has waited the flush interval. */
    private void writeOldLines(int ownGeneration) {
        lock.lock();
        try {
            while (!closed && generation == ownGeneration) {
                if (pending == 0) {
                    linesWaiting.await();
                    continue;
                }
                long wait = oldestPendingAt + flushNanos - System.nanoTime();
                if (wait > 0) {
                    linesWaiting.awaitNanos(wait);
                } else {
                    writePending();
                }
            }
        } catch (InterruptedException e) {
            // nobody interrupts it; if someone does, lines are still written when the buffer fills and at close
        } finally {
            lock.unlock();
        }
    }

    /**
     * Lines buffered before it go to the file as it was; the lines after it to the new one. A stream
     * is not reopened: its buffered lines are written.
     */
    @Override
    public void reopen() throws IOException {
        if (file == null) {
            lock.lock();
            try {
                if (pending > 0) writePending();
            } finally {
                lock.unlock();
            }
            return;
        }
        OutputStream next = opener.open(file); // first: if it fails, the old file goes on
        OutputStream previous;
        lock.lock();
        try {
            if (closed) {
                previous = next; // the server stopped: nothing more to write
            } else {
                if (pending > 0) writePending();
                previous = out;
                out = next;
            }
        } finally {
            lock.unlock();
        }
        closeQuietly(previous);
    }

    /**
     * A server starts with this log: one closed by an earlier server's stop opens again (the file
     * appended to), and stays open until every server started with it has stopped.
     */
    @Override
    public void open() throws IOException {
        lock.lock();
        try {
            if (closed) {
                if (file != null) out = opener.open(file); // under the lock: a line logged meanwhile must not find the old, closed file
                closed = false;
                generation++;
                startFlushThread();
            }
            servers++;
        } finally {
            lock.unlock();
        }
    }

    /** Closes the log unless a server started with it runs (for a server that never ran). */
    void closeUnlessInUse() {
        lock.lock();
        try {
            if (servers == 0) close();
        } finally {
            lock.unlock();
        }
    }

    /**
     * A server stops (or the log is closed by whoever made it): once no server started with it runs,
     * writes the buffered lines and closes the file (a stream stays open); a line logged after this
     * is lost, with a warning.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) return;
            if (servers > 0 && --servers > 0) return; // another server still logs here
            closed = true;
            if (pending > 0) writePending();
            linesWaiting.signal();
            if (file != null) closeQuietly(out);
        } finally {
            lock.unlock();
        }
    }

    private static void closeQuietly(OutputStream stream) {
        try {
            stream.close();
        } catch (IOException e) {
            // nothing is buffered in the stream: no line is lost
        }
    }
}
