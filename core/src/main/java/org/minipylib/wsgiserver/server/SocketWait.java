package org.minipylib.wsgiserver.server;

import java.io.IOException;

/**
 * A socket's registration with a {@link ReadinessLoop}, as {@link SocketTransport} uses it: a
 * thread that would block reading or writing waits here instead. Two kinds: {@link ReadinessWait}
 * on the loop's level-triggered NIO selector, {@link EdgeWait} on an edge-triggered epoll of its own.
 */
interface SocketWait {

    /**
     * Parks until the socket is readable, the timeout passes, or the socket is closed; the caller
     * then reads, and calls {@link #readDone()} whatever the read gave.
     *
     * @param timeoutMillis longest wait; 0 waits forever
     * @throws java.net.SocketTimeoutException if nothing arrived in time
     * @throws IOException if the loop stopped while the socket is open
     */
    void awaitReadable(int timeoutMillis) throws IOException;

    /**
     * Like {@code awaitReadable(0)} without a thread waiting: {@code then} runs once the socket is
     * readable or closed, or the loop stopped (it must only hand the work to a thread of its own).
     * The caller must not touch the socket's state after a true return: {@code then} may have run already.
     *
     * @return true if {@code then} will run (or ran); false if bytes are known to be there: read them now
     */
    boolean awaitReadableThen(Runnable then);

    /**
     * {@link #awaitReadable(int)} for a transport's own wait before its read: if it fails, the
     * wait is over ({@link #readDone()}); else it is left woken, the loop ignoring the socket
     * until the read that follows calls {@code readDone()}.
     */
    default void awaitReadableBeforeRead(int timeoutMillis) throws IOException {
        try {
            awaitReadable(timeoutMillis);
        } catch (IOException | RuntimeException e) {
            readDone();
            throw e;
        }
    }

    /** True once no wake will come from the loop: the socket was closed, or the loop stopped. */
    boolean cancelled();

    /** After a read that followed a wait (whatever it gave). */
    void readDone();

    /** Parks until the socket takes more bytes, or is closed; the caller calls {@link #writeDone()} when its write is over. */
    void awaitWritable() throws IOException;

    /** After a write that waited, however it ended. */
    void writeDone();

    /** After the socket was closed: wakes parked threads (their read or write then fails). */
    void closed();

    /** True if bytes came while no one waited to read (for tests). */
    boolean isReadMuted();
}
