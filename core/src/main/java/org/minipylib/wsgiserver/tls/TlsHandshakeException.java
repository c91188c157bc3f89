package org.minipylib.wsgiserver.tls;

import java.io.IOException;

/**
 * A TLS handshake that did not complete (timeout, a scanner, a refused certificate; plain HTTP,
 * which is answered, is a {@link org.minipylib.wsgiserver.http.SetupRefusedException}).
 * Its {@link #toString()} is just the message, so the server's one debug line per failed connection
 * reads well; the cause is kept for anyone who wants the detail.
 */
public final class TlsHandshakeException extends IOException {

    /** @param reason what went wrong, in a few words */
    public TlsHandshakeException(String reason, Throwable cause) {
        super("TLS handshake failed: " + reason, cause);
    }

    /**
     * True if TLS itself failed (an {@link javax.net.ssl.SSLException} is the cause): no protocol
     * version or cipher suite in common, a certificate refused by either side, bytes that are not
     * TLS. False if the connection under it failed first: closed or reset by the client, closed by
     * the server, timed out.
     */
    public boolean tlsFailed() {
        return getCause() instanceof javax.net.ssl.SSLException;
    }

    @Override
    public String toString() {
        return getMessage();
    }
}
