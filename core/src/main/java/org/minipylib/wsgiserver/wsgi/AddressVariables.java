package org.minipylib.wsgiserver.wsgi;

import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.HostAddress;
import org.minipylib.wsgiserver.http.UnixPeerAddress;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;

/**
 * The environ variables that describe the two ends of a connection, with Cheroot's rules:
 * over TCP, SERVER_NAME (configured, else the address connected to), SERVER_PORT, REMOTE_ADDR and
 * REMOTE_PORT; over a UNIX domain socket, which WSGI does not foresee, SERVER_NAME is the configured
 * name or this host's name, and SERVER_PORT, REMOTE_ADDR and REMOTE_PORT are empty. A UNIX peer whose
 * credentials were read adds X_REMOTE_USER, X_REMOTE_GROUP and REMOTE_USER.
 */
final class AddressVariables {

    private final String serverName;
    private volatile String hostName;

    /** @param serverName the configured SERVER_NAME, or {@code null} */
    AddressVariables(String serverName) {
        this.serverName = serverName;
    }

    void put(Environ env, SocketAddress local, SocketAddress remote) {
        if (local instanceof InetSocketAddress isa) {
            env.put(Environ.SERVER_NAME, serverName != null ? serverName : HostAddress.text(isa.getAddress()));
            env.put(Environ.SERVER_PORT, Integer.toString(isa.getPort()));
        } else {
            env.put(Environ.SERVER_NAME, serverName != null ? serverName : hostName());
            env.put(Environ.SERVER_PORT, "");
        }
        if (remote instanceof InetSocketAddress isa) {
            env.put(Environ.REMOTE_ADDR, HostAddress.text(isa.getAddress()));
            env.put(Environ.REMOTE_PORT, Integer.toString(isa.getPort()));
        } else {
            env.put(Environ.REMOTE_ADDR, "");
            env.put(Environ.REMOTE_PORT, "");
            if (remote instanceof UnixPeerAddress peer) {
                env.put("X_REMOTE_USER", peer.user());
                env.put("X_REMOTE_GROUP", peer.group());
                env.put("REMOTE_USER", peer.user());
            }
        }
    }

    /** This host's name, looked up once (Cheroot's default server_name, socket.gethostname()). */
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
