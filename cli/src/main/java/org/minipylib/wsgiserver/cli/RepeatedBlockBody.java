package org.minipylib.wsgiserver.cli;

import org.minipylib.wsgiserver.ByteBufferBody;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A response body of {@code length} bytes made of one block sent again and again: the whole block
 * while at least a block is left, then the first bytes of it for the rest. The buffers are produced
 * one at a time as the server asks for them, so a large body streams instead of being built in
 * memory. The block is one shared read-only buffer, never copied: the server writes it from where it
 * is (a direct block with no copy into the heap) and never moves its position.
 */
final class RepeatedBlockBody implements ByteBufferBody {

    private final ByteBuffer block;
    private final long length;

    /**
     * @param block  the bytes to repeat, from its position to its limit; not empty
     * @param length the total number of bytes; {@code >= 0}
     */
    RepeatedBlockBody(ByteBuffer block, long length) {
        if (!block.hasRemaining()) throw new IllegalArgumentException("block must not be empty");
        if (length < 0) throw new IllegalArgumentException("length must be >= 0: " + length);
        this.block = block.asReadOnlyBuffer();
        this.length = length;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public Iterator<ByteBuffer> buffers() {
        return new Iterator<>() {
            private long remaining = length;

            @Override
            public boolean hasNext() {
                return remaining > 0;
            }

            @Override
            public ByteBuffer next() {
                if (remaining <= 0) throw new NoSuchElementException();
                int size = block.remaining();
                if (remaining >= size) {
                    remaining -= size;
                    return block;
                }
                ByteBuffer tail = block.slice(block.position(), (int) remaining);
                remaining = 0;
                return tail;
            }
        };
    }
}
