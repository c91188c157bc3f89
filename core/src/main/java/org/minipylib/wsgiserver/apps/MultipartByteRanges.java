package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.ByteBufferBody;
import org.minipylib.wsgiserver.FileBody;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * A {@code multipart/byteranges} body (RFC 9110 section 14.6) of several ranges of one open file:
 * each part a delimiter, its {@code Content-Type} and {@code Content-Range}, and the range's bytes,
 * read from the file in blocks as the server asks for them (never the whole range in the heap).
 * Its {@link #length()} is exact and known before a byte is sent, for {@code Content-Length}.
 *
 * <p>The boundary is random (a {@link SecureRandom}'s 128 bits), so that the content of a file, which
 * may come from a user, cannot be made to hold it. If the file is shorter when read than when
 * measured, the body ends at the first missing byte (the server closes the connection after a body
 * short of its length), rather than go on with parts at the wrong places. {@link #close()} closes
 * the file.
 */
final class MultipartByteRanges implements ByteBufferBody, AutoCloseable {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int BLOCK_SIZE = FileBody.DEFAULT_BLOCK_SIZE;

    /** A part's head (its delimiter and header fields) and the range of the file after it. */
    private record Part(byte[] head, ByteRanges.Range range) {
    }

    private final FileChannel channel;
    private final String boundary;
    private final List<Part> parts;
    private final byte[] closeDelimiter;
    private final long length;

    private MultipartByteRanges(FileChannel channel, String boundary, List<Part> parts, byte[] closeDelimiter) {
        this.channel = channel;
        this.boundary = boundary;
        this.parts = parts;
        this.closeDelimiter = closeDelimiter;
        long total = closeDelimiter.length;
        for (Part part : parts) total += part.head().length + part.range().length();
        this.length = total;
    }

    /**
     * The ranges of {@code channel}'s file, a representation of {@code size} bytes of type {@code
     * contentType} and content coding {@code coding} (null: none), in the order given. The coding is
     * named in each part, as the response's own Content-Encoding would say the multipart body is encoded.
     */
    static MultipartByteRanges of(FileChannel channel, List<ByteRanges.Range> ranges, long size, String contentType, String coding) {
        String boundary = HexFormat.of().toHexDigits(RANDOM.nextLong()) + HexFormat.of().toHexDigits(RANDOM.nextLong());
        String encoding = coding == null ? "" : "Content-Encoding: " + coding + "\r\n";
        List<Part> parts = new ArrayList<>(ranges.size());
        for (ByteRanges.Range range : ranges) {
            // the CRLF before each delimiter but the first ends the previous part (RFC 2046 section 5.1.1)
            String head = (parts.isEmpty() ? "" : "\r\n") + "--" + boundary + "\r\n"
                    + "Content-Type: " + contentType + "\r\n" + encoding
                    + "Content-Range: " + range.contentRange(size) + "\r\n\r\n";
            parts.add(new Part(ascii(head), range));
        }
        return new MultipartByteRanges(channel, boundary, List.copyOf(parts), ascii("\r\n--" + boundary + "--\r\n"));
    }

    /** The response's {@code Content-Type}, with the boundary. */
    String contentType() {
        return "multipart/byteranges; boundary=" + boundary;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public Iterator<ByteBuffer> buffers() {
        return new Iterator<>() {
            private int part = -1;
            private long partDone; // bytes of the current part's range read so far
            private boolean headSent = true; // of the current part; none before the first
            private boolean ended;
            private ByteBuffer next;

            @Override
            public boolean hasNext() {
                if (next == null && !ended) next = advance();
                return next != null;
            }

            @Override
            public ByteBuffer next() {
                if (!hasNext()) throw new NoSuchElementException();
                ByteBuffer b = next;
                next = null;
                return b;
            }

            /** The next piece: a part's head, a block of its range, or the close delimiter; null at the end. */
            private ByteBuffer advance() {
                if (part >= 0 && !headSent) {
                    headSent = true;
                    return ByteBuffer.wrap(parts.get(part).head());
                }
                if (part >= 0 && partDone < parts.get(part).range().length()) return block(parts.get(part).range());
                if (part + 1 < parts.size()) {
                    part++;
                    partDone = 0;
                    headSent = false;
                    return advance();
                }
                ended = true;
                return ByteBuffer.wrap(closeDelimiter);
            }

            /** The next block of {@code range}, ending the body if the file ends first. */
            private ByteBuffer block(ByteRanges.Range range) {
                int size = (int) Math.min(BLOCK_SIZE, range.length() - partDone);
                ByteBuffer block = ByteBuffer.allocate(size);
                try {
                    while (block.hasRemaining()) {
                        if (channel.read(block, range.first() + partDone + block.position()) < 0) break;
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                partDone += block.position();
                if (block.hasRemaining()) ended = true; // the file is shorter now: nothing after this is in its place
                return block.flip();
            }
        };
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
