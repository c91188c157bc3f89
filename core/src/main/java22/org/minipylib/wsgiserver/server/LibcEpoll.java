package org.minipylib.wsgiserver.server;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * {@link EdgeTriggeredEpoll} through the foreign function API: {@code epoll_create1},
 * {@code epoll_ctl}, {@code epoll_wait} and an {@code eventfd}. Calls that never block are linked as
 * critical functions. Compiled for Java 22 from {@code src/main/java22}; created by
 * {@link EdgeTriggeredEpoll#open()} only where {@link LibcSocketCalls} loaded (native access granted).
 */
@SuppressWarnings("restricted") // DirectSocketCalls.available() checked native access first
final class LibcEpoll implements EdgeTriggeredEpoll {

    private static final int EPOLL_CLOEXEC = 0x80000;
    private static final int EFD_CLOEXEC = 0x80000;
    private static final int EFD_NONBLOCK = 0x800;
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLL_CTL_MOD = 3;
    private static final int EPOLLIN = 0x1;
    private static final int EPOLLOUT = 0x4;
    private static final int EPOLLERR = 0x8;
    private static final int EPOLLHUP = 0x10;
    private static final int EPOLLRDHUP = 0x2000;
    private static final int EPOLLONESHOT = 1 << 30;
    private static final int EPOLLET = 1 << 31;
    private static final int READ_EVENTS = EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP;
    private static final int WRITE_EVENTS = EPOLLOUT | EPOLLERR | EPOLLHUP;
    private static final int MAX_EVENTS = 512;
    private static final long SLEEPER_TOKEN = 0; // the inner instance, in the outer one
    private static final long STOP_TOKEN = 1; // the eventfd, in the outer one

    // struct epoll_event { uint32_t events; uint64_t data; }: packed on x86-64 only
    private static final boolean PACKED = switch (System.getProperty("os.arch", "").toLowerCase(Locale.ROOT)) {
        case "amd64", "x86_64" -> true;
        default -> false;
    };
    private static final long EVENT_SIZE = PACKED ? 12 : 16;
    private static final long DATA_OFFSET = PACKED ? 4 : 8;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment events = arena.allocate(EVENT_SIZE * MAX_EVENTS, 8);
    private final MemorySegment sleeperEvents = arena.allocate(EVENT_SIZE * 2, 8);
    private final MemorySegment armEvent = arena.allocate(EVENT_SIZE, 8);
    private final int epfd;
    private final int outer;
    private final int stopFd;

    LibcEpoll() {
        Handles.link();
        epfd = create();
        int o = -1;
        int e = -1;
        try {
            o = create();
            e = eventfd();
            if (!control(o, EPOLL_CTL_ADD, e, EPOLLIN, STOP_TOKEN)) throw new IllegalStateException("epoll_ctl failed");
            if (!control(o, EPOLL_CTL_ADD, epfd, EPOLLIN | EPOLLONESHOT, SLEEPER_TOKEN)) {
                throw new IllegalStateException("epoll_ctl failed");
            }
        } catch (RuntimeException failure) {
            closeQuietly(epfd);
            closeQuietly(o);
            closeQuietly(e);
            arena.close();
            throw failure;
        }
        outer = o;
        stopFd = e;
        armEvent.set(JAVA_INT_UNALIGNED, 0, EPOLLIN | EPOLLONESHOT);
        armEvent.set(JAVA_LONG_UNALIGNED, DATA_OFFSET, SLEEPER_TOKEN);
    }

    /** The downcalls, linked once. */
    private static final class Handles {
        static final MethodHandle EPOLL_CREATE1;
        static final MethodHandle EPOLL_CTL;
        static final MethodHandle EPOLL_WAIT_NOW; // timeout 0: critical
        static final MethodHandle EPOLL_WAIT; // may block: an ordinary downcall
        static final MethodHandle EVENTFD;
        static final MethodHandle WRITE;
        static final MethodHandle CLOSE;

        static {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            Linker.Option heapAccess = Linker.Option.critical(true);
            EPOLL_CREATE1 = linker.downcallHandle(libc.find("epoll_create1").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT));
            EPOLL_CTL = linker.downcallHandle(libc.find("epoll_ctl").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), heapAccess);
            FunctionDescriptor wait = FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
            EPOLL_WAIT_NOW = linker.downcallHandle(libc.find("epoll_wait").orElseThrow(), wait,
                    Linker.Option.critical(false));
            EPOLL_WAIT = linker.downcallHandle(libc.find("epoll_wait").orElseThrow(), wait);
            EVENTFD = linker.downcallHandle(libc.find("eventfd").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
            WRITE = linker.downcallHandle(libc.find("write").orElseThrow(),
                    FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), heapAccess);
            CLOSE = linker.downcallHandle(libc.find("close").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        }

        static void link() {
            // initialises the class
        }
    }

    @Override
    public boolean add(int fd, long token) {
        return control(epfd, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, token);
    }

    @Override
    public int poll() {
        try {
            int n = (int) Handles.EPOLL_WAIT_NOW.invokeExact(epfd, events, MAX_EVENTS, 0);
            return Math.max(n, 0); // -1: interrupted by a signal; the next poll tells
        } catch (Throwable e) {
            throw rethrown(e);
        }
    }

    @Override
    public long token(int i) {
        return events.get(JAVA_LONG_UNALIGNED, i * EVENT_SIZE + DATA_OFFSET);
    }

    @Override
    public int ready(int i) {
        int ev = events.get(JAVA_INT_UNALIGNED, i * EVENT_SIZE);
        return ((ev & READ_EVENTS) != 0 ? READABLE : 0) | ((ev & WRITE_EVENTS) != 0 ? WRITABLE : 0)
                | ((ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0 ? PEER_CLOSED : 0);
    }

    @Override
    public boolean armSleep() {
        try {
            return (int) Handles.EPOLL_CTL.invokeExact(outer, EPOLL_CTL_MOD, epfd, armEvent) == 0;
        } catch (Throwable e) {
            throw rethrown(e);
        }
    }

    @Override
    public boolean sleep() {
        try {
            int n = (int) Handles.EPOLL_WAIT.invokeExact(outer, sleeperEvents, 2, -1); // -1: a signal, none found
            for (int i = 0; i < n; i++) {
                if (sleeperEvents.get(JAVA_LONG_UNALIGNED, i * EVENT_SIZE + DATA_OFFSET) == STOP_TOKEN) return true;
            }
            return false;
        } catch (Throwable e) {
            throw rethrown(e);
        }
    }

    @Override
    public void wakeSleeper() {
        try {
            long ignored = (long) Handles.WRITE.invokeExact(stopFd, MemorySegment.ofArray(new long[] {1}), 8L);
        } catch (Throwable e) {
            throw rethrown(e);
        }
    }

    @Override
    public void close() {
        closeQuietly(epfd);
        closeQuietly(outer);
        closeQuietly(stopFd);
        arena.close();
    }

    private static int create() {
        try {
            return descriptor((int) Handles.EPOLL_CREATE1.invokeExact(EPOLL_CLOEXEC), "epoll_create1");
        } catch (Throwable e) {
            throw rethrown(e);
        }
    }

    private static int eventfd() {
        try {
            return descriptor((int) Handles.EVENTFD.invokeExact(0, EFD_CLOEXEC | EFD_NONBLOCK), "eventfd");
        } catch (Throwable e) {
            throw rethrown(e);
        }
    }

    private static int descriptor(int fd, String call) {
        if (fd < 0) throw new IllegalStateException(call + " failed");
        return fd;
    }

    private static boolean control(int epfd, int op, int fd, int eventBits, long token) {
        long[] event = new long[2]; // room for either layout of struct epoll_event
        MemorySegment s = MemorySegment.ofArray(event);
        s.set(JAVA_INT_UNALIGNED, 0, eventBits);
        s.set(JAVA_LONG_UNALIGNED, DATA_OFFSET, token);
        try {
            return (int) Handles.EPOLL_CTL.invokeExact(epfd, op, fd, s) == 0;
        } catch (Throwable e) {
            throw rethrown(e);
        }
    }

    private static void closeQuietly(int fd) {
        if (fd < 0) return;
        try {
            int ignored = (int) Handles.CLOSE.invokeExact(fd);
        } catch (Throwable e) {
            // nothing more to do
        }
    }

    private static RuntimeException rethrown(Throwable e) {
        if (e instanceof RuntimeException r) throw r;
        if (e instanceof Error error) throw error;
        return new IllegalStateException(e); // a downcall throws nothing checked
    }
}
