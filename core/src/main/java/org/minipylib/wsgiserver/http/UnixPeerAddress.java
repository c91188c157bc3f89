package org.minipylib.wsgiserver.http;

import java.net.SocketAddress;
import java.util.Objects;

/**
 * The remote address of a client on a UNIX domain socket whose credentials were read
 * ({@code SO_PEERCRED}): such a client has no address, only an identity. The JDK gives the user and
 * group of the peer process as names (numeric ids when they have none), from which the numeric ids
 * are recovered where the JDK allows it; it does not give the pid.
 */
public final class UnixPeerAddress extends SocketAddress {

    private static final long serialVersionUID = 1L;

    /** The value of {@link #uid()} or {@link #gid()} when the id is not known. */
    public static final long UNKNOWN_ID = -1;

    private final String user;
    private final String group;
    private final long uid;
    private final long gid;

    /** A peer known by names only. */
    public UnixPeerAddress(String user, String group) {
        this(user, group, UNKNOWN_ID, UNKNOWN_ID);
    }

    /**
     * @param uid the numeric user id, or {@link #UNKNOWN_ID}
     * @param gid the numeric group id, or {@link #UNKNOWN_ID}
     */
    public UnixPeerAddress(String user, String group, long uid, long gid) {
        this.user = Objects.requireNonNull(user, "user");
        this.group = Objects.requireNonNull(group, "group");
        if (uid < UNKNOWN_ID || gid < UNKNOWN_ID) throw new IllegalArgumentException("ids are >= 0 or UNKNOWN_ID");
        this.uid = uid;
        this.gid = gid;
    }

    /** The peer process's user name. */
    public String user() {
        return user;
    }

    /** The peer process's group name. */
    public String group() {
        return group;
    }

    /** The peer process's numeric user id, or {@link #UNKNOWN_ID}. */
    public long uid() {
        return uid;
    }

    /** The peer process's numeric group id, or {@link #UNKNOWN_ID}. */
    public long gid() {
        return gid;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UnixPeerAddress p && p.user.equals(user) && p.group.equals(group) && p.uid == uid
                && p.gid == gid;
    }

    @Override
    public int hashCode() {
        return Objects.hash(user, group, uid, gid);
    }

    /** {@code unix-peer:USER:GROUP}: one word, as it stands in the access log's host field. */
    @Override
    public String toString() {
        return "unix-peer:" + user + ":" + group;
    }
}
