package org.minipylib.wsgiserver.http;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Equal-size byte arrays for reuse, such as the output buffers shared by the connections of one
 * server (or an application's body buffers). A connection holds a buffer only while
 * it answers requests and gives it back when it goes idle, so thousands of idle keep-alive
 * connections do not each keep one. Last in, first out: the buffer handed out next is the one given
 * back last, still in the CPU's cache, whichever thread takes it (a connection's virtual thread is
 * new for every connection, so a pool keyed by thread missed whenever connections were short-lived).
 * The lock is held for a few instructions; a buffer given back to a full pool is dropped.
 */
public final class BufferPool {

    private final int bufferSize;
    private final byte[][] stack;
    private final ReentrantLock lock = new ReentrantLock();
    private int size; // guarded by lock

    /**
     * @param bufferSize size of every buffer, in bytes
     * @param maxPooled  most buffers kept for reuse
     */
    public BufferPool(int bufferSize, int maxPooled) {
        if (bufferSize <= 0 || maxPooled <= 0) throw new IllegalArgumentException("sizes must be positive");
        this.bufferSize = bufferSize;
        this.stack = new byte[maxPooled][];
    }

    /** Size of the buffers this pool hands out. */
    public int bufferSize() {
        return bufferSize;
    }

    /** A buffer of {@link #bufferSize()} bytes (contents undefined): the last one given back, or a new one. */
    public byte[] take() {
        lock.lock();
        try {
            if (size > 0) {
                byte[] b = stack[--size];
                stack[size] = null;
                return b;
            }
        } finally {
            lock.unlock();
        }
        return new byte[bufferSize];
    }

    /**
     * Gives a buffer taken from this pool back for reuse; the caller must not touch it afterwards,
     * nor give it back twice.
     *
     * @throws IllegalArgumentException if its size is not {@link #bufferSize()}
     */
    public void give(byte[] buffer) {
        if (buffer.length != bufferSize) throw new IllegalArgumentException("not a buffer of this pool: " + buffer.length + " bytes");
        lock.lock();
        try {
            if (size < stack.length) stack[size++] = buffer;
            // else full: let the garbage collector have it
        } finally {
            lock.unlock();
        }
    }
}
