package org.minipylib.wsgiserver.server;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;

/**
 * A {@link SocketTransport}'s own duplicate of its channel's descriptor, for the direct calls of
 * {@link DirectSocketCalls}, and the calls on it.
 *
 * <p>Why a duplicate: the JDK closes the channel's descriptor when it must (on {@code close()} from
 * any thread, or when a thread is interrupted in a channel call), and holds the number back only
 * for its own calls under way. A {@code recv} or {@code send} made through the foreign function API
 * is not one of those: on the channel's number, it could run after the close, on whatever socket
 * the number was given to next, and read another client's bytes or write into its response. A
 * duplicate is closed by this class only, once no call of ours runs on it.
 *
 * <p>How: one atomic {@code state} counts the calls under way, plus two flags. {@link #close()}
 * sets {@code CLOSED}: no call starts after it ({@link #enter()} undoes its count and fails). The
 * descriptor is closed ("released", flag {@code RELEASED}) by whoever sees the state come to
 * exactly {@code CLOSED}, that is closed with no call left: {@link #close()} itself if none ran, else
 * the last call's {@link #exit()}. The release is a compare-and-set from {@code CLOSED} to
 * {@code CLOSED | RELEASED}, so it happens once however those race, and never while a call that
 * entered runs. A close before the duplicate exists finds none to release: {@link #duplicate}
 * looks at the state after it publishes the descriptor (close sets the state, then looks at the
 * descriptor: one of them sees the other), and releases it then. The release first has the loop
 * forget its wait on the descriptor ({@link #watchedBy}), whose number may be reused once closed.
 */
final class DirectDescriptor {

    private static final DirectSocketCalls CALLS = DirectSocketCalls.available(); // not null in any instance
    private static final int CLOSED = 1 << 30; // no new call may start
    private static final int RELEASED = 1 << 29; // the descriptor is closed (by whoever saw the count reach zero)
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(DirectDescriptor.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int duplicateBudget; // duplicates the process may hold when this one would be made
    private volatile int fd = -1;
    private volatile int state; // calls under way, plus CLOSED and RELEASED
    private volatile EdgeWait registration; // the loop's wait on our descriptor, if any: forgotten before it closes

    private DirectDescriptor(int duplicateBudget) {
        this.duplicateBudget = duplicateBudget;
    }

    /**
     * One for a connection of a server that admits at most {@code maxConnections} (see
     * {@link DirectSocketCalls#duplicateBudget}), with no duplicate yet; null if this JVM cannot make
     * the calls.
     */
    static DirectDescriptor forConnection(int maxConnections) {
        return CALLS == null ? null : new DirectDescriptor(DirectSocketCalls.duplicateBudget(maxConnections));
    }

    /** Duplicates the channel's descriptor, if the process's budget allows; without one the channel's calls serve. */
    void duplicate(SocketChannel channel) {
        int channelFd = NativeAccess.fdOf(channel);
        if (channelFd < 0) return;
        if (!DirectSocketCalls.reserveDuplicate(duplicateBudget)) return;
        int own = CALLS.dup(channelFd);
        if (own < 0) {
            DirectSocketCalls.duplicateGone();
            return;
        }
        // Open after the dup, so open during it (a channel never reopens): the number was still this socket's.
        if (!channel.isOpen()) {
            CALLS.close(own);
            DirectSocketCalls.duplicateGone();
            return;
        }
        fd = own;
        if ((state & CLOSED) != 0) release(); // closed meanwhile: close() may have missed it
    }

    /** True once {@link #duplicate} made the descriptor (also after it is released: calls then fail). */
    boolean isDuplicated() {
        return fd >= 0;
    }

    /**
     * Starts a use of {@link #fd()}: false if closed (the descriptor may be gone). Each true is
     * matched by one {@link #exit()}; until then the descriptor stays open.
     */
    boolean enter() {
        if (((int) STATE.getAndAdd(this, 1) & CLOSED) == 0) return true;
        exit();
        return false;
    }

    /** Ends a use begun by {@link #enter()}; the last one after a close releases the descriptor. */
    void exit() {
        if ((int) STATE.getAndAdd(this, -1) - 1 == CLOSED) release();
    }

    /** The descriptor's number: for use between {@link #enter()} and {@link #exit()} only. */
    int fd() {
        return fd;
    }

    /** Records the loop's wait on the descriptor (between enter and exit): the release forgets it first. */
    void watchedBy(EdgeWait wait) {
        registration = wait;
    }

    /** True once {@link #close()} ran. */
    boolean isClosed() {
        return (state & CLOSED) != 0;
    }

    /** {@code recv} into the array's range: as {@link DirectSocketCalls#recv(int, byte[], int, int)}. */
    long recv(byte[] b, int off, int len) throws ClosedChannelException {
        return call(false, b, off, len, null);
    }

    /** {@code recv} into {@code dst}: as {@link DirectSocketCalls#recv(int, ByteBuffer)}. */
    long recv(ByteBuffer dst) throws ClosedChannelException {
        return call(false, null, 0, 0, dst);
    }

    /** {@code send} from the array's range: as {@link DirectSocketCalls#send(int, byte[], int, int)}. */
    long send(byte[] b, int off, int len) throws ClosedChannelException {
        return call(true, b, off, len, null);
    }

    /** {@code send} from {@code src}: as {@link DirectSocketCalls#send(int, ByteBuffer)}. */
    long send(ByteBuffer src) throws ClosedChannelException {
        return call(true, null, 0, 0, src);
    }

    /** {@code send} or {@code recv} of {@code buffer} if not null, else of the array's range; never once closed. */
    private long call(boolean send, byte[] b, int off, int len, ByteBuffer buffer) throws ClosedChannelException {
        if (!enter()) throw new ClosedChannelException();
        try {
            int own = fd;
            if (buffer != null) return send ? CALLS.send(own, buffer) : CALLS.recv(own, buffer);
            return send ? CALLS.send(own, b, off, len) : CALLS.recv(own, b, off, len);
        } finally {
            exit();
        }
    }

    /** Whether the connection is over both ways: see {@link DirectSocketCalls#hungUp}. */
    boolean hungUp() throws ClosedChannelException {
        if (!enter()) throw new ClosedChannelException(); // the descriptor must stay open while asked
        try {
            return CALLS.hungUp(fd);
        } finally {
            exit();
        }
    }

    /** For edge-triggered waits: whether a read would find something now; true once closed (the read then fails). */
    boolean readable() {
        return ready(false);
    }

    /** For edge-triggered waits: whether a write would take bytes now; true once closed (the write then fails). */
    boolean writable() {
        return ready(true);
    }

    private boolean ready(boolean write) {
        if (!enter()) return true;
        try {
            return write ? CALLS.writable(fd) : CALLS.readable(fd);
        } finally {
            exit();
        }
    }

    /** No call starts from now on; the descriptor closes now, or when the last call under way ends. */
    void close() {
        if (((int) STATE.getAndBitwiseOr(this, CLOSED) & ~CLOSED) == 0) release();
    }

    /** Closes the descriptor, once: after close(), when no call runs. */
    private void release() {
        int own = fd;
        if (own >= 0 && STATE.compareAndSet(this, CLOSED, CLOSED | RELEASED)) {
            EdgeWait wait = registration;
            if (wait != null) wait.deregister(); // first: the number may be reused once closed
            CALLS.close(own);
            DirectSocketCalls.duplicateGone();
        }
    }
}
