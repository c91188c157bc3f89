package org.minipylib.wsgiserver;

import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * How the server's listening sockets behave, beyond their addresses. Immutable; every option is off
 * by default.
 *
 * @param reusePort            TCP: set {@code SO_REUSEPORT}, so that several processes may listen on the
 *                             same port and the kernel spreads connections over them
 * @param proxyProtocol        every connection starts with a PROXY protocol header (v1 or v2, as HAProxy
 *                             sends it); its addresses replace the socket's (REMOTE_ADDR is the real client).
 *                             Only for listeners that nothing but the proxy can reach
 * @param unixSocketPermissions UNIX sockets: the permissions of the socket file; {@code null}: what the
 *                             process's umask gives
 * @param peerCredentials      UNIX sockets: read the client's user and group ({@code SO_PEERCRED}) into
 *                             the environ as {@code X_REMOTE_USER}, {@code X_REMOTE_GROUP}, {@code REMOTE_USER},
 *                             {@code X_REMOTE_UID} and {@code X_REMOTE_GID} (not {@code X_REMOTE_PID})
 */
public record ListenOptions(boolean reusePort, boolean proxyProtocol, Set<PosixFilePermission> unixSocketPermissions,
                            boolean peerCredentials) {

    public ListenOptions {
        if (unixSocketPermissions != null) unixSocketPermissions = Set.copyOf(unixSocketPermissions);
    }

    /** Everything off. */
    public static ListenOptions defaults() {
        return new ListenOptions(false, false, null, false);
    }

    public ListenOptions withReusePort(boolean on) {
        return new ListenOptions(on, proxyProtocol, unixSocketPermissions, peerCredentials);
    }

    public ListenOptions withProxyProtocol(boolean on) {
        return new ListenOptions(reusePort, on, unixSocketPermissions, peerCredentials);
    }

    public ListenOptions withUnixSocketPermissions(Set<PosixFilePermission> permissions) {
        return new ListenOptions(reusePort, proxyProtocol, permissions, peerCredentials);
    }

    public ListenOptions withPeerCredentials(boolean on) {
        return new ListenOptions(reusePort, proxyProtocol, unixSocketPermissions, on);
    }

    /**
     * Permissions from an octal mode such as {@code 660} or {@code 0666} (the owner, group and others
     * digits of chmod).
     *
     * @throws IllegalArgumentException if {@code octal} is not three or four octal digits
     */
    public static Set<PosixFilePermission> permissions(String octal) {
        if (!octal.matches("0?[0-7]{3}")) throw new IllegalArgumentException("not an octal file mode like 660: " + octal);
        int mode = Integer.parseInt(octal, 8);
        StringBuilder rwx = new StringBuilder(9);
        String letters = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) rwx.append((mode & (1 << (8 - i))) != 0 ? letters.charAt(i) : '-');
        return PosixFilePermissions.fromString(rwx.toString());
    }
}
