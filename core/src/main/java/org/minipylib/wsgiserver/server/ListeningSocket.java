package org.minipylib.wsgiserver.server;

import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;

/**
 * A bound, listening socket, ready for a {@link Listener}.
 *
 * @param channel    the channel, in blocking mode
 * @param address    the address it listens on (for TCP, with the real port where 0 was asked for)
 * @param socketFile the UNIX socket file the server created and removes on close; {@code null} for TCP
 *                   and inherited sockets
 * @param inherited  the socket came from the parent process (systemd, inetd): it is never closed, see
 *                   {@link Listener#close()}
 */
public record ListeningSocket(ServerSocketChannel channel, SocketAddress address, Path socketFile, boolean inherited) {
}
