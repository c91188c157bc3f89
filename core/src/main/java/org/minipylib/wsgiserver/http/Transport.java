package org.minipylib.wsgiserver.http;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * A connected byte stream to one client: a plain TCP socket, or a TLS session on top of one. The
 * HTTP layer reads and writes through this and knows nothing else of the network.
 *
 * <p>One thread at a time reads, and one at a time writes, not necessarily the same: a write may
 * come while another thread waits in a read (held pipelined responses, a TLS close_notify), and
 * must wait for a full socket then as it would otherwise. {@link #close()} may be called from any
 * thread and makes a blocked read or write fail at once.
 */
public interface Transport {

    /**
     * Reads up to {@code len} bytes, blocking until at least one is available (with {@code len} 0,
     * returns 0 at once, as {@link java.io.InputStream#read(byte[], int, int)} does).
     *
     * @param timeoutMillis longest wait; 0 waits forever
     * @return bytes read, or -1 at end of stream
     * @throws java.net.SocketTimeoutException if nothing arrived in time (the transport stays usable)
     */
    int read(byte[] b, int off, int len, int timeoutMillis) throws IOException;

    /**
     * Reads up to {@code dst.remaining()} bytes into {@code dst} (advancing its position), as
     * {@link #read(byte[], int, int, int)} does. A transport that can should read into a direct
     * buffer without a copy through the Java heap (and say so in {@link #readsBuffersDirectly()});
     * by default the bytes go through a new array.
     *
     * @return bytes read, or -1 at end of stream
     * @throws IllegalArgumentException if {@code dst} is read-only (before reading anything)
     */
    default int read(ByteBuffer dst, int timeoutMillis) throws IOException {
        if (dst.isReadOnly()) throw new IllegalArgumentException("Read-only buffer"); // before any byte is taken
        if (dst.hasArray()) {
            int n = read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining(), timeoutMillis);
            if (n > 0) dst.position(dst.position() + n);
            return n;
        }
        byte[] bytes = new byte[Math.min(dst.remaining(), 16 * 1024)]; // a read rarely brings more
        int n = read(bytes, 0, bytes.length, timeoutMillis);
        if (n > 0) dst.put(bytes, 0, n);
        return n;
    }

    /**
     * True if {@link #read(ByteBuffer, int)} would now read into a direct buffer without an array in
     * between; else the HTTP layer reads through its own buffer instead. False by default. Asked by
     * the reading thread right before the read it is about: a transport may base the answer on
     * what has arrived and hold it for that next read only (a blocking socket does).
     */
    default boolean readsBuffersDirectly() {
        return false;
    }

    /**
     * True if {@link #awaitReadable(int)} would now wait for input without a buffer to read into;
     * a connection waiting for its next request then lends its input buffer back meanwhile, so
     * that idle keep-alive connections hold none. False by default.
     */
    default boolean waitsWithoutBuffer() {
        return false;
    }

    /**
     * Waits until a read would find bytes, end of stream or an error, without reading; called only
     * right after {@link #waitsWithoutBuffer()} said true, and followed by a {@link #read}. That
     * read alone may return 0: the bytes that arrived are not input yet (part of a TLS record), and
     * the caller waits again.
     *
     * @param timeoutMillis longest wait; 0 waits forever
     * @throws java.net.SocketTimeoutException if nothing arrived in time
     */
    default void awaitReadable(int timeoutMillis) throws IOException {
    }

    /**
     * {@link #awaitReadable(int) awaitReadable(0)} without a thread waiting: arranges for
     * {@code then} to run once a read would find bytes, end of stream or an error (or the transport
     * is closed); {@code then} must only start the thread that reads. As after {@link #awaitReadable},
     * that read may return 0 (a wake for bytes read already), and the caller waits again. Called only right after
     * {@link #waitsWithoutBuffer()} said true. The caller must not use the transport after a true
     * return: {@code then} may be running already.
     *
     * @return true if {@code then} will run; false to read at once instead (by default: this
     *         transport cannot wait without a thread)
     */
    default boolean awaitReadableThen(Runnable then) throws IOException {
        return false;
    }

    /** Writes all of {@code b[off, off+len)}, blocking until the operating system took it. */
    void write(byte[] b, int off, int len) throws IOException;

    /**
     * Writes all of {@code a[aOff, aOff+aLen)} and then all of {@code b[bOff, bOff+bLen)}: a response
     * head and a large body piece. A transport that can should send both in one system call (a
     * gathering write); by default, two writes.
     */
    default void write(byte[] a, int aOff, int aLen, byte[] b, int bOff, int bLen) throws IOException {
        write(a, aOff, aLen);
        write(b, bOff, bLen);
    }

    /**
     * Writes all of {@code head[headOff, headOff+headLen)} (none if {@code headLen} is 0) and then the
     * remaining bytes of {@code body}, moving its position to its limit. A transport that can should
     * write a direct buffer without copying it into the Java heap, and both pieces in one system call;
     * by default the body is copied into an array (the HTTP layer passes at most 32 KiB at a time).
     */
    default void write(byte[] head, int headOff, int headLen, ByteBuffer body) throws IOException {
        int len = body.remaining();
        byte[] bytes;
        int off;
        if (body.hasArray()) {
            bytes = body.array();
            off = body.arrayOffset() + body.position();
        } else {
            bytes = new byte[len];
            body.get(body.position(), bytes);
            off = 0;
        }
        if (headLen > 0) write(head, headOff, headLen, bytes, off, len);
        else write(bytes, off, len);
        body.position(body.limit());
    }

    /**
     * Has the operating system send {@code count} bytes of {@code file} from {@code position} to
     * the client without them passing through the Java heap ({@link FileChannel#transferTo}), and
     * without moving the file's own position. At a full socket a transport may wait, as a write does,
     * or return what it sent so far; the caller writes what is left itself (an ordinary write waits),
     * then may call again.
     *
     * @return the bytes sent, fewer than {@code count} if the file ended or the transport returned at
     *         a full socket; -1 if this transport cannot send files (the default: a TLS connection
     *         must encrypt them), and the caller reads and writes them instead
     */
    default long transferFrom(FileChannel file, long position, long count) throws IOException {
        return -1;
    }

    /**
     * True if bytes from the client are waiting to be read. Safe to call from another thread while
     * a read is blocked.
     */
    boolean hasPendingInput();

    /**
     * Told when a connection's first request turns out to keep the connection open (keep-alive),
     * before its body is read and its response written. A transport that serves a new connection in
     * a mode of its own until then may move now to the mode it serves every later request in, so
     * that the first request's body and response take the same code as the rest. Does nothing by
     * default.
     */
    default void expectMoreRequests() throws IOException {}

    /**
     * True if input has begun to arrive that cannot be handed over yet (over TLS: part of a record,
     * kept until the rest comes): for a connection waiting for its next request, a request begun,
     * as part of a head is. False by default. Safe to call from another thread while a read is
     * blocked; ask it after {@link #hasPendingInput()}, whose input a read may turn into this.
     */
    default boolean inputBegun() {
        return false;
    }

    /**
     * {@link #read(byte[], int, int, int) read(b, off, len, 0)} for a connection waiting for its next
     * request that {@link #waitsWithoutBuffer()} said must read rather than wait without a buffer.
     * A transport whose input may turn out to carry nothing (over TLS: part of a record, or a whole
     * record without data, a key update) may return 0 then, once it has looked at what arrived,
     * instead of blocking for more; the caller waits again (without a buffer if it can by then).
     */
    default int readWhenIdle(byte[] b, int off, int len) throws IOException {
        return read(b, off, len, 0);
    }

    /**
     * Reads what has arrived, without waiting for more: 0 if nothing has, or nothing that can be
     * handed over yet (over TLS: part of a record, whose rest the caller waits for as it would
     * for any input); else as {@link #read(byte[], int, int, int)}.
     */
    default int readArrived(byte[] b, int off, int len) throws IOException {
        return hasPendingInput() ? read(b, off, len, 0) : 0;
    }

    /** Half-closes: no more writes; the client sees end of stream while we may still read. */
    void shutdownOutput() throws IOException;

    /**
     * Closes after a complete exchange when nothing more is read from the client: ends the output
     * cleanly first (TLS: close_notify, so the client sees a clean end, not a truncation), then
     * closes. A plain socket overrides this to close at once: its close sends the FIN anyway, and
     * a shutdown first would cost a system call per connection.
     */
    default void closeCleanly() {
        try {
            shutdownOutput();
        } catch (IOException e) {
            // closing anyway
        }
        close();
    }

    /**
     * True if {@link #closeCleanly()} sends the client something before closing (a TLS
     * close_notify), so that closing an idle connection is a write too; false by default.
     */
    default boolean closesWithMessage() {
        return false;
    }

    /**
     * Makes the next {@link #close()} a reset (TCP RST, {@code SO_LINGER} 0) where the transport can:
     * for a response cut off whose end the client would otherwise take for the whole of it (one
     * delimited by the connection's close). Does nothing by default.
     */
    default void resetOnClose() {
    }

    /**
     * Bytes written to the connection so far (over TLS or the PROXY protocol, to the socket below), as
     * seen by the thread that asks; -1 if the transport does not count them (the default).
     */
    default long bytesWritten() {
        return -1;
    }

    /**
     * Bytes written that the kernel holds but has not sent yet, because the client's receive window
     * is full (over TLS or the PROXY protocol, of the socket below); 0 once all has gone out (it may
     * still be in flight); -1 if the transport cannot tell (the default; a closed one). Asked when the
     * server closes a connection (see HttpConnection's CLOSING).
     */
    default int unsentBytes() {
        return -1;
    }

    /**
     * About how much heap a connection over this transport holds while a write waits for a client
     * that does not read (its buffers, its thread's stack): what the server counts against its
     * stalled-write budget. Measured for plain TCP at about 7 KiB.
     */
    default int heapHeldWhileWriting() {
        return 8 * 1024;
    }

    /** The server-side address the client connected to. */
    SocketAddress localAddress();

    /** The client's address. */
    SocketAddress remoteAddress();

    /** {@code http} or {@code https}. */
    String scheme();

    /** The TLS session of this connection, or {@code null} on a plain connection. */
    default javax.net.ssl.SSLSession sslSession() {
        return null;
    }

    /**
     * What a proxy in front said about the client's TLS connection to it (PROXY protocol v2), or
     * {@code null}: not proxied, or the client did not use TLS, or this transport does TLS itself
     * (then {@link #sslSession()} describes the connection).
     */
    default ProxiedTls proxiedTls() {
        return null;
    }

    /** Closes the connection; idempotent and thread-safe. */
    void close();
}
