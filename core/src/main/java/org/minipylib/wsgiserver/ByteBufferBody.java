package org.minipylib.wsgiserver;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.List;

/**
 * A response body held in {@link ByteBuffer}s, which the server writes without copying them into
 * the Java heap first: a large direct or mapped buffer goes from its own memory to the socket in
 * the write system call (an array body is copied into a native buffer by the JDK on every write).
 * Pieces smaller than the connection's output buffer are copied into it (to leave with the response
 * head in one write when they fit beside it); a TLS connection encrypts from the buffers. Return one
 * from {@link WsgiApp#call} like any other body.
 *
 * <p>The server sends each buffer from its position to its limit and never moves either, so one
 * buffer (best made {@linkplain ByteBuffer#asReadOnlyBuffer() read-only}) may be shared by any
 * number of responses at once; do not change a buffer's content, position or limit until the
 * response is over (a body that is {@link AutoCloseable} is closed then, like any body).
 *
 * <p>A body with a known {@link #length()} is sent with it as {@code Content-Length} (unless the
 * application gave one), and its buffers without a flush between them, as for a collection of
 * arrays: a small buffer may wait in the output buffer until the next ones come, so a body produced
 * slowly should leave its length unknown. With no known length each buffer is pushed out before the
 * next is asked for (chunked on HTTP/1.1). A length that is wrong closes the connection after the
 * response: the bytes beyond it are dropped (logged), and a body that ends short of it leaves the
 * client waiting for the rest until then. It is also an
 * {@code Iterable<byte[]>} (each buffer's bytes copied into an array), so that middleware that
 * iterates array bodies keeps working; the server only uses {@link #buffers()}.
 *
 * <pre>{@code
 * ByteBuffer hello = ByteBuffer.allocateDirect(12).put("Hello world!".getBytes(US_ASCII)).flip().asReadOnlyBuffer();
 * WsgiApp app = (environ, startResponse) -> {
 *     startResponse.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
 *     return ByteBufferBody.of(hello);
 * };
 * }</pre>
 */
public interface ByteBufferBody extends Iterable<byte[]> {

    /** The body's buffers, in order; the server reads each from its position to its limit. */
    Iterator<ByteBuffer> buffers();

    /** The body's length in bytes (the sum of the buffers' remaining bytes), or -1 if not known. */
    default long length() {
        return -1;
    }

    /** The buffers' bytes as arrays, for code that reads bodies as {@code Iterable<byte[]>}. */
    @Override
    default Iterator<byte[]> iterator() {
        Iterator<ByteBuffer> buffers = buffers();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return buffers.hasNext();
            }

            @Override
            public byte[] next() {
                ByteBuffer b = buffers.next();
                byte[] bytes = new byte[b.remaining()];
                b.get(b.position(), bytes); // leaves the position alone
                return bytes;
            }
        };
    }

    /** A body of these buffers, its length their remaining bytes now. */
    static ByteBufferBody of(ByteBuffer... buffers) {
        return of(List.of(buffers));
    }

    /** A body of these buffers, its length their remaining bytes now. */
    static ByteBufferBody of(List<ByteBuffer> buffers) {
        List<ByteBuffer> list = List.copyOf(buffers);
        long total = 0;
        for (ByteBuffer b : list) total += b.remaining();
        long length = total;
        return new ByteBufferBody() {
            @Override
            public Iterator<ByteBuffer> buffers() {
                return list.iterator();
            }

            @Override
            public long length() {
                return length;
            }
        };
    }
}
