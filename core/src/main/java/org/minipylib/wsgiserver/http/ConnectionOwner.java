package org.minipylib.wsgiserver.http;

/** What a {@link HttpConnection} needs from the server that owns it: buffers, parsers, and where it reports. */
public interface ConnectionOwner {
    /** True while the server is shutting down: responses say {@code Connection: close}. */
    boolean isDraining();

    /** Called exactly once, when the connection is closed. */
    void connectionClosed(HttpConnection connection);

    /**
     * Output buffers shared by the owner's connections (an idle connection holds none), or
     * {@code null} for a buffer of its own per connection.
     */
    default BufferPool outputBuffers() {
        return null;
    }

    /**
     * Input buffers ({@link HttpConnection#INPUT_BUFFER_SIZE} bytes) shared by the owner's connections (one
     * waiting for its next request on a transport that can wait without a buffer holds none),
     * or {@code null} for a buffer of its own per connection.
     */
    default BufferPool inputBuffers() {
        return null;
    }

    /**
     * The budget of the bytes the owner's connections may hold of long request heads beyond their
     * first input buffer ({@link HttpLimits#maxHeadMemory()}), or {@code null} for none.
     */
    default HeadMemoryBudget headMemory() {
        return null;
    }

    /** A request head was refused (503) because the other connections held all of {@link #headMemory()}. */
    default void headMemoryExhausted() {
    }

    /**
     * Request parsers lent to the owner's connections for one head at a time (a few stay in the
     * CPU's caches however many connections there are), or {@code null} for a parser of its own
     * per connection.
     */
    default RequestParserPool requestParsers() {
        return null;
    }

    /** A request was answered with {@code status}, {@code nanos} after its head was parsed (for statistics). */
    default void served(int status, long nanos) {
    }

    /** The server answered {@code status} and closed without serving a request (for statistics). */
    default void refused(int status) {
    }

    /** The connection's response says {@code Connection: close} because it has served its share (for statistics). */
    default void connectionRetired() {
    }

    /** The connection was lost to a network error while serving (for statistics). */
    default void socketError() {
    }
}
