package org.minipylib.wsgiserver.http;

import java.net.SocketAddress;
import java.util.Objects;

/**
 * The remote address of a client on a UNIX domain socket whose credentials were read
 * ({@code SO_PEERCRED}): such a client has no address, only an identity. The JDK gives the user and
 * group of the peer process as names (numeric ids when they have none); it does not give the pid.
 */
public final class UnixPeerAddress extends SocketAddress {

    private static final long serialVersionUID = 1L;

    private final String user;
    private final String group;

    public UnixPeerAddress(String user, String group) {
        this.user = Objects.requireNonNull(user, "user");
        this.group = Objects.requireNonNull(group, "group");
    }

    /** The peer process's user name. */
    public String user() {
        return user;
    }

    /** The peer process's group name. */
    public String group() {
        return group;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UnixPeerAddress p && p.user.equals(user) && p.group.equals(group);
    }

    @Override
    public int hashCode() {
        return user.hashCode() * 31 + group.hashCode();
    }

    @Override
    public String toString() {
        return "unix peer " + user + ":" + group;
    }
}
