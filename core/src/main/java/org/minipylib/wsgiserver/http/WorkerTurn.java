package org.minipylib.wsgiserver.http;

import java.io.IOException;

/**
 * A request's turn among the requests the server serves at once, which the request lends back
 * while it only waits for a slow client to accept a large piece of its response: it uses no CPU
 * meanwhile, so a client that reads slowly (or not at all) does not keep other clients waiting.
 * The connection's own thread calls {@link #giveBack()} before such a write and
 * {@link #takeAgain()} after it, always in pairs.
 */
public interface WorkerTurn {

    /** A turn that cannot be lent (a pooled platform thread stays blocked in the write). */
    WorkerTurn KEPT = new WorkerTurn() {
        @Override
        public void giveBack() {
        }

        @Override
        public void takeAgain() {
        }
    };

    /** The request is about to wait on its client: another request may have the turn meanwhile. */
    void giveBack();

    /**
     * The wait is over: takes a turn again, waiting like any request for one to be free.
     *
     * @throws IOException if the server stopped while this request waited for its turn
     */
    void takeAgain() throws IOException;

    /**
     * As {@link #takeAgain()} after a wait that failed with {@code failure}: a failure to take the
     * turn (the server stopping) is added to it as suppressed, not put in its place, so that what
     * the wait ran into is what the caller sees and logs.
     */
    default void takeAgainAfter(Throwable failure) {
        try {
            takeAgain();
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * The turn's responses are complete, only their last bytes still to be written: the turn is not
     * taken again. Given back before that write, since a client may send its next request (on this
     * connection or another) as soon as it has them. By default {@link #giveBack()}.
     */
    default void answered() {
        giveBack();
    }
}
