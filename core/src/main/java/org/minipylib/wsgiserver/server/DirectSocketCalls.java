package org.minipylib.wsgiserver.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The C library's {@code recv} and {@code send} on a connected socket, called through the foreign
 * function API (Java 22 and later) with the Java array or buffer passed as it is: no copy through
 * the JDK's temporary direct buffers, no channel lock, and {@code recv} instead of {@code read} (the
 * kernel's socket path without the file layer's). {@link SocketTransport} makes them for keep-alive
 * connections that wait on a {@link ReadinessLoop} (virtual workers, JDK 24 or later), on a duplicate
 * of the channel's descriptor ({@link DirectDescriptor}): the duplicate is closed by the transport
 * only, once no call of its own runs, so a number the JDK gives back (on close, or when a thread is
 * interrupted in a channel call) can never be another socket's under one of these calls.
 *
 * <p>A failed call returns -1 and the caller repeats it through the channel, which finds that it
 * would block or throws the JDK's exception for the error: failures are rare on this path, and
 * leaving {@code errno} out keeps the calls cheap. One error is reported once only: a reset that
 * {@code recv} meets would then read as the end of the stream, so the caller asks
 * {@link #hungUp(int)} before it takes an end of stream from the channel for one.
 * Anything else a call throws is a defect, not an I/O error, and propagates.
 */
interface DirectSocketCalls {

    /** Duplicates a descriptor, close-on-exec ({@code F_DUPFD_CLOEXEC}); -1 if that failed. */
    int dup(int fd);

    /** Closes a descriptor of ours. */
    void close(int fd);

    /** {@code recv(fd, b + off, len, 0)}: bytes read, 0 at the end of the stream, -1 on failure (also would block). */
    long recv(int fd, byte[] b, int off, int len);

    /** As the array form, into {@code dst} from its position to its limit; does not move its position. */
    long recv(int fd, ByteBuffer dst);

    /** {@code send(fd, b + off, len, MSG_NOSIGNAL)}: bytes taken, -1 on failure (also would block). */
    long send(int fd, byte[] b, int off, int len);

    /** As the array form, from {@code src}'s position to its limit; does not move its position. */
    long send(int fd, ByteBuffer src);

    /**
     * Whether a read would not find the socket empty right now (bytes, the end of the stream, or an
     * error): {@code poll} for {@code POLLIN}, without waiting (it consumes nothing, not even an error).
     */
    boolean readable(int fd);

    /** Whether a write would take bytes right now (or fail): {@code poll} for {@code POLLOUT}, without waiting. */
    boolean writable(int fd);

    /**
     * Whether the connection is over both ways ({@code poll}'s {@code POLLHUP} or {@code POLLERR},
     * without waiting): after a reset, unlike after the peer's FIN alone, which leaves it open our way.
     */
    boolean hungUp(int fd);

    /**
     * Bytes in the socket's send queue that the kernel has not sent yet, because the peer's receive
     * window is full (a FIN queued behind them counts one; what is sent and not yet acknowledged is
     * not counted): {@code TCP_INFO}'s {@code tcpi_notsent_bytes}. -1 if the connection is over (a
     * reset: its queue is never sent) or the call failed.
     */
    int unsent(int fd);

    /**
     * The calls, if this JVM can make them (Linux, Java 22 or later, {@code --enable-native-access}
     * and {@code --add-exports=java.base/sun.nio.ch} for this library); else null.
     */
    static DirectSocketCalls available() {
        return Loaded.CALLS;
    }

    /**
     * How many duplicates this process may hold for a server that admits at most
     * {@code maxConnections} connections: few enough that every connection it may admit still
     * finds a descriptor for its socket, with {@link #RESERVED_DESCRIPTORS} left for everything
     * else; never fewer than a quarter of the process's limit on descriptors (so a server whose
     * {@code maxConnections} is near that limit fits up to a quarter fewer connections than it
     * would without these calls). Past it, connections use the channel's calls. A count, not a
     * bound on the duplicate's number: a duplicate takes the lowest free number, which may be far
     * below its socket's.
     */
    static int duplicateBudget(int maxConnections) {
        long limit = Loaded.OPEN_FILES_LIMIT;
        if (limit >= Integer.MAX_VALUE) return Integer.MAX_VALUE; // "unlimited"
        return (int) Math.max(limit / 4, limit - maxConnections - RESERVED_DESCRIPTORS);
    }

    /** Descriptors {@link #duplicateBudget(int)} leaves for listeners, the JVM's files and the application's. */
    int RESERVED_DESCRIPTORS = 1024;

    /**
     * Counts a duplicate about to be made, if fewer than {@code budget} are held in this process
     * (the descriptor table is the process's); false if not. Each true is matched by one
     * {@link #duplicateGone()}.
     */
    static boolean reserveDuplicate(int budget) {
        AtomicInteger held = Loaded.DUPLICATES_HELD;
        while (true) {
            int n = held.get();
            if (n >= budget) return false;
            if (held.compareAndSet(n, n + 1)) return true;
        }
    }

    /** A duplicate counted by {@link #reserveDuplicate} was closed (or never made). */
    static void duplicateGone() {
        Loaded.DUPLICATES_HELD.decrementAndGet();
    }

    /** Duplicates held in this process now. */
    static int duplicatesHeld() {
        return Loaded.DUPLICATES_HELD.get();
    }

    /** Loaded once, at first use. */
    final class Loaded {
        static final DirectSocketCalls CALLS = load();
        static final long OPEN_FILES_LIMIT = openFilesLimit();
        static final AtomicInteger DUPLICATES_HELD = new AtomicInteger();

        private Loaded() {
        }

        private static DirectSocketCalls load() {
            if (!NativeAccess.onLinux() || Runtime.version().feature() < 22 || !NativeAccess.descriptorsReadable()) {
                return null;
            }
            try { // its constructor fails without native access
                return (DirectSocketCalls) Class.forName("org.minipylib.wsgiserver.server.LibcSocketCalls")
                        .getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                return null; // a Java 21 build, or no native access: the channel's calls serve
            }
        }

        /** The soft limit on open descriptors, from {@code /proc/self/limits}; 1024 if unreadable. */
        private static long openFilesLimit() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                    if (!line.startsWith("Max open files")) continue;
                    String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                    return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
                }
            } catch (IOException | RuntimeException e) {
                // below
            }
            return 1024;
        }
    }
}
