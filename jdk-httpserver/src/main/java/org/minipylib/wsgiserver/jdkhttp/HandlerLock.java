package org.minipylib.wsgiserver.jdkhttp;

import java.io.IOException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The lock of an exchange's body stream, and whether the exchange's handler returned: from then on
 * the connection serves its next request, and the stream refuses reads and writes from any thread
 * the handler left it to. A lock, not a monitor: a read or write under it waits for the client, and
 * before JDK 24 a virtual thread that waits holding a monitor pins its carrier (a few such waits,
 * as many as the carriers, would stall every other exchange).
 */
final class HandlerLock extends ReentrantLock {

    private boolean handlerReturned; // guarded by this lock

    /** From now on {@link #ensureHandlerRunning()} throws; waits for a read or write under way. */
    void handlerReturned() {
        lock();
        try {
            handlerReturned = true;
        } finally {
            unlock();
        }
    }

    /**
     * With the lock held.
     *
     * @throws IOException once the handler returned
     */
    void ensureHandlerRunning() throws IOException {
        if (handlerReturned) throw new IOException("the exchange is over: its handler returned");
    }
}
