package org.minipylib.wsgiserver.jdkhttp;

import java.io.IOException;
import java.io.InputStream;

/**
 * The request body as an exchange hands it out: the server's framed body (Content-Length or
 * chunked, with {@code 100 Continue} sent at the first read if the client asked for it), which
 * refuses reads once closed. Closing does not read the rest: the server reads or discards it after
 * the exchange, within its limits.
 */
final class RequestStream extends InputStream {

    private final InputStream body;
    private boolean closed;

    RequestStream(InputStream body) {
        this.body = body;
    }

    @Override
    public int read() throws IOException {
        ensureOpen();
        return body.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        ensureOpen();
        return body.read(b, off, len);
    }

    @Override
    public int available() throws IOException {
        ensureOpen();
        return body.available();
    }

    @Override
    public void close() {
        closed = true;
    }

    private void ensureOpen() throws IOException {
        if (closed) throw new IOException("Stream is closed");
    }
}
