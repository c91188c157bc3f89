package org.minipylib.wsgiserver.wsgi;

import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.HostAddress;
import org.minipylib.wsgiserver.http.UnixPeerAddress;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.Map;

/**
 * The environ variables that describe the two ends of a connection: over TCP, SERVER_NAME (configured,
 * else the address connected to), SERVER_PORT, REMOTE_ADDR and REMOTE_PORT; over a UNIX domain socket,
 * which WSGI does not foresee, SERVER_NAME is the configured name or this host's name, and
 * SERVER_PORT, REMOTE_ADDR and REMOTE_PORT are empty, as in Cheroot. Unconfigured, Cheroot 9 reports
 * its own version ("Cheroot/9.0.0", its Server header) as SERVER_NAME, over TCP and UNIX sockets
 * alike; a host name is what CGI asks for (RFC 3875 section 4.1.14), so that is not followed. A UNIX
 * peer whose credentials were read adds X_REMOTE_USER, X_REMOTE_GROUP and REMOTE_USER, and Cheroot's
 * X_REMOTE_UID and X_REMOTE_GID when the numeric ids are known (Cheroot's X_REMOTE_PID is never given:
 * the JDK does not read the peer's pid).
 */
final class AddressVariables {

    private final String serverName;
    private volatile String hostName;
    // Immutable records, replaced whole: a thread sees either an old one or a new one (a race only costs a miss).
    private volatile LocalText lastLocal;
    private volatile RemoteHostText lastRemote;

    /** @param serverName the configured SERVER_NAME, or {@code null} */
    AddressVariables(String serverName) {
        this.serverName = serverName;
    }

    void put(Map<String, Object> env, SocketAddress local, SocketAddress remote) {
        if (local instanceof InetSocketAddress isa) {
            LocalText text = localText(isa);
            env.put(Environ.SERVER_NAME, serverName != null ? serverName : text.host());
            env.put(Environ.SERVER_PORT, text.port());
        } else {
            env.put(Environ.SERVER_NAME, serverName != null ? serverName : hostName());
            env.put(Environ.SERVER_PORT, "");
        }
        if (remote instanceof InetSocketAddress isa) {
            env.put(Environ.REMOTE_ADDR, remoteHostText(isa.getAddress()));
            env.put(Environ.REMOTE_PORT, Integer.toString(isa.getPort()));
        } else {
            env.put(Environ.REMOTE_ADDR, "");
            env.put(Environ.REMOTE_PORT, "");
            if (remote instanceof UnixPeerAddress peer) {
                env.put("X_REMOTE_USER", peer.user());
                env.put("X_REMOTE_GROUP", peer.group());
                env.put("REMOTE_USER", peer.user());
                if (peer.uid() != UnixPeerAddress.UNKNOWN_ID) env.put("X_REMOTE_UID", Long.toString(peer.uid()));
                if (peer.gid() != UnixPeerAddress.UNKNOWN_ID) env.put("X_REMOTE_GID", Long.toString(peer.gid()));
            }
        }
    }

    /**
     * SERVER_NAME and SERVER_PORT of the address most recently connected to: a server listens on
     * few addresses, so this is nearly always a hit, and no text is built per request.
     */
    private LocalText localText(InetSocketAddress address) {
        LocalText text = lastLocal;
        // the same connection passes the same object; another one to the same address has an equal
        // port and host (compared without InetSocketAddress.equals, which also compares host names)
        if (text == null || text.address() != address && (text.address().getPort() != address.getPort()
                || !text.address().getAddress().equals(address.getAddress()))) {
            text = new LocalText(address, HostAddress.text(address.getAddress()), Integer.toString(address.getPort()));
            lastLocal = text;
        }
        return text;
    }

    /** REMOTE_ADDR, reusing the text of the previous request's client when it is the same host. */
    private String remoteHostText(InetAddress host) {
        RemoteHostText text = lastRemote;
        if (text == null || !text.host().equals(host)) {
            text = new RemoteHostText(host, HostAddress.text(host));
            lastRemote = text;
        }
        return text.text();
    }

    private record LocalText(InetSocketAddress address, String host, String port) {
    }

    private record RemoteHostText(InetAddress host, String text) {
    }

    /** This host's name, looked up once (Python's socket.gethostname()). */
    private String hostName() {
        String name = hostName;
        if (name == null) {
            try {
                name = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                name = "localhost";
            }
            hostName = name;
        }
        return name;
    }
}
