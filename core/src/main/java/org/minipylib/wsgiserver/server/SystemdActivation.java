package org.minipylib.wsgiserver.server;

import java.io.IOException;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.util.Map;

/**
 * The listening socket a process inherits on standard input, from systemd socket activation
 * ({@code StandardInput=socket}) or an inetd-style launcher.
 *
 * <p>Why standard input: systemd passes sockets as file descriptors 3 and up ({@code LISTEN_FDS}), and
 * the JDK has no public way to turn such a number into a channel; {@link System#inheritedChannel()}
 * is the one supported way, and it reads descriptor 0. With {@code StandardInput=socket} systemd puts
 * the (single) socket there too. The systemd variables are still checked, as {@code sd_listen_fds}
 * does: when {@code LISTEN_PID} is set it must be this process, and {@code LISTEN_FDS} must be 1.
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
            throw new IOException("LISTEN_FDS=" + listenFds + ": exactly one socket is supported, passed on standard"
                    + " input (StandardInput=socket in the service unit)");
        }
    }

    /**
     * The inherited listening socket, in blocking mode.
     *
     * @throws IOException if the variables are wrong, or standard input is not a listening socket
     */
    public ServerSocketChannel inheritedChannel() throws IOException {
        check();
        Channel channel = System.inheritedChannel();
        if (!(channel instanceof ServerSocketChannel server)) {
            throw new IOException("standard input is not a listening socket"
                    + (channel == null ? "" : " (it is a " + channel.getClass().getSimpleName() + ")")
                    + "; with systemd, set StandardInput=socket in the service unit");
        }
        server.configureBlocking(true);
        return server;
    }
}
