package org.minipylib.wsgiserver.tls;

import java.io.IOException;

/**
 * A TLS handshake that did not complete (timeout, a scanner, a refused certificate; plain HTTP,
 * which is answered, is a {@link org.minipylib.wsgiserver.http.SetupRefusedException}).
 * Its {@link #toString()} is just the message, so the server's one debug line per failed connection
 * reads well; the cause is kept for anyone who wants the detail.
 */
public final class TlsHandshakeException extends IOException {

    private final boolean tlsFailed;

    /**
     * A failure that {@link #tlsFailed()} takes for TLS's own if {@code cause} is an
     * {@link javax.net.ssl.SSLException} (as the JDK's engine throws), else for the connection's.
     *
     * @param reason what went wrong, in a few words
     */
    public TlsHandshakeException(String reason, Throwable cause) {
        this(reason, cause, cause instanceof javax.net.ssl.SSLException);
    }

    /**
     * A failure whose kind the adapter states, for TLS libraries whose errors are not
     * {@link javax.net.ssl.SSLException}s, or that tell a client's close from a refusal themselves.
     *
     * @param reason    what went wrong, in a few words
     * @param tlsFailed what {@link #tlsFailed()} answers
     */
    public TlsHandshakeException(String reason, Throwable cause, boolean tlsFailed) {
        super("TLS handshake failed: " + reason, cause);
        this.tlsFailed = tlsFailed;
    }

    /**
     * True if TLS itself failed: no protocol version or cipher suite in common, a certificate refused
     * by either side, bytes that are not TLS (counted in the server's {@code tlsHandshakeFailures}).
     * False if the connection under it failed first: closed or reset by the client, closed by the
     * server, timed out.
     */
    public boolean tlsFailed() {
        return tlsFailed;
    }

    @Override
    public String toString() {
        return getMessage();
    }
}
