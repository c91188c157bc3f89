package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.http.HttpConnection;

/**
 * What a scheduler does when serving a connection fails past everything the connection catches
 * itself (an {@link Error}: out of memory, a stack overflow, a linkage error): no thread would serve
 * that connection again, so it is closed and the failure logged; the server goes on.
 */
final class ServingFailure {

    private static final System.Logger LOG = System.getLogger(ServingFailure.class.getName());

    private ServingFailure() {
    }

    /** Closes {@code connection}, whose serving ended with {@code failure}, and logs why. */
    static void closeAfter(HttpConnection connection, Throwable failure) {
        connection.abort();
        try { // else a response cut short by it would leave no trace
            LOG.log(System.Logger.Level.ERROR, (failure instanceof OutOfMemoryError ? "Out of memory" : "Unexpected failure")
                    + " serving a connection; closed it", failure);
        } catch (Throwable ignored) {
            // the log may not have the memory either
        }
    }
}
