/**
 * TLS: an {@link org.minipylib.wsgiserver.tls.SslAdapter} set on the server makes it speak HTTPS.
 * {@link org.minipylib.wsgiserver.tls.JsseSslAdapter} (built from a
 * {@link org.minipylib.wsgiserver.tls.TlsConfig}: PEM or key store, client authentication,
 * protocols, reloads) is the JDK's; {@code TlsTransport} runs the handshake and wraps a connection's
 * reads and writes with an {@code SSLEngine}, {@code HandshakeSlots} bounds the handshakes in
 * progress, and {@code SslEnviron} gives the WSGI environ its TLS keys.
 */
package org.minipylib.wsgiserver.tls;
