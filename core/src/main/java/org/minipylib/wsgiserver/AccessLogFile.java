package org.minipylib.wsgiserver;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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

    private final Path file;
    private final AccessLogFormat format;
    private final ReentrantLock lock = new ReentrantLock();
    private PrintStream out; // guarded by lock

    AccessLogFile(Path file, AccessLogFormat format) throws IOException {
        this.file = file;
        this.format = Objects.requireNonNull(format, "format");
        this.out = open(file);
    }

    private static PrintStream open(Path file) throws IOException {
        return new PrintStream(Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE), true, StandardCharsets.UTF_8);
    }

    @Override
    public void log(AccessLogEntry entry) {
        String line = format.format(entry); // outside the lock
        lock.lock();
        try {
            out.println(line);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void reopen() throws IOException {
        PrintStream next = open(file); // first: if it fails, the old file goes on
        PrintStream previous;
        lock.lock();
        try {
            previous = out;
            out = next;
        } finally {
            lock.unlock();
        }
        previous.close();
    }

    @Override
    public void close() {
        lock.lock();
        try {
            out.close();
        } finally {
            lock.unlock();
        }
    }
}
