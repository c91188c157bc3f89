package org.minipylib.wsgiserver;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * PEP 3333's {@code write} callable, returned by {@link StartResponse#start}: sends body bytes
 * at once, before the application returns. Prefer returning the body as an iterable; this exists for
 * applications that need to push their output.
 */
@FunctionalInterface
public interface BodyWriter {

    /**
     * Sends {@code data} (headers first, if not sent yet) and returns when it has been handed to the
     * operating system.
     *
     * @throws IOException if the client has gone away or stopped reading
     * @throws IllegalStateException if {@code data} goes past the response's {@code Content-Length}
     *         (PEP 3333): what fits was sent, the rest was not; uncaught, it ends the response as any
     *         application error after the headers does
     */
    void write(byte[] data) throws IOException;

    /**
     * Sends {@code length} bytes of {@code data} from {@code offset}, as {@link #write(byte[])} does
     * with a copy of them; {@code data} may be reused once this returns (an application that copies
     * a stream through one buffer).
     *
     * @throws IOException if the client has gone away or stopped reading
     * @throws IllegalStateException past the response's {@code Content-Length}, as {@link #write(byte[])}
     */
    default void write(byte[] data, int offset, int length) throws IOException {
        java.util.Objects.checkFromIndexSize(offset, length, data.length);
        write(java.util.Arrays.copyOfRange(data, offset, offset + length));
    }

    /**
     * Sends the remaining bytes of {@code data} as {@link #write(byte[])} does, without moving its
     * position; the server's own writer sends a large direct buffer with no copy into the Java heap
     * (see {@link ByteBufferBody}). {@code data} may be reused once this returns.
     *
     * @throws IOException if the client has gone away or stopped reading
     * @throws IllegalStateException past the response's {@code Content-Length}, as {@link #write(byte[])}
     */
    default void write(ByteBuffer data) throws IOException {
        byte[] bytes = new byte[data.remaining()];
        data.get(data.position(), bytes);
        write(bytes);
    }
}
