package org.minipylib.wsgiserver;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;

/**
 * A read-only view of a running server, for monitoring applications (metrics, status page, health
 * checks) that are built before the server exists: see {@link WsgiServer.Builder#mount}.
 * {@link WsgiServer} implements it.
 */
public interface ServerStatus {

    /** A consistent-enough snapshot of the server's counters and gauges, taken now. */
    ServerStats statistics();

    /** The server's lifecycle state. */
    ServerState state();

    /** The server's configuration. */
    ServerConfig config();

    /** The TCP addresses the server listens on (empty before it starts). */
    List<InetSocketAddress> addresses();

    /** Every address the server listens on, TCP and UNIX domain sockets (empty before it starts). */
    List<SocketAddress> listeningAddresses();
}
