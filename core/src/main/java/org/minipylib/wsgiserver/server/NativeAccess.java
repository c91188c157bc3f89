package org.minipylib.wsgiserver.server;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.channels.NetworkChannel;
import java.util.Locale;

/**
 * What calling the C library on a channel's descriptor needs from this JVM (see
 * {@link DeferredAccept} and {@link DirectSocketCalls}): Linux, Java 22 or later (the foreign function
 * API), {@code --add-exports=java.base/sun.nio.ch=...} to read the descriptor, and
 * {@code --enable-native-access=...} (checked by the Java 22 classes themselves).
 */
final class NativeAccess {

    private static final MethodHandle GET_FD_VAL = fdValGetter();

    private NativeAccess() {
    }

    /** Whether the operating system is Linux. */
    static boolean onLinux() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux");
    }

    /** What the JVM flags must name for this library: its module's name, or {@code ALL-UNNAMED} on the class path. */
    static String flagTarget() {
        Module module = NativeAccess.class.getModule();
        return module.isNamed() ? module.getName() : "ALL-UNNAMED";
    }

    /** Whether {@code sun.nio.ch} is exported to this library, so that descriptors can be read. */
    static boolean descriptorsReadable() {
        return GET_FD_VAL != null;
    }

    /**
     * The descriptor of a JDK socket channel (through {@code sun.nio.ch.SelChImpl.getFDVal}); -1 if
     * it cannot be read. A closed channel keeps its old number, which another socket may have by now.
     */
    static int fdOf(NetworkChannel channel) {
        if (GET_FD_VAL == null) return -1;
        try {
            return (int) GET_FD_VAL.invoke(channel);
        } catch (Throwable e) { // not one of the JDK's channels
            return -1;
        }
    }

    private static MethodHandle fdValGetter() {
        Module java = Object.class.getModule();
        if (!java.isExported("sun.nio.ch", NativeAccess.class.getModule())) return null;
        try {
            Class<?> selChImpl = Class.forName("sun.nio.ch.SelChImpl");
            return MethodHandles.lookup().findVirtual(selChImpl, "getFDVal", MethodType.methodType(int.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
