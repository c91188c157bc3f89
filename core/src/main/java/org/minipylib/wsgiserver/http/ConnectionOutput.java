package org.minipylib.wsgiserver.http;

import java.io.IOException;

/**
 * The per-connection output buffer. Response heads and small bodies collect here and go out in one
 * write; responses to pipelined requests are batched until the connection would otherwise wait.
 * Large body pieces bypass the buffer. Records when a write began, so that a watchdog can close a
 * connection whose client stopped reading.
 */
final class ConnectionOutput {

    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static final int WRITE_SLICE = 64 * 1024;

    private final Transport transport;
    private final byte[] buf;
    private int count;
    private volatile long writeStartedNanos;
    private boolean failed;

    ConnectionOutput(Transport transport, int capacity) {
        this.transport = transport;
        this.buf = new byte[capacity];
    }

    boolean hasPending() {
        return count > 0;
    }

    /** System.nanoTime() when the current write began, or 0 when not writing. */
    long writeStartedNanos() {
        return writeStartedNanos;
    }

    /** True once a write to the transport failed: the client is gone or stopped reading. */
    boolean failed() {
        return failed;
    }

    void write(int b) throws IOException {
        if (count == buf.length) flush();
        buf[count++] = (byte) b;
    }

    void write(byte[] b) throws IOException {
        write(b, 0, b.length);
    }

    void write(byte[] b, int off, int len) throws IOException {
        if (len <= buf.length - count) {
            System.arraycopy(b, off, buf, count, len);
            count += len;
            return;
        }
        flush();
        if (len < buf.length) {
            System.arraycopy(b, off, buf, 0, len);
            count = len;
        } else {
            transportWrite(b, off, len);
        }
    }

    /** Writes an ASCII/ISO-8859-1 string (one byte per char, as HTTP heads are). */
    void writeLatin1(String s) throws IOException {
        int len = s.length();
        if (len > buf.length - count) {
            flush();
            if (len > buf.length) {
                write(s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                return;
            }
        }
        for (int i = 0; i < len; i++) {
            buf[count + i] = (byte) s.charAt(i);
        }
        count += len;
    }

    /** Writes a non-negative number in decimal. */
    void writeDecimal(long v) throws IOException {
        writeLatin1(Long.toString(v));
    }

    /** Writes a chunk-size line: hex length and CRLF. */
    void writeChunkSize(int size) throws IOException {
        if (buf.length - count < 10) flush();
        int digits = Math.max(1, (35 - Integer.numberOfLeadingZeros(size)) / 4);
        for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
            buf[count++] = HEX[(size >>> shift) & 0xf];
        }
        buf[count++] = '\r';
        buf[count++] = '\n';
    }

    void writeCrlf() throws IOException {
        if (buf.length - count < 2) flush();
        buf[count++] = '\r';
        buf[count++] = '\n';
    }

    void flush() throws IOException {
        if (count > 0) {
            int n = count;
            count = 0;
            transportWrite(buf, 0, n);
        }
    }

    /**
     * Writes in slices, restarting the write clock for each, so that the write timeout measures a
     * stall (no progress), not the time a large body takes to reach a slow but steady reader.
     */
    private void transportWrite(byte[] b, int off, int len) throws IOException {
        try {
            for (int done = 0; done < len; ) {
                int n = Math.min(WRITE_SLICE, len - done);
                writeStartedNanos = System.nanoTime() | 1; // never 0 while writing
                transport.write(b, off + done, n);
                done += n;
            }
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        } finally {
            writeStartedNanos = 0;
        }
    }
}
