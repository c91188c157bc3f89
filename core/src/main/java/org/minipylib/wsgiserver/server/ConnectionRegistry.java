package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.http.BufferPool;
import org.minipylib.wsgiserver.http.HttpConnection;
import org.minipylib.wsgiserver.http.RequestParserPool;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The open connections of a server: enforces the connection limit, knows whether the server is
 * draining, and lets shutdown and the watchdog reach every connection.
 */
public final class ConnectionRegistry implements HttpConnection.Owner {

    /** Enough for every request in flight at the default thread limit; more are allocated, then dropped. */
    private static final int POOLED_OUTPUT_BUFFERS = 256;
    /** Input buffers are small (2 KiB) and taken back by every keep-alive request: keep more. */
    private static final int POOLED_INPUT_BUFFERS = 1024;

    private final Set<HttpConnection> connections = ConcurrentHashMap.newKeySet();
    private final BufferPool outputBuffers = new BufferPool(HttpConnection.OUTPUT_BUFFER_SIZE, POOLED_OUTPUT_BUFFERS);
    private final BufferPool inputBuffers = new BufferPool(HttpConnection.INPUT_BUFFER_SIZE, POOLED_INPUT_BUFFERS);
    private final RequestParserPool requestParsers = new RequestParserPool(Runtime.getRuntime().availableProcessors());
    private final AtomicInteger count = new AtomicInteger();
    private final int maxConnections;
    private final ServerStatistics statistics;
    private volatile boolean draining;

    public ConnectionRegistry(int maxConnections) {
        this(maxConnections, new ServerStatistics());
    }

    /** A registry that also passes what its connections report on to {@code statistics}. */
    public ConnectionRegistry(int maxConnections, ServerStatistics statistics) {
        this.maxConnections = maxConnections;
        this.statistics = statistics;
    }

    /** Registers a new connection; false if the server already has its maximum. */
    public boolean add(HttpConnection connection) {
        if (count.incrementAndGet() > maxConnections) {
            count.decrementAndGet();
            return false;
        }
        connections.add(connection);
        return true;
    }

    @Override
    public void connectionClosed(HttpConnection connection) {
        if (connections.remove(connection)) count.decrementAndGet();
    }

    @Override
    public BufferPool outputBuffers() {
        return outputBuffers;
    }

    @Override
    public BufferPool inputBuffers() {
        return inputBuffers;
    }

    @Override
    public RequestParserPool requestParsers() {
        return requestParsers;
    }

    @Override
    public void served(int status, long nanos) {
        statistics.served(status, nanos);
    }

    @Override
    public void refused(int status) {
        statistics.refused(status);
    }

    @Override
    public void socketError() {
        statistics.socketError();
    }

    @Override
    public void connectionRetired() {
        statistics.connectionRetired();
    }

    @Override
    public boolean isDraining() {
        return draining;
    }

    /** From now on responses say {@code Connection: close} and idle connections close. */
    public void startDraining() {
        draining = true;
        for (HttpConnection c : connections) c.closeIfIdleAndQuiet();
    }

    /** Open connections. */
    public int size() {
        return count.get();
    }

    /** Closes connections idle past their keep-alive deadline, or whose client stopped reading. */
    public void checkTimeouts() {
        long now = System.nanoTime();
        for (HttpConnection c : connections) c.checkTimeouts(now);
    }

    /** Closes every connection at once. */
    public void abortAll() {
        for (HttpConnection c : connections) c.abort();
    }
}
