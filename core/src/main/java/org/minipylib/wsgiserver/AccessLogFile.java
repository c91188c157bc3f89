package org.minipylib.wsgiserver;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@link AccessLog#toFile(Path, AccessLogFormat)}: lines appended to a file, which {@link #reopen()}
 * opens again under its name. Its lock is no monitor: a write may wait (the file may be a pipe, as
 * {@code /dev/stdout} is when piped to a reader that stalls), and before JDK 24 a virtual thread
 * that waits holding a monitor, or to enter one, pins its carrier.
 */
final class AccessLogFile implements AccessLog {

    private static final System.Logger LOG = System.getLogger(AccessLogFile.class.getName());

    private final Path file;
    private final AccessLogFormat format;
    private final ReentrantLock lock = new ReentrantLock();
    private OutputStream out; // guarded by lock
    private boolean failing; // the last write failed (warned of once, until a write succeeds); guarded by lock
    private byte[] bytes = new byte[512]; // the line being written, reused; guarded by lock

    AccessLogFile(Path file, AccessLogFormat format) throws IOException {
        this.file = file;
        this.format = Objects.requireNonNull(format, "format");
        this.out = open(file);
    }

    /** Unbuffered: each line is one write system call, in the file as soon as it is logged. */
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
            if (bytes.length < length + 1) bytes = new byte[Math.max(length + 1, bytes.length * 2)];
            line.getBytes(0, length, bytes, 0);
            bytes[length] = '\n';
            out.write(bytes, 0, length + 1);
            failing = false;
        } catch (IOException e) {
            if (!failing) LOG.log(System.Logger.Level.WARNING, "Writing the access log " + file + " failed; lines are lost until it works again", e);
            failing = true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void reopen() throws IOException {
        OutputStream next = open(file); // first: if it fails, the old file goes on
        OutputStream previous;
        lock.lock();
        try {
            previous = out;
            out = next;
        } finally {
            lock.unlock();
        }
        closeQuietly(previous);
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closeQuietly(out);
        } finally {
            lock.unlock();
        }
    }

    private static void closeQuietly(OutputStream stream) {
        try {
            stream.close();
        } catch (IOException e) {
            // nothing was buffered: no line is lost
        }
    }
}
