package org.minipylib.wsgiserver;

import java.net.SocketAddress;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * How the server's listening sockets behave, beyond their addresses. Immutable; every option but
 * {@code deferAccept} is off by default.
 *
 * @param reusePort            TCP: set {@code SO_REUSEPORT}, so that several processes may listen on the
 *                             same port and the kernel spreads connections over them
 * @param proxyProtocol        on every listener, each connection starts with a PROXY protocol header (v1 or
 *                             v2, as HAProxy sends it); its addresses replace the socket's (REMOTE_ADDR is the
 *                             real client). Only for listeners that nothing but the proxy can reach
 * @param unixSocketPermissions UNIX sockets: the permissions of the socket file; {@code null}: what the
 *                             process's umask gives
 * @param peerCredentials      UNIX sockets: read the client's user and group ({@code SO_PEERCRED}) into
 *                             the environ as {@code X_REMOTE_USER}, {@code X_REMOTE_GROUP}, {@code REMOTE_USER},
 *                             {@code X_REMOTE_UID} and {@code X_REMOTE_GID} (not {@code X_REMOTE_PID})
 * @param proxyProtocolAddresses when {@code proxyProtocol} is off: the bind addresses (as given to
 *                             {@link ServerConfig.Builder#bind(SocketAddress)}, compared with {@code equals})
 *                             whose listeners expect the PROXY protocol header; the other listeners serve
 *                             plain connections, e.g. a port for Kubernetes probes or metrics that reach the
 *                             server directly. Each must be one of the server's bind addresses. Empty when
 *                             {@code proxyProtocol} is on (every listener), and by default
 * @param deferAccept          TCP on Linux: hand a new connection to the server only once its first bytes
 *                             (the request, a TLS ClientHello, a PROXY header) have arrived
 *                             ({@code TCP_DEFER_ACCEPT}; Apache httpd's default {@code AcceptFilter http data},
 *                             nginx's {@code deferred}). Whole seconds (rounded up when given finer). The
 *                             connection's first read then finds its request instead of waiting for it: about
 *                             a third less CPU time per request on new connections (docs/performance-log.md). A
 *                             client that connects and stays silent (a pre-opened pool connection, a browser's
 *                             preconnect) is handed over only when the kernel repeats its SYN-ACK after the
 *                             timeout (1 s: after 1 s; 2-3 s: after 3; 4-7 s: after 7, and so on), and only
 *                             from then on does the server count it (open connections, the connection limit,
 *                             the request-head timeout). One second by default (before this option existed:
 *                             off); {@link Duration#ZERO} turns it off. Needs the JVM's consent, which
 *                             {@code java -jar} with the CLI's jar gives: see
 *                             {@link org.minipylib.wsgiserver.server.DeferredAccept}. Not set on inherited
 *                             sockets (systemd's {@code DeferAcceptSec=} does that) nor UNIX sockets
 */
public record ListenOptions(boolean reusePort, boolean proxyProtocol, Set<PosixFilePermission> unixSocketPermissions,
                            boolean peerCredentials, Set<SocketAddress> proxyProtocolAddresses, Duration deferAccept) {

    /** The default {@code deferAccept}: one second. */
    public static final Duration DEFAULT_DEFER_ACCEPT = Duration.ofSeconds(1);

    /** The longest {@code deferAccept}: one hour. */
    public static final Duration MAX_DEFER_ACCEPT = Duration.ofHours(1);

    public ListenOptions {
        Objects.requireNonNull(deferAccept, "deferAccept");
        if (!deferAccept.isNegative() && deferAccept.getNano() > 0) deferAccept = Duration.ofSeconds(deferAccept.getSeconds() + 1);
        if (deferAccept.isNegative() || deferAccept.compareTo(MAX_DEFER_ACCEPT) > 0) {
            throw new IllegalArgumentException("deferAccept must be between 0 and 1 hour: " + deferAccept);
        }
        if (unixSocketPermissions != null) unixSocketPermissions = Set.copyOf(unixSocketPermissions);
        // every listener, or those named: keeping both would only make equal options unequal
        if (proxyProtocol || proxyProtocolAddresses == null) {
            proxyProtocolAddresses = Set.of();
        } else {
            proxyProtocolAddresses.forEach(a -> Objects.requireNonNull(a, "a PROXY protocol address is null"));
            proxyProtocolAddresses = Collections.unmodifiableSet(new LinkedHashSet<>(proxyProtocolAddresses));
        }
    }

    /** The options without per-listener PROXY protocol addresses (as before they existed), {@code deferAccept} its default. */
    public ListenOptions(boolean reusePort, boolean proxyProtocol, Set<PosixFilePermission> unixSocketPermissions,
                         boolean peerCredentials) {
        this(reusePort, proxyProtocol, unixSocketPermissions, peerCredentials, Set.of(), DEFAULT_DEFER_ACCEPT);
    }

    /** The options with {@code deferAccept} its default, one second (before the option existed: off). */
    public ListenOptions(boolean reusePort, boolean proxyProtocol, Set<PosixFilePermission> unixSocketPermissions,
                         boolean peerCredentials, Set<SocketAddress> proxyProtocolAddresses) {
        this(reusePort, proxyProtocol, unixSocketPermissions, peerCredentials, proxyProtocolAddresses, DEFAULT_DEFER_ACCEPT);
    }

    /** Everything off but deferred accept (one second). */
    public static ListenOptions defaults() {
        return new ListenOptions(false, false, null, false, Set.of(), DEFAULT_DEFER_ACCEPT);
    }

    /** {@code deferAccept} of {@code timeout} (whole seconds, rounded up); {@link Duration#ZERO}: off. */
    public ListenOptions withDeferAccept(Duration timeout) {
        return new ListenOptions(reusePort, proxyProtocol, unixSocketPermissions, peerCredentials, proxyProtocolAddresses,
                timeout);
    }

    /** {@code deferAccept} in seconds, as the kernel takes it; 0 when off. */
    public int deferAcceptSeconds() {
        return (int) deferAccept.getSeconds();
    }

    /** SO_REUSEPORT on TCP listeners: several servers (processes) may listen on one port; see {@link #reusePort()}. */
    public ListenOptions withReusePort(boolean on) {
        return new ListenOptions(on, proxyProtocol, unixSocketPermissions, peerCredentials, proxyProtocolAddresses, deferAccept);
    }

    /** The PROXY protocol on every listener ({@code true}) or on none ({@code false}). */
    public ListenOptions withProxyProtocol(boolean on) {
        return new ListenOptions(reusePort, on, unixSocketPermissions, peerCredentials, Set.of(), deferAccept);
    }

    /**
     * The PROXY protocol only on the listeners of these bind addresses (each must also be bound); the
     * others serve plain connections. An empty collection: on no listener.
     */
    public ListenOptions withProxyProtocol(Collection<? extends SocketAddress> bindAddresses) {
        return new ListenOptions(reusePort, false, unixSocketPermissions, peerCredentials,
                new LinkedHashSet<>(bindAddresses), deferAccept);
    }

    /** The PROXY protocol only on the listeners of these bind addresses; see {@link #withProxyProtocol(Collection)}. */
    public ListenOptions withProxyProtocol(SocketAddress bindAddress, SocketAddress... more) {
        List<SocketAddress> all = new ArrayList<>();
        all.add(Objects.requireNonNull(bindAddress, "bindAddress"));
        all.addAll(List.of(more));
        return withProxyProtocol(all);
    }

    /** Whether the listener of {@code bindAddress} (one of the server's bind addresses) expects a PROXY protocol header. */
    public boolean proxyProtocol(SocketAddress bindAddress) {
        return proxyProtocol || proxyProtocolAddresses.contains(bindAddress);
    }

    /** The permissions a UNIX socket file is given (null: the process's umask decides); see {@link #unixSocketPermissions()}. */
    public ListenOptions withUnixSocketPermissions(Set<PosixFilePermission> permissions) {
        return new ListenOptions(reusePort, proxyProtocol, permissions, peerCredentials, proxyProtocolAddresses, deferAccept);
    }

    /** UNIX socket clients named by their user and group (SO_PEERCRED); see {@link #peerCredentials()}. */
    public ListenOptions withPeerCredentials(boolean on) {
        return new ListenOptions(reusePort, proxyProtocol, unixSocketPermissions, on, proxyProtocolAddresses, deferAccept);
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
