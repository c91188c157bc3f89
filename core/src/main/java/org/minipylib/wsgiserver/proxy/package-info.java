/**
 * The PROXY protocol, versions 1 and 2 (not exported): {@code ProxyProtocolSetup} reads the header a
 * load balancer sends before the connection's first byte, {@code ProxyProtocolParser} parses it from
 * a byte array, and {@code ProxiedTransport} gives the connection the client's addresses from it.
 */
package org.minipylib.wsgiserver.proxy;
