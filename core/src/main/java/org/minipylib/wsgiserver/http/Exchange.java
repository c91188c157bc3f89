package org.minipylib.wsgiserver.http;

import java.net.SocketAddress;

/**
 * One request/response pair, as given to a {@link Gateway}.
 *
 * @param request       the parsed request head
 * @param body          the request body (empty if there is none); reading it first sends
 *                      {@code 100 Continue} if the client asked for it
 * @param response      where the answer goes
 * @param localAddress  the server address the client connected to
 * @param remoteAddress the client's address
 * @param scheme        {@code http} or {@code https}
 * @param sslSession    the TLS session, or {@code null} on a plain connection
 * @param proxiedTls    what a proxy in front said about the client's TLS connection to it, or {@code null}
 */
public record Exchange(RequestHead request, RequestBody body, HttpResponse response,
                       SocketAddress localAddress, SocketAddress remoteAddress, String scheme,
                       javax.net.ssl.SSLSession sslSession, ProxiedTls proxiedTls) {

    /** An exchange on a connection that was not proxied with TLS facts. */
    public Exchange(RequestHead request, RequestBody body, HttpResponse response,
                    SocketAddress localAddress, SocketAddress remoteAddress, String scheme,
                    javax.net.ssl.SSLSession sslSession) {
        this(request, body, response, localAddress, remoteAddress, scheme, sslSession, null);
    }

    /** An exchange on a plain (non-TLS) connection. */
    public Exchange(RequestHead request, RequestBody body, HttpResponse response,
                    SocketAddress localAddress, SocketAddress remoteAddress, String scheme) {
        this(request, body, response, localAddress, remoteAddress, scheme, null, null);
    }
}
