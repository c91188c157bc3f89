package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.http.BufferPool;
import org.minipylib.wsgiserver.http.ConnectionOwner;
import org.minipylib.wsgiserver.http.HeadMemoryBudget;
import org.minipylib.wsgiserver.http.HttpConnection;
import org.minipylib.wsgiserver.http.RequestParserPool;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The open connections of a server: enforces the connection limit, knows whether the server is
 * draining, and lets shutdown and the watchdog reach every connection. Connections refused over
 * the limit that linger after their 503 (see {@link #addLingeringRefusal}) are open connections
 * too, counted apart, within a small budget of their own.
 */
public final class ConnectionRegistry implements ConnectionOwner {

    /** Enough for every request in flight at the default thread limit; more are allocated, then dropped. */
    private static final int POOLED_OUTPUT_BUFFERS = 256;
    /** Input buffers are small (2 KiB) and taken back by every keep-alive request: keep more. */
    private static final int POOLED_INPUT_BUFFERS = 1024;

    /**
     * The fewest and the most refusals over the connection limit that linger at once (see
     * {@link #lingeringRefusalBudget}).
     */
    private static final int MIN_LINGERING_REFUSALS = 8;
    private static final int MAX_LINGERING_REFUSALS = 256;

    private final Set<HttpConnection> connections = ConcurrentHashMap.newKeySet();
    private final Set<HttpConnection> lingeringRefusals = ConcurrentHashMap.newKeySet();
    private final AtomicInteger refusalCount = new AtomicInteger();
    private final int refusalBudget;
    private final BufferPool outputBuffers = new BufferPool(HttpConnection.OUTPUT_BUFFER_SIZE, POOLED_OUTPUT_BUFFERS);
    private final BufferPool inputBuffers = new BufferPool(HttpConnection.INPUT_BUFFER_SIZE, POOLED_INPUT_BUFFERS);
    private final RequestParserPool requestParsers = new RequestParserPool(Runtime.getRuntime().availableProcessors());
    private final AtomicInteger count = new AtomicInteger();
    private final int maxConnections;
    private final ServerStatistics statistics;
    private final HeadMemoryBudget headMemory;
    private final ThrottledWarning headMemoryWarning = new ThrottledWarning(System.getLogger(ConnectionRegistry.class.getName()));
    private final StalledWriteBudget stalledWrites;
    private volatile boolean draining;

    public ConnectionRegistry(int maxConnections) {
        this(maxConnections, new ServerStatistics(), null, Long.MAX_VALUE);
    }

    /**
     * A registry that also passes what its connections report on to {@code statistics}, lends them
     * {@code headMemory} (if not null) for long request heads, and resets those stalled longest in
     * writes to clients that do not read while such writes hold more than {@code maxStalledWriteMemory}.
     */
    public ConnectionRegistry(int maxConnections, ServerStatistics statistics, HeadMemoryBudget headMemory,
                              long maxStalledWriteMemory) {
        this.maxConnections = maxConnections;
        this.statistics = statistics;
        this.headMemory = headMemory;
        this.refusalBudget = lingeringRefusalBudget(maxConnections);
        this.stalledWrites = new StalledWriteBudget(maxStalledWriteMemory, new ThrottledWarning(System.getLogger(ConnectionRegistry.class.getName())));
    }

    /**
     * How many connections refused over {@code maxConnections} may linger at once: a sixteenth of
     * the limit, at least 8 (so that a small server's uploading clients still read their 503) and
     * at most 256. Each holds a descriptor (two with direct socket calls) beyond those the limit
     * was sized for, for at most the linger deadline (2 s); 256 stays well inside the 1024
     * descriptors {@link DirectSocketCalls} leaves beyond the limit for everything else. A
     * client that reads its 503 and closes gives its place back at once, so a flood of clients
     * that do finds places; one of clients that keep their connections open gets the immediate
     * close beyond the budget, and cannot make the server hold more descriptors.
     */
    static int lingeringRefusalBudget(int maxConnections) {
        return Math.clamp(maxConnections / 16, MIN_LINGERING_REFUSALS, MAX_LINGERING_REFUSALS);
    }

    /** Registers a new connection; false if the server already has its maximum. */
    public boolean add(HttpConnection connection) {
        return admit(connection, connections, count, maxConnections);
    }

    /**
     * Registers a connection refused because the server has its maximum ({@link #add} was false),
     * to linger after its 503 (closed by the watchdog at its deadline and by {@link #abortAll},
     * its place given back when it closes, whichever way); false if that budget is used up (it
     * must then close at once).
     */
    public boolean addLingeringRefusal(HttpConnection connection) {
        return admit(connection, lingeringRefusals, refusalCount, refusalBudget);
    }

    /** Adds {@code connection} to {@code set}, whose size {@code count} counts, unless that has {@code max} already. */
    private static boolean admit(HttpConnection connection, Set<HttpConnection> set, AtomicInteger count, int max) {
        if (count.incrementAndGet() > max) {
            count.decrementAndGet();
            return false;
        }
        set.add(connection);
        return true;
    }

    @Override
    public void connectionClosed(HttpConnection connection) {
        if (connections.remove(connection)) {
            count.decrementAndGet();
        } else if (lingeringRefusals.remove(connection)) {
            refusalCount.decrementAndGet();
        }
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
    public HeadMemoryBudget headMemory() {
        return headMemory;
    }

    @Override
    public void headMemoryExhausted() {
        headMemoryWarning.occurred((count, interval) -> "Connections hold all of the memory for long request heads ("
                + headMemory.capacity() + " bytes, maxHeadMemory): " + count + " request(s) answered 503"
                + (count > 1 ? " in the last " + interval + " s" : "") + "; many clients may be sending long heads slowly");
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

    /** Open connections, refusals still lingering included. */
    public int size() {
        return count.get() + refusalCount.get();
    }

    /** Open connections serving a request now (see {@link HttpConnection#isBusy()}). */
    public int busyConnections() {
        int n = 0;
        for (HttpConnection c : connections) {
            if (c.isBusy()) n++;
        }
        return n;
    }

    /**
     * Closes connections idle past their keep-alive deadline, or whose client stopped reading, and
     * lingering ones (refusals too) past their deadline; then, if writes to clients that stopped
     * reading hold more than their budget, resets those stalled longest (see {@link StalledWriteBudget}).
     */
    public void checkTimeouts() {
        long now = System.nanoTime();
        for (HttpConnection c : connections) c.checkTimeouts(now);
        for (HttpConnection c : lingeringRefusals) c.checkTimeouts(now);
        stalledWrites.enforce(connections, now);
    }

    /** Closes every connection at once, lingering refusals too. */
    public void abortAll() {
        for (HttpConnection c : connections) c.abort();
        for (HttpConnection c : lingeringRefusals) c.abort();
    }
}
