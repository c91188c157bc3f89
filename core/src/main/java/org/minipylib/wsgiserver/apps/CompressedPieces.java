package org.minipylib.wsgiserver.apps;

import java.util.AbstractList;
import java.util.List;

/**
 * A body compressed whole before it is sent: a collection, so that the server gives it a
 * Content-Length, and closeable, to close the application's own body when the response is over.
 */
final class CompressedPieces extends AbstractList<byte[]> implements AutoCloseable {

    private final List<byte[]> pieces;
    private final Iterable<byte[]> original;

    CompressedPieces(List<byte[]> pieces, Iterable<byte[]> original) {
        this.pieces = pieces;
        this.original = original;
    }

    @Override
    public byte[] get(int index) {
        return pieces.get(index);
    }

    @Override
    public int size() {
        return pieces.size();
    }

    @Override
    public void close() throws Exception {
        if (original instanceof AutoCloseable closeable) closeable.close();
    }
}
