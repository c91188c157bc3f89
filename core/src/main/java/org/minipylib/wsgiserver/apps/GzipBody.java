package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.ByteBufferBody;
import org.minipylib.wsgiserver.FileBody;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * An application's body compressed as the server iterates it, one source chunk at a time. A stream's
 * chunks are each flushed (a deflate sync flush), so that what the application yields reaches the
 * client when it does, as it would uncompressed (Django's GZipMiddleware does the same). A body whose
 * bytes are all there (a collection, a {@link ByteBufferBody}, a {@link FileBody}) goes in whole
 * pieces instead: one each time the compressed output fills one, and an empty chunk in between (PEP
 * 3333's way for middleware that must gather more before it has output), the rest at the end with
 * the gzip trailer. A {@link ByteBufferBody}'s buffers are read where they are, not copied. When the
 * application calls start only as its body is iterated, or starts over with {@code excInfo} then,
 * the head goes to the server at its first bytes and the body follows what was decided, compressed
 * or not. {@link #close()} closes the application's body and frees the encoder, whatever happened.
 */
final class GzipBody implements Iterable<byte[]>, AutoCloseable {

    private static final byte[] EMPTY = new byte[0];

    private final Iterable<byte[]> source;
    private final GzipResponse response;
    // a stream's chunks leave as the application yields them, compressed or not (PEP 3333: unbuffered);
    // bodies whose bytes are all there already (a collection, buffers, a file) fill whole pieces
    private final boolean flushEachChunk;
    private boolean iterated;
    private boolean closed;

    GzipBody(Iterable<byte[]> source, GzipResponse response) {
        this.source = source;
        this.response = response;
        this.flushEachChunk = !(source instanceof Collection || source instanceof ByteBufferBody || source instanceof FileBody);
    }

    @Override
    public Iterator<byte[]> iterator() {
        if (iterated) throw new IllegalStateException("A compressed body can be iterated once");
        iterated = true;
        return new Pieces(chunks(source));
    }

    /** Closes the application's body, then frees the encoder even if that failed; only the first call does anything. */
    @Override
    public void close() throws Exception {
        if (closed) return;
        closed = true;
        try {
            if (source instanceof AutoCloseable closeable) closeable.close();
        } finally {
            response.end();
        }
    }

    /** The body's chunks as buffers: a ByteBufferBody's own (duplicates: positions stay), arrays wrapped. */
    private static Iterator<ByteBuffer> chunks(Iterable<byte[]> body) {
        if (body instanceof ByteBufferBody buffers) return mapped(buffers.buffers(), b -> b == null ? ByteBuffer.wrap(EMPTY) : b.duplicate());
        return mapped(body.iterator(), a -> ByteBuffer.wrap(a == null ? EMPTY : a));
    }

    private static <T> Iterator<ByteBuffer> mapped(Iterator<T> it, Function<T, ByteBuffer> toBuffer) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public ByteBuffer next() {
                return toBuffer.apply(it.next());
            }
        };
    }

    /** The pieces for the server. */
    private final class Pieces implements Iterator<byte[]> {
        private final Iterator<ByteBuffer> chunks;
        private long seen;
        private boolean chunksEnded;
        private boolean finished;
        private boolean ended;
        private byte[] next;

        Pieces(Iterator<ByteBuffer> chunks) {
            this.chunks = chunks;
        }

        @Override
        public boolean hasNext() {
            if (next == null && !ended) {
                next = step();
                ended = next == null;
            }
            return next != null;
        }

        @Override
        public byte[] next() {
            if (!hasNext()) throw new NoSuchElementException();
            byte[] piece = next;
            next = null;
            return piece;
        }

        /** The next piece (possibly empty), or null at the end. */
        private byte[] step() {
            while (true) {
                GzipResponse.Encoding encoding = response.encoding();
                if (encoding == GzipResponse.Encoding.GZIP_HEAD) return null; // headers only: spare the application the work
                GzipEncoder encoder = encoding == GzipResponse.Encoding.GZIP ? response.encoder() : null;
                if (encoder != null && encoder.deflate()) return response.emit(encoder.take());
                if (chunksEnded || !chunks.hasNext()) {
                    chunksEnded = true;
                    return last(response.encoding());
                }
                ByteBuffer chunk = chunks.next();
                if (!chunk.hasRemaining()) return EMPTY;
                seen += chunk.remaining();
                encoding = response.encoding(); // the application may have started, or started over, making the chunk
                if (encoding == null) encoding = response.forward(-1); // too early to know the length
                switch (encoding) {
                    case IDENTITY -> {
                        return bytes(chunk);
                    }
                    case GZIP_HEAD -> {
                        return null;
                    }
                    case GZIP -> {
                        GzipEncoder current = response.encoder();
                        current.input(chunk);
                        if (flushEachChunk) current.flush();
                        if (!current.deflate()) return EMPTY;
                        return response.emit(current.take());
                    }
                }
            }
        }

        /** Once the application's chunks are over: the rest of the compressed stream, piece by piece, then null. */
        private byte[] last(GzipResponse.Encoding encoding) {
            if (encoding == null) {
                if (!response.started()) return null; // the server says the application never started
                encoding = response.forward(seen); // the whole body went by empty: its length is known now
            }
            if (encoding != GzipResponse.Encoding.GZIP || finished) return null;
            GzipEncoder encoder = response.encoder();
            encoder.finish();
            if (encoder.deflate()) return response.emit(encoder.take()); // a whole piece; the rest on the next call
            finished = true;
            return response.emit(encoder.take());
        }
    }

    /** A chunk's bytes as an array: the chunk's own when it is a whole array. */
    private static byte[] bytes(ByteBuffer chunk) {
        if (chunk.hasArray() && chunk.arrayOffset() + chunk.position() == 0 && chunk.remaining() == chunk.array().length) {
            return chunk.array();
        }
        byte[] copy = new byte[chunk.remaining()];
        chunk.get(chunk.position(), copy);
        return copy;
    }
}
