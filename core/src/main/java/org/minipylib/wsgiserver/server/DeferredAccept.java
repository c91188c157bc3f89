package org.minipylib.wsgiserver.server;

import java.nio.channels.ServerSocketChannel;

/**
 * Sets {@code TCP_DEFER_ACCEPT} on a listening TCP socket (Linux): the kernel queues a new connection
 * for {@code accept} only once its first bytes have arrived, or after about the given seconds without
 * any. The connection's first read then finds the request, where it would otherwise come back empty
 * about four times in five (clients send right after the handshake, and the server is quicker) and
 * park the thread in the JDK's poller until the request arrives (two {@code epoll_ctl} calls and a
 * wake-up through the poller thread).
 *
 * <p>The JDK has no option for it, so it is set through the foreign function API (Java 22 and later)
 * on the channel's file descriptor, read through the JDK's internal {@code sun.nio.ch.SelChImpl}. Both
 * need the JVM's consent: {@code --enable-native-access=ALL-UNNAMED} and
 * {@code --add-exports=java.base/sun.nio.ch=ALL-UNNAMED} (the module's name,
 * {@code org.minipylib.wsgiserver}, instead of {@code ALL-UNNAMED} on the module path). The CLI's jar
 * names both in its manifest, which the JVM reads for {@code java -jar wsgiserver.jar} only. Without
 * them (also with {@code --illegal-native-access=allow} alone), on Java 21 or on other systems,
 * listeners accept as usual and {@link #unavailableReason()} says why.
 */
public final class DeferredAccept {

    /** The part that calls {@code setsockopt}: compiled for Java 22 (the foreign function API). */
    interface DeferAcceptCall {
        /** Sets the option on {@code fd}; null when set, else why not. */
        String setDeferAccept(int fd, int seconds);
    }

    private static final String CALL_CLASS = "org.minipylib.wsgiserver.server.NativeDeferredAccept";

    private DeferredAccept() {
    }

    /**
     * Sets {@code TCP_DEFER_ACCEPT} to {@code seconds} on {@code channel}, a bound TCP listener.
     * Never throws: this is an optimisation, and a server without it still serves.
     *
     * @return null when set; else why not, for the log
     */
    static String trySet(ServerSocketChannel channel, int seconds) {
        String unavailable = unavailableReason();
        if (unavailable != null) return unavailable;
        // a closed channel keeps its old descriptor number, which another socket may have by now
        if (!channel.isOpen()) return "the listener is closed";
        int fd = NativeAccess.fdOf(channel);
        if (fd < 0) return "this JDK's listener has no file descriptor to read";
        try {
            Class<?> callClass;
            try {
                callClass = Class.forName(CALL_CLASS);
            } catch (ClassNotFoundException e) {
                return "this build of the library lacks " + CALL_CLASS + " (it was built with Java 21)";
            }
            return ((DeferAcceptCall) callClass.getDeclaredConstructor().newInstance()).setDeferAccept(fd, seconds);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return "the call could not be loaded (" + e + ")";
        } catch (LinkageError e) {
            return "the foreign function API is not usable here (" + e + (e.getCause() == null ? "" : ", " + e.getCause()) + ")";
        }
    }

    /** What the JVM flags must name for this library: its module's name, or {@code ALL-UNNAMED} on the class path. */
    static String flagTarget() {
        return NativeAccess.flagTarget();
    }

    /** Whether the operating system has the option (Linux). */
    static boolean supportedBySystem() {
        return NativeAccess.onLinux();
    }

    /**
     * Why the option cannot be set in this JVM, or null if it can be tried: the system, the Java
     * version, and the export of {@code sun.nio.ch} (native access is checked when it is set).
     */
    public static String unavailableReason() {
        if (!supportedBySystem()) return "TCP_DEFER_ACCEPT exists on Linux only";
        if (Runtime.version().feature() < 22) return "setting it needs Java 22 or later (the foreign function API)";
        String name = flagTarget();
        if (!NativeAccess.descriptorsReadable()) {
            return "start the JVM with --add-exports=java.base/sun.nio.ch=" + name + " and --enable-native-access="
                    + name + " to set it";
        }
        return null;
    }
}
