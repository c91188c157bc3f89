package org.minipylib.wsgiserver.http;

/**
 * What a proxy in front said about the TLS connection the client made to it, when the proxy ended TLS
 * and passed the connection on in the clear (PROXY protocol v2 {@code PP2_TYPE_SSL}, HAProxy's
 * {@code send-proxy-v2-ssl} and {@code send-proxy-v2-ssl-cn}). The proxy is trusted: these facts are
 * believed as they come. Each text is {@code null} when the proxy did not send it.
 *
 * @param protocol          the TLS version, e.g. {@code TLSv1.3} ({@code PP2_SUBTYPE_SSL_VERSION})
 * @param cipher            the cipher suite, in the proxy's (OpenSSL's) naming ({@code PP2_SUBTYPE_SSL_CIPHER})
 * @param signatureAlgorithm the signature algorithm of the proxy's own certificate ({@code PP2_SUBTYPE_SSL_SIG_ALG})
 * @param keyAlgorithm      the key algorithm of the proxy's own certificate ({@code PP2_SUBTYPE_SSL_KEY_ALG})
 * @param serverName        the SNI host name the client asked for ({@code PP2_TYPE_AUTHORITY})
 * @param clientCertificate the client presented a certificate, on this connection or earlier in its TLS session
 * @param clientVerified    that certificate was verified by the proxy
 * @param clientCommonName  the CN of the client certificate's subject ({@code PP2_SUBTYPE_SSL_CN});
 *                          {@code null} unless the certificate was verified
 */
public record ProxiedTls(String protocol, String cipher, String signatureAlgorithm, String keyAlgorithm,
                         String serverName, boolean clientCertificate, boolean clientVerified, String clientCommonName) {
}
