package org.minipylib.wsgiserver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The blocks of a body read as it is iterated ({@link FileBody}, {@link FileWrapper}'s stream
 * bodies): each is read when {@link #hasNext()} first needs it; a failed read throws
 * {@link UncheckedIOException}.
 */
abstract class BlockIterator implements Iterator<byte[]> {

    private byte[] next;
    private boolean ended;

    /** The next block, or null at the end; not called again once it returned null. */
    abstract byte[] readBlock() throws IOException;

    @Override
    public final boolean hasNext() {
        if (next == null && !ended) {
            try {
                next = readBlock();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            ended = next == null;
        }
        return next != null;
    }

    @Override
    public final byte[] next() {
        if (!hasNext()) throw new NoSuchElementException();
        byte[] block = next;
        next = null;
        return block;
    }
}
