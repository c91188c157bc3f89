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
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

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

    /** A bound, listening, blocking socket for {@code address}. */
    public ListeningSocket open(SocketAddress address) throws IOException {
        return switch (address) {
            case InetSocketAddress inet -> {
                ServerSocketChannel channel = openTcp(inet);
                yield new ListeningSocket(channel, channel.getLocalAddress(), null, false);
            }
            case UnixDomainSocketAddress unix -> new ListeningSocket(openUnix(unix), unix, unix.getPath(), false);
            case InheritedSocketAddress inherited -> {
                ServerSocketChannel channel = new SystemdActivation().inheritedChannel();
                yield new ListeningSocket(channel, channel.getLocalAddress(), null, true);
            }
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

    /**
     * Binds a UNIX socket. With permissions to set, it binds under a temporary name, sets them, and
     * renames the file into place, so that no client ever finds the socket with the umask's
     * permissions (say, nginx's workers during a restart).
     */
    private ServerSocketChannel openUnix(UnixDomainSocketAddress address) throws IOException {
        UnixSocketFile.clearStale(address);
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        Path path = address.getPath();
        Path temporary = path.resolveSibling(path.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            if (options.unixSocketPermissions() == null) {
                channel.bind(address, backlog);
                return channel;
            }
            Files.deleteIfExists(temporary);
            channel.bind(UnixDomainSocketAddress.of(temporary), backlog);
            Files.setPosixFilePermissions(temporary, options.unixSocketPermissions());
            Files.move(temporary, path, StandardCopyOption.ATOMIC_MOVE);
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            Files.deleteIfExists(temporary);
            throw e;
        }
    }
}
