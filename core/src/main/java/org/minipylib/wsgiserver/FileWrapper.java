package org.minipylib.wsgiserver;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Iterator;

/**
 * PEP 3333's {@code wsgi.file_wrapper}: turns an open file into a response body that the server may
 * send with the operating system's file transmission. The server puts {@link #standard()} in every
 * environ (see {@link Environ#fileWrapper()}); middleware may replace it.
 *
 * <pre>{@code
 * InputStream file = new FileInputStream("/srv/files/report.csv");
 * startResponse.start("200 OK", List.of(Header.of("Content-Type", "text/csv")));
 * return environ.fileWrapper().wrap(file);
 * }</pre>
 */
@FunctionalInterface
public interface FileWrapper {

    /**
     * A body of what {@code file} holds from its current position to its end, read in blocks of
     * {@code blockSize} bytes where it is read at all; closing the body closes {@code file}.
     */
    Iterable<byte[]> wrap(InputStream file, int blockSize) throws IOException;

    /** As {@link #wrap(InputStream, int)}, with {@link FileBody#DEFAULT_BLOCK_SIZE}. */
    default Iterable<byte[]> wrap(InputStream file) throws IOException {
        return wrap(file, FileBody.DEFAULT_BLOCK_SIZE);
    }

    /**
     * The server's: a {@link FileInputStream} becomes a {@link FileBody} of its channel from the
     * stream's position (the file's size when wrapped fixes the length); any other stream a body that
     * reads it in blocks as it is sent, and so does a {@code FileInputStream} that cannot seek (a
     * pipe) or whose size shows nothing past its position (a file at its end, or one whose size says
     * nothing of what it holds, as {@code /proc} files, size 0).
     */
    static FileWrapper standard() {
        return (file, blockSize) -> {
            if (blockSize <= 0) throw new IllegalArgumentException("block size must be positive: " + blockSize);
            if (file instanceof FileInputStream fileStream) {
                var channel = fileStream.getChannel();
                long from;
                long size;
                try {
                    from = channel.position();
                    size = channel.size();
                } catch (IOException e) { // "Illegal seek": a pipe, read as the stream it is
                    return new StreamBody(file, blockSize);
                }
                if (size > from) return FileBody.of(channel, from, size - from, blockSize);
            }
            return new StreamBody(file, blockSize);
        };
    }

    /** A stream's bytes in blocks, read as the body is iterated (once); closing it closes the stream. */
    final class StreamBody implements Iterable<byte[]>, AutoCloseable {
        private final InputStream stream;
        private final int blockSize;
        private boolean iterated;

        StreamBody(InputStream stream, int blockSize) {
            this.stream = stream;
            this.blockSize = blockSize;
        }

        @Override
        public Iterator<byte[]> iterator() {
            if (iterated) throw new IllegalStateException("A stream's body can be iterated once");
            iterated = true;
            return new BlockIterator() {
                private boolean ended;

                @Override
                byte[] readBlock() throws IOException {
                    if (ended) return null;
                    // Not readNBytes(int): JDK 21's FileInputStream asks it for the stream's position,
                    // which fails on a pipe ("Illegal seek"); the array form only reads.
                    byte[] block = new byte[blockSize];
                    int n = stream.readNBytes(block, 0, blockSize);
                    ended = n < blockSize;
                    if (n == 0) return null;
                    return ended ? Arrays.copyOf(block, n) : block;
                }
            };
        }

        @Override
        public void close() throws IOException {
            stream.close();
        }
    }
}
