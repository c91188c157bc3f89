package org.minipylib.wsgiserver.http;

import java.io.IOException;

/**
 * A step run on a new connection before HTTP begins: reading a PROXY protocol header, a TLS
 * handshake. Steps run in order on a virtual thread serving the connection, never on the accept thread
 * and never holding a worker, so a client that connects and stalls delays nobody else.
 *
 * <p>All steps of a connection share one deadline ({@link HttpTimeouts#handshake()}). When it
 * passes, the server's watchdog closes the connection, which makes a blocked read fail; a step may
 * also use timed reads on its own.
 */
@FunctionalInterface
public interface ConnectionSetup {

    /**
     * Prepares the connection.
     *
     * @param transport     the connection so far: the plain socket, or what an earlier step returned
     * @param deadlineNanos the {@link System#nanoTime()} by which every step must be done
     * @return the transport to continue with: this one, or a wrapper around it (a wrapper delegates
     *         what it does not change, and its {@code close()} closes the wrapped transport)
     * @throws IOException to close the connection; a step writes any answer (say, a 400) itself first
     */
    Transport setUp(Transport transport, long deadlineNanos) throws IOException;
}
