package org.minipylib.wsgiserver.proxy;

import org.minipylib.wsgiserver.http.ProxiedTls;

import java.net.SocketAddress;

/**
 * What a PROXY protocol header says about a connection: the real client ({@code source}) and the
 * address it connected to on the proxy ({@code destination}), or nothing ({@code LOCAL} command,
 * {@code UNKNOWN}/{@code UNSPEC} family: a health check of the proxy itself, the socket's addresses stay).
 *
 * @param source      the client's address, or {@code null} to keep the socket's
 * @param destination the address the client connected to, or {@code null} to keep the socket's
 * @param length      the header's length in bytes (what follows it is the client's data)
 * @param tls         what the proxy said about the client's TLS connection to it (v2 {@code PP2_TYPE_SSL}
 *                    with {@code PP2_CLIENT_SSL}), or {@code null}: the client did not use TLS, or the
 *                    proxy did not say
 */
public record ProxyHeader(SocketAddress source, SocketAddress destination, int length, ProxiedTls tls) {

    /** A header that says nothing about TLS. */
    public ProxyHeader(SocketAddress source, SocketAddress destination, int length) {
        this(source, destination, length, null);
    }

    /** True if the header gives addresses. */
    public boolean hasAddresses() {
        return source != null;
    }
}
