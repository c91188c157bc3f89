package org.minipylib.wsgiserver.tls;

/** Whether the server asks TLS clients for a certificate. */
public enum ClientAuth {
    /** Never asks. */
    NONE,
    /** Asks; a client without a certificate is still served ({@code SSL_CLIENT_VERIFY=NONE}). */
    OPTIONAL,
    /** Asks, and refuses the handshake without a certificate the CA bundle vouches for. */
    REQUIRED
}
