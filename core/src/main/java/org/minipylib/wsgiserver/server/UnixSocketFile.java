package org.minipylib.wsgiserver.server;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The file of a UNIX domain socket. Binding fails if the file exists, and a server that was killed
 * leaves its file behind; so before binding, a stale socket file (one nobody listens on) is removed,
 * while a live one, or any other kind of file, is left alone and reported.
 */
final class UnixSocketFile {

    /** The file type bits of st_mode, and the value that means "socket". */
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private UnixSocketFile() {
    }

    /**
     * Makes {@code address}'s path free to bind: removes a stale socket file there.
     *
     * @throws IOException if a server listens there, or the path is some other kind of file
     */
    static void clearStale(UnixDomainSocketAddress address) throws IOException {
        Path path = address.getPath();
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) return;
        if (!isSocket(path)) throw new IOException(path + " exists and is not a socket; not replacing it");
        boolean live;
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            live = probe.connect(address);
        } catch (IOException e) {
            live = false; // connection refused: nobody listens, the file is stale
        }
        if (live) throw new IOException("another server is listening on " + path);
        Files.deleteIfExists(path);
    }

    private static boolean isSocket(Path path) throws IOException {
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & S_IFMT) == S_IFSOCK;
        } catch (UnsupportedOperationException e) {
            return false; // cannot tell: do not delete
        }
    }
}
