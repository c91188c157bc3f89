package org.minipylib.wsgiserver.proxy;

import org.minipylib.wsgiserver.http.ProxiedTls;

import java.net.SocketAddress;

/**
 * What a PROXY protocol header says about a connection: the real client ({@code source}) and the
 * address it connected to on the proxy ({@code destination}), or nothing: the {@code LOCAL} command
 * (a connection of the proxy's own, such as a health check: the socket's addresses stay, and so
 * does a UNIX socket peer's identity), or a client whose address the header does not give
 * ({@code UNKNOWN}, {@code UNSPEC}, UNIX socket paths: the socket's addresses stay, but the client is
 * not the proxy, so it is never given the proxy's peer credentials).
 *
 * @param source      the client's address, or {@code null} to keep the socket's
 * @param destination the address the client connected to, or {@code null} to keep the socket's
 * @param length      the header's length in bytes (what follows it is the client's data)
 * @param tls         what the proxy said about the client's TLS connection to it (v2 {@code PP2_TYPE_SSL}
 *                    with {@code PP2_CLIENT_SSL}), or {@code null}: the client did not use TLS, or the
 *                    proxy did not say
 * @param local       the proxy's own connection ({@code LOCAL}), not a client's
 */
public record ProxyHeader(SocketAddress source, SocketAddress destination, int length, ProxiedTls tls, boolean local) {

    /** A header that says nothing about TLS; without a {@code source}, the proxy's own connection. */
    public ProxyHeader(SocketAddress source, SocketAddress destination, int length) {
        this(source, destination, length, null);
    }

    /** Without a {@code source}, the proxy's own connection ({@code LOCAL}). */
    public ProxyHeader(SocketAddress source, SocketAddress destination, int length, ProxiedTls tls) {
        this(source, destination, length, tls, source == null);
    }

    /** The {@code LOCAL} command: the proxy's own connection. */
    static ProxyHeader local(int length) {
        return new ProxyHeader(null, null, length, null, true);
    }

    /** A client's connection whose address the header does not give ({@code UNKNOWN}, {@code UNSPEC}). */
    static ProxyHeader unknownClient(int length) {
        return new ProxyHeader(null, null, length, null, false);
    }

    /** True if the header gives addresses. */
    public boolean hasAddresses() {
        return source != null;
    }
}
