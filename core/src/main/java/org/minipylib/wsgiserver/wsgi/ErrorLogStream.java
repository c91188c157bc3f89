package org.minipylib.wsgiserver.wsgi;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code wsgi.errors}: a PrintStream whose lines go to the server's error log
 * ({@code System.Logger} {@code org.minipylib.wsgiserver.errors}, level WARNING). Its lock is no
 * monitor: the logger may wait (its handler writes to a pipe whose reader stalls), and before JDK 24
 * a virtual thread that waits holding a monitor, or to enter one, pins its carrier.
 */
final class ErrorLogStream extends OutputStream {

    private static final System.Logger LOG = System.getLogger("org.minipylib.wsgiserver.errors");

    private final ReentrantLock lock = new ReentrantLock();
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(); // guarded by lock
    private final PrintStream printStream = new PrintStream(this, true, StandardCharsets.UTF_8);
    private volatile boolean closed;

    /** The stream applications write to. A plain PrintStream: a subclass would lock with monitors. */
    PrintStream printStream() {
        return printStream;
    }

    /**
     * True once the PrintStream was closed (by an application's try-with-resources, say): it
     * writes nothing any more, so the server gives out a new one.
     */
    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        flush();
        closed = true;
    }

    @Override
    public void write(int b) {
        lock.lock();
        try {
            append(b);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void write(byte[] b, int off, int len) {
        lock.lock();
        try {
            for (int i = off; i < off + len; i++) append(b[i]);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void flush() {
        lock.lock();
        try {
            if (line.size() > 0) emit();
        } finally {
            lock.unlock();
        }
    }

    private void append(int b) {
        if (b == '\n') {
            emit();
        } else if (line.size() < 64 * 1024) {
            line.write(b);
        }
    }

    private void emit() {
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        if (text.endsWith("\r")) text = text.substring(0, text.length() - 1);
        LOG.log(System.Logger.Level.WARNING, text);
    }
}
