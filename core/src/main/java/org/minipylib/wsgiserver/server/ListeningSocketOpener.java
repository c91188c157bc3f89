package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.HostAddress;
import org.minipylib.wsgiserver.InheritedSocketAddress;
import org.minipylib.wsgiserver.ListenOptions;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Opens the listening socket for one bind address: TCP (with {@code SO_REUSEADDR}, optionally
 * {@code SO_REUSEPORT}, and {@code TCP_DEFER_ACCEPT} where it can be set: {@link DeferredAccept}), a
 * UNIX domain socket (a stale socket file is replaced; optional file permissions), or the socket
 * inherited on standard input (systemd, inetd).
 */
public final class ListeningSocketOpener {

    private static final System.Logger LOG = System.getLogger(ListeningSocketOpener.class.getName());

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

    /**
     * An IPv4 address gets an IPv4 socket: an IPv6 one (the JDK's default) bound to {@code 0.0.0.0}
     * would listen on {@code [::]}, IPv6 as well. {@code [::]} listens on both (the system's dual stack).
     */
    private ServerSocketChannel openTcp(InetSocketAddress address) throws IOException {
        ServerSocketChannel channel = address.getAddress() instanceof Inet4Address
                ? ServerSocketChannel.open(StandardProtocolFamily.INET) : ServerSocketChannel.open();
        try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            if (options.reusePort()) {
                if (!channel.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
                    throw new IOException("SO_REUSEPORT is not supported on this system");
                }
                channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
            channel.bind(address, backlog);
            deferAccept(channel);
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private void deferAccept(ServerSocketChannel channel) throws IOException {
        int seconds = options.deferAcceptSeconds();
        if (seconds == 0) return;
        String notSet = DeferredAccept.trySet(channel, seconds);
        String address = HostAddress.text(channel.getLocalAddress());
        if (notSet == null) {
            LOG.log(System.Logger.Level.DEBUG, "TCP_DEFER_ACCEPT {0} s on {1}", seconds, address);
        } else {
            // worth an operator's attention only where the system has it
            LOG.log(DeferredAccept.supportedBySystem() ? System.Logger.Level.INFO : System.Logger.Level.DEBUG,
                    "TCP_DEFER_ACCEPT not set on {0}, so new connections are accepted before their request arrives: {1}"
                            + " (ListenOptions.withDeferAccept(Duration.ZERO), --defer-accept 0 on the command line, turns it off)", address, notSet);
        }
    }

    /**
     * Binds a UNIX socket. With permissions to set, it binds in a new directory only its owner may
     * enter, sets them, and renames the file into place, so that no client ever finds the socket
     * with the umask's permissions (say, nginx's workers during a restart), nor reaches it before
     * they are set. The temporary path is never longer than the socket's own (or than {@value
     * #SAFE_PATH_BYTES} bytes), whose length the system limits (the JDK binds paths of up to 106
     * bytes on Linux); if no such directory can be made, the socket binds in place and its
     * permissions are set right after.
     */
    private ServerSocketChannel openUnix(UnixDomainSocketAddress address) throws IOException {
        UnixSocketFile.clearStale(address);
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        Path path = address.getPath();
        Path privateDir = null;
        try {
            if (options.unixSocketPermissions() == null) {
                channel.bind(address, backlog);
                return channel;
            }
            privateDir = privateDirectory(path);
            if (privateDir == null) {
                channel.bind(address, backlog);
                Files.setPosixFilePermissions(path, options.unixSocketPermissions());
                return channel;
            }
            Path temporary = privateDir.resolve(TEMPORARY_NAME);
            channel.bind(UnixDomainSocketAddress.of(temporary), backlog);
            Files.setPosixFilePermissions(temporary, options.unixSocketPermissions());
            Files.move(temporary, path, StandardCopyOption.ATOMIC_MOVE);
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            if (privateDir != null) Files.deleteIfExists(privateDir.resolve(TEMPORARY_NAME));
            throw e;
        } finally {
            if (privateDir != null) Files.deleteIfExists(privateDir);
        }
    }

    /** Socket paths up to this long bind on every system the JDK supports UNIX sockets on. */
    private static final int SAFE_PATH_BYTES = 100;
    private static final String TEMPORARY_NAME = "s";

    /**
     * A new directory next to {@code path}, only its owner may enter ({@code rwx------}), in which
     * the socket binds first under a path no longer than {@code path} (or than {@link #SAFE_PATH_BYTES});
     * null if none can be made.
     */
    private static Path privateDirectory(Path path) {
        int longest = Math.max(bytes(path), SAFE_PATH_BYTES);
        String pid = Long.toString(ProcessHandle.current().pid(), 36);
        for (String name : new String[] {path.getFileName() + "." + pid + ".tmp", "." + pid, "." + pid + "~"}) {
            Path candidate = path.resolveSibling(name);
            if (bytes(candidate.resolve(TEMPORARY_NAME)) > longest) continue;
            try {
                return Files.createDirectory(candidate, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                // the next name
            } catch (IOException | UnsupportedOperationException e) {
                return null;
            }
        }
        return null;
    }

    private static int bytes(Path path) {
        return path.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }
}
