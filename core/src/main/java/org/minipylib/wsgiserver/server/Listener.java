package org.minipylib.wsgiserver.server;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The accept loop of one listening socket, on its own thread (a virtual one with virtual workers): accepts connections and hands
 * them on at once. It never reads from a connection, so a slow client cannot stall it.
 */
public final class Listener implements Runnable {

    private static final System.Logger LOG = System.getLogger(Listener.class.getName());

    private final ServerSocketChannel channel;
    private final Consumer<SocketChannel> onAccept;
    private final SocketAddress address;
    private final Path socketFile;
    private final boolean inherited;
    private volatile boolean running = true;

    /**
     * @param socket   the listening socket; the listener owns it from now on
     * @param onAccept called with each accepted connection, on the accept thread
     */
    public Listener(ListeningSocket socket, Consumer<SocketChannel> onAccept) {
        this.channel = socket.channel();
        this.onAccept = onAccept;
        this.address = socket.address();
        this.socketFile = socket.socketFile();
        this.inherited = socket.inherited();
    }

    /** The address actually bound: an InetSocketAddress, or a UnixDomainSocketAddress. */
    public SocketAddress address() {
        return address;
    }

    private void wakeAccept() {
        SocketAddress self = address;
        if (address instanceof InetSocketAddress inet && inet.getAddress().isAnyLocalAddress()) {
            self = new InetSocketAddress(inet.getAddress() instanceof Inet6Address ? "::1" : "127.0.0.1", inet.getPort());
        }
        // Not a blocking connect: into a full backlog it would wait for room (a UNIX socket) or retry
        // its SYN (TCP) for long, holding up stop(). A full backlog means the loop is not blocked in
        // accept() anyway: it sees that it must stop when it comes back.
        ProtocolFamily family = self instanceof InetSocketAddress inet
                ? (inet.getAddress() instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET)
                : StandardProtocolFamily.UNIX;
        try (SocketChannel wake = SocketChannel.open(family)) {
            wake.configureBlocking(false);
            long deadline = System.nanoTime() + WAKE_CONNECT_NANOS;
            boolean connected = wake.connect(self);
            while (!connected && System.nanoTime() - deadline < 0) {
                Thread.sleep(1);
                connected = wake.finishConnect();
            }
            // connected: the accept loop returns and sees that it must stop
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "Could not wake the accept loop on {0}: {1}", address, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** How long stop() tries to connect to an inherited socket to wake its accept loop. */
    private static final long WAKE_CONNECT_NANOS = 1_000_000_000L;

    /**
     * Accept failures for want of memory in a row (each 50 ms apart) before the loop gives up and
     * ends with the error (the command line then exits with status 3, for a restart).
     */
    private static final int MAX_OUT_OF_MEMORY_IN_A_ROW = 20;
    private int outOfMemoryInARow;
    private final ThrottledWarning acceptFailures = new ThrottledWarning(LOG);

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
                warnAcceptFailed(e); // e.g. too many open files: back off instead of spinning
                if (!pause()) return;
                continue;
            } catch (LinkageError e) { // a class that could not load (no descriptor to read it with): keep accepting
                warnAcceptFailed(e);
                if (!running || !pause()) return;
                continue;
            } catch (OutOfMemoryError e) {
                // as above: the loop goes on once memory is back; but the JDK closes a socket it
                // accepted only on an Exception, so each of these may leak one: not forever
                if (++outOfMemoryInARow > MAX_OUT_OF_MEMORY_IN_A_ROW) throw e;
                if (!running || !pause()) return;
                continue;
            }
            outOfMemoryInARow = 0;
            try {
                onAccept.accept(client);
            } catch (RuntimeException | Error e) {
                // the accept loop must outlive a heap that ran out for a moment, a class that could not
                // load, any error: if it ended, the port would stay open with no one to accept on it
                try {
                    client.close();
                    LOG.log(System.Logger.Level.ERROR, "Could not start serving a connection", e);
                } catch (IOException | RuntimeException | Error ignored) {
                    // closing anyway; the log may not have the memory either
                }
                if (e instanceof Error && !pause()) return;
            }
        }
    }

    /** Warns that accept() failed, without flooding the log: it fails again at every attempt until descriptors are free. */
    private void warnAcceptFailed(Throwable e) {
        String reason = e.toString();
        acceptFailures.occurred((count, every) -> "accept() on " + address + " failed"
                + (count == 1 ? "" : " " + count + " times since the last such warning") + ": " + reason
                + " (logged at most every " + every + " s)");
    }

    /** Backs off after a failure instead of spinning; false if interrupted (stop). */
    private static boolean pause() {
        try {
            Thread.sleep(50);
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    /**
     * Stops accepting and closes the listening socket (and removes its file, if it owns one). An
     * inherited socket is not closed: the JDK would point standard input, output and error at
     * /dev/null when it closes one, and the last log lines would be lost; and with systemd, the
     * socket is systemd's, which queues new connections for the next instance. The accept loop is
     * woken by a connection to the socket itself instead (served like any other).
     */
    public void close() {
        running = false;
        if (inherited) {
            wakeAccept();
            return;
        }
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
