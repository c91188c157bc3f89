package org.minipylib.wsgiserver;

import java.util.Map;

/**
 * The JMX view of a running server, registered on the platform MBean server as
 * {@code org.minipylib.wsgiserver:type=Server,name="HOST:PORT"} when {@link ServerConfig#jmx()} is on,
 * and unregistered when it stops. Every attribute is read from a fresh {@link ServerStats}.
 */
public interface WsgiServerMXBean {

    /** {@link ServerState} name: RUNNING, DRAINING... */
    String getState();

    /** Seconds since the server started. */
    long getUptimeSeconds();

    /** Connections accepted. */
    long getAccepts();

    /**
     * Connections refused and closed (lingering after their 503, or at once) because the server had
     * its maximum open (also counted in {@link #getAccepts()}).
     */
    long getRefusedConnections();

    /** TLS handshakes that TLS itself failed (see {@link ServerStats#tlsHandshakeFailures()}). */
    long getTlsHandshakeFailures();

    /** TLS handshakes not done by the handshake timeout. */
    long getTlsHandshakeTimeouts();

    /** PROXY protocol headers that were malformed, missing or late (see {@link ServerStats#proxyProtocolFailures()}). */
    long getProxyProtocolFailures();

    /** Connections closed after a response because they had served their share ({@link ServerStats#retiredConnections()}). */
    long getRetiredConnections();

    /** Connections open now, refusals over the connection limit still lingering included (see {@link ServerStats#openConnections()}). */
    int getOpenConnections();

    /** Responses sent. */
    long getRequests();

    /** Requests answered 503 at once because every worker was busy and the queue full ({@link ServerStats#busyRefusals()}). */
    long getBusyRefusals();

    /** Bytes read from clients. */
    long getBytesRead();

    /** Bytes written to clients. */
    long getBytesWritten();

    /** Total time spent serving requests, in milliseconds. */
    long getWorkTimeMillis();

    /** Requests waiting for a worker now. */
    int getQueued();

    /** Worker threads now. */
    int getThreads();

    /** Requests holding a worker now (in virtual mode a request waiting for its client lends it back). */
    int getBusyWorkers();

    /** Connections lost to network errors while serving. */
    long getSocketErrors();

    /** Responses by status code (the code as text). */
    Map<String, Long> getResponsesByStatus();

    /** Cumulative latency buckets: upper bound in seconds (as text, last {@code +Inf}) to requests at most that long. */
    Map<String, Long> getLatencyBuckets();
}
