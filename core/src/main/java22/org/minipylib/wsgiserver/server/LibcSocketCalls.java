package org.minipylib.wsgiserver.server;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@link DirectSocketCalls} through the foreign function API. {@code recv} and {@code send} are
 * linked as critical functions that may take heap memory: on a non-blocking socket they never
 * block, so the JVM may pass the array's own address without pinning it for long. Compiled for
 * Java 22 from {@code src/main/java22}.
 */
@SuppressWarnings("restricted") // the constructor checks native access first
final class LibcSocketCalls implements DirectSocketCalls {

    private static final int MSG_NOSIGNAL = 0x4000; // a peer gone is an error, not a signal
    private static final int F_DUPFD_CLOEXEC = 1030; // a duplicate that a started program does not inherit
    private static final int POLLIN = 0x1;
    private static final int POLLOUT = 0x4;
    private static final int POLLRDHUP = 0x2000;
    private static final int POLLERR = 0x8;
    private static final int POLLHUP = 0x10;
    private static final int IPPROTO_TCP = 6;
    private static final int TCP_INFO = 11;
    private static final int TCP_CLOSE = 7; // tcpi_state of a connection that is over (after a reset)
    private static final int TCP_INFO_NOTSENT_BYTES = 144; // offset of tcpi_notsent_bytes in struct tcp_info (Linux 4.6+)

    LibcSocketCalls() {
        // Checked first: calling a restricted method without consent prints a warning on standard error.
        if (!LibcSocketCalls.class.getModule().isNativeAccessEnabled()) {
            throw new IllegalStateException("native access is not enabled");
        }
        if (ADDRESS.byteSize() != Long.BYTES) { // size_t and ssize_t are linked as Java longs
            throw new IllegalStateException("not a 64-bit system");
        }
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) { // struct pollfd is filled as two ints
            throw new IllegalStateException("not a little-endian system");
        }
        Handles.link();
    }

    /** The downcalls, linked once; static final, so that the compiler inlines them. */
    private static final class Handles {
        static final MethodHandle RECV;
        static final MethodHandle SEND;
        static final MethodHandle FCNTL;
        static final MethodHandle CLOSE;
        static final MethodHandle POLL;
        static final MethodHandle GETSOCKOPT;

        static {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            Linker.Option heapAccess = Linker.Option.critical(true);
            FunctionDescriptor transfer = FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
            RECV = linker.downcallHandle(libc.find("recv").orElseThrow(), transfer, heapAccess);
            SEND = linker.downcallHandle(libc.find("send").orElseThrow(), transfer, heapAccess);
            FCNTL = linker.downcallHandle(libc.find("fcntl").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
            CLOSE = linker.downcallHandle(libc.find("close").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT));
            POLL = linker.downcallHandle(libc.find("poll").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), heapAccess); // timeout 0: never blocks
            GETSOCKOPT = linker.downcallHandle(libc.find("getsockopt").orElseThrow(), // a query: never blocks
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), heapAccess);
        }

        static void link() {
            // initialises the class
        }
    }

    @Override
    public int dup(int fd) {
        try {
            return (int) Handles.FCNTL.invokeExact(fd, F_DUPFD_CLOEXEC, 0);
        } catch (Throwable e) {
            return -1;
        }
    }

    @Override
    public void close(int fd) {
        try {
            int ignored = (int) Handles.CLOSE.invokeExact(fd);
        } catch (Throwable e) {
            // nothing more to do
        }
    }

    @Override
    public long recv(int fd, byte[] b, int off, int len) {
        return recvCall(fd, MemorySegment.ofArray(b).asSlice(off, len), len, 0);
    }

    @Override
    public long recv(int fd, ByteBuffer dst) {
        return recvCall(fd, MemorySegment.ofBuffer(dst), dst.remaining(), 0);
    }

    @Override
    public long send(int fd, byte[] b, int off, int len) {
        return sendCall(fd, MemorySegment.ofArray(b).asSlice(off, len), len, MSG_NOSIGNAL);
    }

    @Override
    public long send(int fd, ByteBuffer src) {
        return sendCall(fd, MemorySegment.ofBuffer(src), src.remaining(), MSG_NOSIGNAL);
    }

    @Override
    public boolean readable(int fd) {
        return poll(fd, POLLIN | POLLRDHUP) != 0; // -1: let the read tell
    }

    @Override
    public boolean writable(int fd) {
        return poll(fd, POLLOUT) != 0;
    }

    @Override
    public boolean hungUp(int fd) {
        int revents = poll(fd, 0); // no events asked for: POLLHUP and POLLERR are always reported
        return revents > 0 && (revents & (POLLHUP | POLLERR)) != 0;
    }

    @Override
    public int unsent(int fd) {
        int[] info = new int[64]; // struct tcp_info (232 bytes on Linux 6), filled as ints: little-endian
        int[] length = {info.length * Integer.BYTES};
        try {
            int result = (int) Handles.GETSOCKOPT.invokeExact(fd, IPPROTO_TCP, TCP_INFO, MemorySegment.ofArray(info),
                    MemorySegment.ofArray(length));
            if (result != 0 || length[0] < TCP_INFO_NOTSENT_BYTES + Integer.BYTES) return -1;
            if ((info[0] & 0xff) == TCP_CLOSE) return -1; // tcpi_state: reset, nothing more goes out
            return info[TCP_INFO_NOTSENT_BYTES / Integer.BYTES];
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@code poll} without waiting: the events found ({@code events}, or an error, or a hang-up), 0 if
     * none, -1 if the call failed.
     */
    private static int poll(int fd, int events) {
        int[] pollfd = {fd, events}; // struct pollfd: int fd; short events; short revents (0 here, little-endian)
        try {
            int n = (int) Handles.POLL.invokeExact(MemorySegment.ofArray(pollfd), 1L, 0);
            return n <= 0 ? n : pollfd[1] >>> 16; // revents: the high short
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private static long recvCall(int fd, MemorySegment bytes, int len, int flags) {
        try {
            return (long) Handles.RECV.invokeExact(fd, bytes, (long) len, flags);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) { // invokeExact declares it; a downcall throws nothing checked
            throw new IllegalStateException(e);
        }
    }

    private static long sendCall(int fd, MemorySegment bytes, int len, int flags) {
        try {
            return (long) Handles.SEND.invokeExact(fd, bytes, (long) len, flags);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }
}
