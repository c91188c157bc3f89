package org.minipylib.wsgiserver.server;

import java.io.IOException;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Map;

/**
 * The listening socket a process inherits on standard input, from systemd socket activation
 * ({@code StandardInput=socket}) or an inetd-style launcher.
 *
 * <p>Why standard input: systemd passes sockets as file descriptors 3 and up ({@code LISTEN_FDS}), and
 * the JDK has no public way to turn such a number into a channel; {@link System#inheritedChannel()}
 * is the one supported way, and it reads descriptor 0. Two ways to get the socket there: a service
 * started through {@code /bin/sh -c 'exec java ... 0<&3 3<&-'} (the shell moves descriptor 3 to 0
 * and becomes java, so the pid systemd wrote into {@code LISTEN_PID} stays right), or
 * {@code StandardInput=socket} in the unit. The systemd variables are still checked, as
 * {@code sd_listen_fds} does: when {@code LISTEN_PID} is set it must be this process, and
 * {@code LISTEN_FDS} must be 1 (several sockets cannot all be moved to descriptor 0).
 * {@code LISTEN_FDNAMES} only names the sockets; it is shown in messages, never required.
 */
public final class SystemdActivation {

    private final Map<String, String> environment;
    private final long pid;

    /** For this process: its environment and pid. */
    public SystemdActivation() {
        this(System.getenv(), ProcessHandle.current().pid());
    }

    /** For the given environment and pid (tests). */
    public SystemdActivation(Map<String, String> environment, long pid) {
        this.environment = environment;
        this.pid = pid;
    }

    /**
     * Checks the systemd variables, if any.
     *
     * @throws IOException with a message saying what is wrong
     */
    public void check() throws IOException {
        String listenPid = environment.get("LISTEN_PID");
        String listenFds = environment.get("LISTEN_FDS");
        if (listenPid == null && listenFds == null) return; // not systemd: inetd style
        if (listenPid == null || listenFds == null) {
            throw new IOException("LISTEN_PID and LISTEN_FDS must be set together (systemd socket activation)");
        }
        if (!listenPid.trim().equals(Long.toString(pid))) {
            throw new IOException("LISTEN_PID=" + listenPid + " is not this process (" + pid
                    + "): the sockets were meant for another process");
        }
        if (!listenFds.trim().equals("1")) {
            throw new IOException("LISTEN_FDS=" + listenFds + names() + ": exactly one socket is supported (give the"
                    + " .socket unit one ListenStream=, or run one service per socket), passed on standard input");
        }
    }

    private String names() {
        String names = environment.get("LISTEN_FDNAMES");
        return names == null || names.isEmpty() ? "" : " (LISTEN_FDNAMES=" + names + ")";
    }

    /** Whether systemd's variables are set: then the socket came as descriptor 3, unless moved. */
    private boolean fromSystemd() {
        return environment.get("LISTEN_FDS") != null;
    }

    /**
     * The inherited listening socket, in blocking mode.
     *
     * @throws IOException if the variables are wrong, or standard input is not a listening socket
     */
    public ServerSocketChannel inheritedChannel() throws IOException {
        check();
        Channel channel = System.inheritedChannel();
        if (channel instanceof SocketChannel) {
            throw new IOException("standard input is a connection, not a listening socket: the socket unit passes"
                    + " each connection (Accept=yes, or systemd-socket-activate --accept/--inetd); the server needs"
                    + " the listening socket itself: set Accept=no (systemd's default) in the .socket unit");
        }
        if (!(channel instanceof ServerSocketChannel server)) {
            throw new IOException("standard input is not a listening socket"
                    + (channel == null ? "" : " (it is a " + channel.getClass().getSimpleName() + ")")
                    + (fromSystemd()
                        ? "; systemd passed the socket" + names() + " as descriptor 3, and Java adopts only descriptor 0:"
                            + " start the server with ExecStart=/bin/sh -c 'exec java ... --bind fd:0 0<&3 3<&-',"
                            + " or set StandardInput=socket in the service unit"
                        : "; with systemd, set StandardInput=socket in the service unit"));
        }
        server.configureBlocking(true);
        return server;
    }
}
