package org.minipylib.wsgiserver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Objects;

/**
 * A response body that is a file, or a range of one, which the server sends without reading it into
 * the Java heap where it can: on a plain TCP connection or a UNIX domain socket the operating system
 * copies it from the file to the socket ({@link FileChannel#transferTo}, {@code sendfile} on Linux).
 * Over TLS the server reads it in blocks as it sends, to encrypt it. Return one from {@link WsgiApp#call}
 * like any other body; PEP 3333's {@code wsgi.file_wrapper} makes one too (see {@link FileWrapper}).
 *
 * <p>Its length, fixed when it is made, is sent as {@code Content-Length} unless the application gave
 * one; one the application gave that is shorter is where the body is cut (PEP 3333). A file that is
 * shorter when sent than it was then leaves the body short, and the connection is closed after it
 * (the client cannot take it for the whole file); a file that grew is sent as far as the length.
 * The server reads the file at absolute positions and never moves the channel's own position.
 *
 * <p>{@link #close()} closes the channel; the server calls it once the response is over, as for any
 * {@link AutoCloseable} body. It is also an {@code Iterable<byte[]>} that reads the range in blocks,
 * for middleware that iterates bodies; the server only uses {@link #channel()}.
 *
 * <pre>{@code
 * WsgiApp app = (environ, startResponse) -> {
 *     startResponse.start("200 OK", List.of(Header.of("Content-Type", "application/pdf")));
 *     return FileBody.of(Path.of("/srv/files/manual.pdf"));
 * };
 * }</pre>
 */
public final class FileBody implements Iterable<byte[]>, AutoCloseable {

    /** The block size of {@link #iterator()} when none is given. */
    public static final int DEFAULT_BLOCK_SIZE = 64 * 1024;

    private final FileChannel channel;
    private final long position;
    private final long length;
    private final int blockSize;

    private FileBody(FileChannel channel, long position, long length, int blockSize) {
        this.channel = channel;
        this.position = position;
        this.length = length;
        this.blockSize = blockSize;
    }

    /**
     * The whole file at {@code file}, opened for reading now (and closed by {@link #close()}).
     *
     * @throws IOException if it cannot be opened, or is not a regular file (a directory, a device,
     *                     a pipe: for a stream of unknown length, use {@link FileWrapper} with an
     *                     {@code InputStream})
     */
    public static FileBody of(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            if (!Files.exists(file)) throw new NoSuchFileException(file.toString());
            throw new FileSystemException(file.toString(), null, "not a regular file");
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            return of(channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** {@code channel}'s file from the channel's position to its end (as its size is now). */
    public static FileBody of(FileChannel channel) throws IOException {
        long from = channel.position();
        return of(channel, from, Math.max(0, channel.size() - from));
    }

    /**
     * {@code length} bytes of {@code channel}'s file from {@code position} (a range, for a
     * {@code 206 Partial Content} the application answers itself).
     */
    public static FileBody of(FileChannel channel, long position, long length) {
        return of(channel, position, length, DEFAULT_BLOCK_SIZE);
    }

    /** As {@link #of(FileChannel, long, long)}, iterated in blocks of {@code blockSize} bytes. */
    public static FileBody of(FileChannel channel, long position, long length, int blockSize) {
        Objects.requireNonNull(channel, "channel");
        if (position < 0 || length < 0) throw new IllegalArgumentException("negative position or length: " + position + ", " + length);
        if (blockSize <= 0) throw new IllegalArgumentException("block size must be positive: " + blockSize);
        return new FileBody(channel, position, length, blockSize);
    }

    /** The file. */
    public FileChannel channel() {
        return channel;
    }

    /** Where in the file the body starts. */
    public long position() {
        return position;
    }

    /** The body's length in bytes. */
    public long length() {
        return length;
    }

    /** Closes the channel. */
    @Override
    public void close() throws IOException {
        channel.close();
    }

    /**
     * The range read in blocks of the block size (the last one shorter), from the file as it is
     * when each is read; it ends early if the file does. A read that fails throws
     * {@link java.io.UncheckedIOException}.
     */
    @Override
    public Iterator<byte[]> iterator() {
        return new BlockIterator() {
            private long done;
            private boolean ended;

            @Override
            byte[] readBlock() throws IOException {
                int size = (int) Math.min(blockSize, length - done);
                if (ended || size == 0) return null;
                ByteBuffer block = ByteBuffer.allocate(size);
                while (block.hasRemaining()) {
                    if (channel.read(block, position + done + block.position()) < 0) break;
                }
                int n = block.position();
                ended = n < size; // the file is shorter now: this block is its last
                done += n;
                if (n == 0) return null;
                return n == size ? block.array() : Arrays.copyOf(block.array(), n);
            }
        };
    }
}
