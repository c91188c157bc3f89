package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.InheritedSocketAddress;
import org.minipylib.wsgiserver.ListenOptions;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;

/**
 * Opens the listening socket for one bind address: TCP (with {@code SO_REUSEADDR}, optionally
 * {@code SO_REUSEPORT}), a UNIX domain socket (a stale socket file is replaced; optional file
 * permissions), or the socket inherited on standard input (systemd, inetd).
 */
public final class ListeningSocketOpener {

    private final ListenOptions options;
    private final int backlog;

    public ListeningSocketOpener(ListenOptions options, int backlog) {
        this.options = options;
        this.backlog = backlog;
    }

    /** A bound, listening, blocking channel for {@code address}. */
    public ServerSocketChannel open(SocketAddress address) throws IOException {
        return switch (address) {
            case InetSocketAddress inet -> openTcp(inet);
            case UnixDomainSocketAddress unix -> openUnix(unix);
            case InheritedSocketAddress inherited -> new SystemdActivation().inheritedChannel();
            default -> throw new IOException("cannot listen on " + address);
        };
    }

    private ServerSocketChannel openTcp(InetSocketAddress address) throws IOException {
        ServerSocketChannel channel = ServerSocketChannel.open();
        try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            if (options.reusePort()) {
                if (!channel.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
                    throw new IOException("SO_REUSEPORT is not supported on this system");
                }
                channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
            channel.bind(address, backlog);
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private ServerSocketChannel openUnix(UnixDomainSocketAddress address) throws IOException {
        UnixSocketFile.clearStale(address);
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.bind(address, backlog);
            if (options.unixSocketPermissions() != null) {
                Files.setPosixFilePermissions(address.getPath(), options.unixSocketPermissions());
            }
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }
}
