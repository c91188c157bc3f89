package org.minipylib.wsgiserver.http;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Equal-size byte arrays for reuse, such as the output buffers shared by the connections of one
 * server (or an application's body buffers). A connection holds a buffer only while
 * it answers requests and gives it back when it goes idle, so thousands of idle keep-alive
 * connections do not each keep one. Last in, first out: the buffer handed out next is the one given
 * back last, still in the CPU's cache, whichever thread takes it (a connection's virtual thread is
 * new for every connection, so a pool keyed by thread missed whenever connections were short-lived).
 *
 * <p>A keep-alive request takes and gives back two buffers, so the pool is built for an
 * uncontended take or give to cost one atomic instruction: the stack is guarded by a flag that is
 * tried, not locked. A thread that finds it taken spins a little, then yields a few times, and then
 * does without the pool (a take allocates, a give drops the buffer for the garbage collector): it
 * never blocks behind a holder the operating system has descheduled for long. A buffer given back to a
 * full pool is dropped too.
 */
public final class BufferPool {

    private static final int SPINS = 64;
    private static final int YIELDS = 8;
    private static final VarHandle HELD;

    static {
        try {
            HELD = MethodHandles.lookup().findVarHandle(BufferPool.class, "held", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int bufferSize;
    private final byte[][] stack; // guarded by held
    private int size; // guarded by held
    @SuppressWarnings("unused") // through HELD
    private volatile boolean held;

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
        if (hold()) {
            byte[] b = null;
            if (size > 0) {
                b = stack[--size];
                stack[size] = null;
            }
            HELD.setRelease(this, false);
            if (b != null) return b;
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
        if (hold()) {
            if (size < stack.length) stack[size++] = buffer;
            HELD.setRelease(this, false);
        }
        // else full, or busy for too long: let the garbage collector have it
    }

    /**
     * Takes the flag that guards the stack: tries {@value #SPINS} times, then yields up to
     * {@value #YIELDS} times between tries (a holder descheduled on this CPU, as platform workers
     * outnumbering the cores can be, then gets to finish); false if another thread kept it.
     */
    private boolean hold() {
        for (int i = 0; i < SPINS + YIELDS; i++) {
            // read before trying: a thread that waits must not take the flag's cache line from the holder
            if (!held && HELD.compareAndSet(this, false, true)) return true;
            if (i < SPINS) Thread.onSpinWait();
            else Thread.yield();
        }
        return false;
    }
}
