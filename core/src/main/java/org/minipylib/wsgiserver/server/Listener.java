package org.minipylib.wsgiserver.server;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The accept loop of one listening socket, on its own platform thread: accepts connections and hands
 * them on at once. It never reads from a connection, so a slow client cannot stall it.
 */
public final class Listener implements Runnable {

    private static final System.Logger LOG = System.getLogger("org.minipylib.wsgiserver");

    private final ServerSocketChannel channel;
    private final Consumer<SocketChannel> onAccept;
    private final SocketAddress address;
    private final Path socketFile;
    private volatile boolean running = true;

    /**
     * @param channel  a bound, listening channel; the listener owns it from now on
     * @param onAccept called with each accepted connection, on the accept thread
     */
    public Listener(ServerSocketChannel channel, Consumer<SocketChannel> onAccept) throws IOException {
        this(channel, onAccept, false);
    }

    /**
     * @param removeSocketFile for a UNIX domain socket the server bound itself: remove its file on close
     */
    public Listener(ServerSocketChannel channel, Consumer<SocketChannel> onAccept, boolean removeSocketFile)
            throws IOException {
        this.channel = channel;
        this.onAccept = onAccept;
        this.address = channel.getLocalAddress();
        this.socketFile = removeSocketFile && address instanceof UnixDomainSocketAddress unix ? unix.getPath() : null;
    }

    /** The address actually bound: an InetSocketAddress, or a UnixDomainSocketAddress. */
    public SocketAddress address() {
        return address;
    }

    @Override
    public void run() {
        while (running) {
            SocketChannel client;
            try {
                client = channel.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!running) return;
                // e.g. too many open files: back off instead of spinning
                LOG.log(System.Logger.Level.WARNING, "accept() on {0} failed: {1}", address, e.toString());
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    return;
                }
                continue;
            }
            try {
                onAccept.accept(client);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "Could not start serving a connection", e);
                try {
                    client.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
    }

    /** Stops accepting and closes the listening socket (and removes its file, if it owns one). */
    public void close() {
        running = false;
        try {
            channel.close();
        } catch (IOException e) {
            // already closed
        }
        if (socketFile != null) {
            try {
                Files.deleteIfExists(socketFile);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "Could not remove the socket file {0}: {1}", socketFile, e.toString());
            }
        }
    }
}
