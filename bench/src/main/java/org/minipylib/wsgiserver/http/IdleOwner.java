package org.minipylib.wsgiserver.http;

/** The owner of a benchmark connection: never draining, nothing to do on close, output buffers pooled as in the server. */
final class IdleOwner implements ConnectionOwner {

    private final BufferPool outputBuffers = new BufferPool(HttpConnection.OUTPUT_BUFFER_SIZE, 16);

    @Override
    public BufferPool outputBuffers() {
        return outputBuffers;
    }

    @Override
    public boolean isDraining() {
        return false;
    }

    @Override
    public void connectionClosed(HttpConnection connection) {
    }
}
