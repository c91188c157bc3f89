package org.minipylib.wsgiserver.tls;

import org.minipylib.wsgiserver.http.Transport;

import java.io.IOException;

/**
 * Turns a plain connection into a TLS one. The server calls {@link #open} on the connection's own
 * thread (never on the accept thread) before HTTP begins; {@link JsseSslAdapter} is the JDK-based one.
 */
public interface SslAdapter {

    /**
     * Runs the server side of the TLS handshake over {@code transport}.
     *
     * @param transport     the connection so far (a plain socket, or what an earlier setup step returned)
     * @param deadlineNanos {@link System#nanoTime()} by which the handshake must be done
     * @return a transport that reads and writes application data; its {@code sslSession()} is set
     * @throws IOException if the handshake failed or timed out (the caller closes the connection)
     *                     (a {@link org.minipylib.wsgiserver.http.SetupRefusedException} if the adapter
     *                     answered the client itself, as it answers plain HTTP with {@code 400})
     */
    Transport open(Transport transport, long deadlineNanos) throws IOException;

    /**
     * Called about every 100 ms by the server's watchdog while the server runs, for periodic work
     * ({@link JsseSslAdapter} checks its files for changes once its reload interval has passed). Must
     * return at once: slow work goes on a thread of its own. The default does nothing.
     */
    default void tick() {
    }
}
