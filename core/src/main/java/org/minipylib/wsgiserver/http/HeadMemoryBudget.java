package org.minipylib.wsgiserver.http;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of request heads a server may hold beyond each connection's first input buffer
 * ({@link HttpConnection#INPUT_BUFFER_SIZE}), over all its connections ({@link HttpLimits#maxHeadMemory()}).
 * A connection's buffer grows for a long head only while the budget has room; a head that finds
 * none is refused with 503 and its connection closed. Without it, clients that each send a head
 * just under the size limit and hold it there could fill the heap: 8000 such connections of 31 KB
 * ended a server with a 256 MiB heap. Lock-free: a take is a compare-and-set, only when a buffer grows.
 */
public final class HeadMemoryBudget {

    private final long capacity;
    private final AtomicLong left;

    /** A budget of {@code bytes} (> 0). */
    public HeadMemoryBudget(long bytes) {
        if (bytes <= 0) throw new IllegalArgumentException("the head memory budget must be > 0, got " + bytes);
        this.capacity = bytes;
        this.left = new AtomicLong(bytes);
    }

    /** Takes {@code n} bytes if that many are left; false (taking none) if not. */
    boolean tryTake(int n) {
        while (true) {
            long l = left.get();
            if (l < n) return false;
            if (left.compareAndSet(l, l - n)) return true;
        }
    }

    /** Gives back {@code n} bytes taken before. */
    void give(int n) {
        left.addAndGet(n);
    }

    /** The bytes the budget has. */
    public long capacity() {
        return capacity;
    }

    /** The bytes not held by any connection now. */
    public long available() {
        return left.get();
    }
}
