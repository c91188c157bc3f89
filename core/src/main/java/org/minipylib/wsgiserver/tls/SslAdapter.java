package org.minipylib.wsgiserver.tls;

import org.minipylib.wsgiserver.http.Transport;

import java.io.IOException;

/**
 * Turns a plain connection into a TLS one. The server calls {@link #open} on the connection's own
 * thread (never on the accept thread) before HTTP begins; {@link JsseSslAdapter} is the JDK-based one.
 *
 * <p>How the server counts what {@link #open} throws (in {@code ServerStats}):
 * <ul>
 *   <li>{@code tlsHandshakeTimeouts}: anything once the deadline has passed, and a
 *       {@link java.net.SocketTimeoutException}, thrown or as the cause;</li>
 *   <li>{@code tlsHandshakeFailures}: a {@link TlsHandshakeException} whose {@link TlsHandshakeException#tlsFailed()}
 *       is true (an {@link javax.net.ssl.SSLException} cause, or said so with the three-argument
 *       constructor), an {@link javax.net.ssl.SSLException} itself, and a
 *       {@link org.minipylib.wsgiserver.http.SetupRefusedException};</li>
 *   <li>nothing: any other {@link IOException}, which is taken for the client closing or resetting
 *       the connection (a health check, a scanner, a client giving up). An adapter whose TLS library
 *       reports such a close as an {@code SSLException} (a close_notify, say) should throw
 *       {@code TlsHandshakeException} with {@code tlsFailed} false for it.</li>
 * </ul>
 */
public interface SslAdapter {

    /**
     * Runs the server side of the TLS handshake over {@code transport}.
     *
     * @param transport     the connection so far (a plain socket, or what an earlier setup step returned)
     * @param deadlineNanos {@link System#nanoTime()} by which the handshake must be done
     * @return a transport that reads and writes application data; its {@code sslSession()} is set
     * @throws IOException if the handshake failed or timed out (the caller closes the connection)
     *                     (a {@link org.minipylib.wsgiserver.http.SetupRefusedException} for a client
     *                     that spoke plain HTTP, which the server then answers with {@code 400})
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
