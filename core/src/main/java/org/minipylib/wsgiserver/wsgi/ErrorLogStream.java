package org.minipylib.wsgiserver.wsgi;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * {@code wsgi.errors}: a PrintStream whose lines go to the server's error log
 * ({@code System.Logger} {@code org.minipylib.wsgiserver.errors}, level WARNING).
 */
final class ErrorLogStream extends OutputStream {

    private static final System.Logger LOG = System.getLogger("org.minipylib.wsgiserver.errors");

    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    static PrintStream create() {
        return new PrintStream(new ErrorLogStream(), true, StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void write(int b) {
        if (b == '\n') {
            emit();
        } else if (line.size() < 64 * 1024) {
            line.write(b);
        }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) write(b[i]);
    }

    @Override
    public synchronized void flush() {
        if (line.size() > 0) emit();
    }

    private void emit() {
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        if (text.endsWith("\r")) text = text.substring(0, text.length() - 1);
        LOG.log(System.Logger.Level.WARNING, text);
    }
}
