package org.minipylib.wsgiserver;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/** {@link AccessLog#toFile(Path, AccessLogFormat)}: lines appended to a file, which {@link #reopen()} opens again under its name. */
final class AccessLogFile implements AccessLog {

    private final Path file;
    private final AccessLogFormat format;
    private PrintStream out; // guarded by this

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
        synchronized (this) {
            out.println(line);
        }
    }

    @Override
    public void reopen() throws IOException {
        PrintStream next = open(file); // first: if it fails, the old file goes on
        PrintStream previous;
        synchronized (this) {
            previous = out;
            out = next;
        }
        previous.close();
    }

    @Override
    public synchronized void close() {
        out.close();
    }
}
