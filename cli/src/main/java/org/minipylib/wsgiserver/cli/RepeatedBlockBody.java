package org.minipylib.wsgiserver.cli;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A response body of {@code length} bytes made of one block sent again and again: the whole block
 * while at least a block is left, then the first bytes of it for the rest. The chunks are produced
 * one at a time as the server asks for them (this is not a {@code Collection}), so a large body
 * streams instead of being built in memory. The block is shared, never copied, except for the
 * final partial chunk; nobody may modify it.
 */
final class RepeatedBlockBody implements Iterable<byte[]> {

    private final byte[] block;
    private final long length;

    /**
     * @param block  the bytes to repeat; not empty
     * @param length the total number of bytes; {@code >= 0}
     */
    RepeatedBlockBody(byte[] block, long length) {
        if (block.length == 0) throw new IllegalArgumentException("block must not be empty");
        if (length < 0) throw new IllegalArgumentException("length must be >= 0: " + length);
        this.block = block;
        this.length = length;
    }

    @Override
    public Iterator<byte[]> iterator() {
        return new Iterator<>() {
            private long remaining = length;

            @Override
            public boolean hasNext() {
                return remaining > 0;
            }

            @Override
            public byte[] next() {
                if (remaining <= 0) throw new NoSuchElementException();
                if (remaining >= block.length) {
                    remaining -= block.length;
                    return block;
                }
                byte[] tail = Arrays.copyOf(block, (int) remaining);
                remaining = 0;
                return tail;
            }
        };
    }
}
