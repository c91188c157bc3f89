package org.minipylib.wsgiserver.server;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * {@code setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds, 4)} through the foreign function
 * API. Compiled for Java 22 (where the API is final) from {@code src/main/java22}; loaded by
 * {@link DeferredAccept} only on Java 22 or later.
 */
final class NativeDeferredAccept implements DeferredAccept.DeferAcceptCall {

    private static final int IPPROTO_TCP = 6;
    private static final int TCP_DEFER_ACCEPT = 9; // linux/tcp.h

    @Override
    public String setDeferAccept(int fd, int seconds) {
        // Checked first: calling a restricted method without consent prints a warning on standard error.
        if (!NativeDeferredAccept.class.getModule().isNativeAccessEnabled()) {
            return "start the JVM with --enable-native-access=" + DeferredAccept.flagTarget() + " to set it";
        }
        try (Arena arena = Arena.ofConfined()) {
            if (Setsockopt.HANDLE == null) return "the C library has no setsockopt";
            MemorySegment state = arena.allocate(Setsockopt.CALL_STATE);
            MemorySegment value = arena.allocateFrom(JAVA_INT, seconds);
            int result = (int) Setsockopt.HANDLE.invokeExact(state, fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, value,
                    (int) JAVA_INT.byteSize());
            if (result == 0) return null;
            return "setsockopt failed with errno " + (int) Setsockopt.ERRNO.get(state, 0L);
        } catch (Throwable e) {
            return "setsockopt failed: " + e + (e.getCause() == null ? "" : ", " + e.getCause());
        }
    }

    /** The downcall, made once (the first costs about 0.1 s: the foreign function API starting up). */
    @SuppressWarnings("restricted") // native access is checked before this class is first used
    private static final class Setsockopt {
        static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
        static final VarHandle ERRNO = CALL_STATE.varHandle(PathElement.groupElement("errno"));
        static final MethodHandle HANDLE;

        static {
            Linker linker = Linker.nativeLinker();
            HANDLE = linker.defaultLookup().find("setsockopt")
                    .map(function -> linker.downcallHandle(function,
                            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT),
                            Linker.Option.captureCallState("errno")))
                    .orElse(null);
        }
    }
}
