package org.minipylib.wsgiserver;

import java.net.SocketAddress;

/**
 * Listen on a socket the process inherited instead of one it binds: systemd socket activation with
 * {@code StandardInput=socket}, or an inetd-style launcher, hand the server a listening socket on its
 * standard input. If {@code LISTEN_PID} and {@code LISTEN_FDS} are set (systemd), they are checked: the
 * socket must be meant for this process and be the only one. Any address family works (TCP, IPv6,
 * UNIX). Use {@link #INSTANCE} with {@link ServerConfig.Builder#bind(SocketAddress)}.
 */
public final class InheritedSocketAddress extends SocketAddress {

    private static final long serialVersionUID = 1L;

    /** The listening socket on standard input. */
    public static final InheritedSocketAddress INSTANCE = new InheritedSocketAddress();

    private InheritedSocketAddress() {
    }

    private Object readResolve() {
        return INSTANCE;
    }

    @Override
    public String toString() {
        return "inherited socket (standard input)";
    }
}
