package org.minipylib.wsgiserver.http;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Output buffers shared by the connections of one server. A connection holds a buffer only while
 * it answers requests and gives it back when it goes idle, so thousands of idle keep-alive
 * connections do not each keep one. Lock-free: a thread looks at a few slots near one chosen by its
 * id; when none has a buffer it allocates one, and a buffer returned to a full pool is dropped.
 */
public final class BufferPool {

    private static final int PROBES = 4;

    private final int bufferSize;
    private final AtomicReferenceArray<byte[]> slots;
    private final int mask;

    /**
     * @param bufferSize size of every buffer, in bytes
     * @param maxPooled  most buffers kept for reuse (rounded up to a power of two)
     */
    public BufferPool(int bufferSize, int maxPooled) {
        if (bufferSize <= 0 || maxPooled <= 0) throw new IllegalArgumentException("sizes must be positive");
        this.bufferSize = bufferSize;
        int n = Integer.highestOneBit(Math.max(PROBES, maxPooled - 1)) << 1;
        this.slots = new AtomicReferenceArray<>(n);
        this.mask = n - 1;
    }

    /** Size of the buffers this pool hands out. */
    public int bufferSize() {
        return bufferSize;
    }

    /** A buffer of {@link #bufferSize()} bytes (contents undefined): a pooled one, or a new one. */
    byte[] take() {
        int start = start();
        for (int i = 0; i < PROBES; i++) {
            int slot = (start + i) & mask;
            if (slots.getPlain(slot) != null) {
                byte[] b = slots.getAndSet(slot, null);
                if (b != null) return b;
            }
        }
        return new byte[bufferSize];
    }

    /** Gives a buffer back for reuse; the caller must not touch it afterwards. */
    void give(byte[] buffer) {
        int start = start();
        for (int i = 0; i < PROBES; i++) {
            int slot = (start + i) & mask;
            if (slots.getPlain(slot) == null && slots.compareAndSet(slot, null, buffer)) return;
        }
        // full around here: let the garbage collector have it
    }

    private int start() {
        long id = Thread.currentThread().threadId();
        return (int) (id ^ (id >>> 16)) * PROBES;
    }
}
