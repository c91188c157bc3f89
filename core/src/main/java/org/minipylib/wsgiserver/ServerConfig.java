package org.minipylib.wsgiserver;

import org.minipylib.wsgiserver.http.HttpLimits;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.tls.SslAdapter;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything about a server but its application; immutable. Build one with {@link #builder()} (or
 * {@link WsgiServer#builder(WsgiApp)}); every field has a safe default.
 *
 * @param bindAddresses         where to listen: {@link InetSocketAddress} (port 0: any free port),
 *                              {@link UnixDomainSocketAddress} or {@link InheritedSocketAddress};
 *                              default {@code 127.0.0.1:8080}
 * @param serverName            SERVER_NAME for applications; {@code null}: the address the client connected to
 * @param workerMode            pool of platform threads or virtual threads
 * @param minThreads            pool mode: threads kept alive when idle (default: 10, or maxThreads if smaller)
 * @param maxThreads            pool mode: most threads; virtual mode: most requests served at once
 * @param threadIdleTimeout     pool mode: how long an idle thread above the minimum lives
 * @param acceptQueueSize       requests that may wait for a worker; beyond that a request gets 503
 * @param maxConnections        most open connections; beyond that a new one gets 503 and is closed, the close
 *                              lingering (as after any refusal) for at most a sixteenth as many refusals at
 *                              once (8 to 256, counted apart from this limit), at once beyond them
 * @param acceptBacklog         the listen backlog of the operating system
 * @param limits                request size limits
 * @param timeouts              client timeouts
 * @param shutdownTimeout       how long {@link WsgiServer#stop()} lets in-flight requests finish
 * @param drainDelay            how long {@link WsgiServer#stop()} first keeps accepting and serving as usual
 *                              while health checks report not ready (so that load balancers and Kubernetes
 *                              take the instance out of rotation before it stops accepting); default 0
 * @param accessLog             where to log requests; {@code null}: no access log
 * @param serverHeader          the Server response header; {@code null}: none
 * @param sslAdapter            TLS for every address; {@code null}: plain HTTP
 * @param listenOptions         socket options of the listeners: SO_REUSEPORT, PROXY protocol (on every listener,
 *                              or on those of some bind addresses, which must be among {@code bindAddresses}),
 *                              UNIX socket options
 * @param jmx                   register a {@link WsgiServerMXBean} on the platform MBean server while running
 * @param readinessLoops        virtual mode, TCP (plain or TLS) and UNIX sockets: how many NIO selector loops
 *                              idle keep-alive connections wait on ({@link #AUTO_READINESS_LOOPS}: as many as
 *                              the JDK has pollers, a power of two up to the processors, at most 32); 0: they
 *                              wait in the JDK's own poller, a parked virtual thread each, which costs a failed
 *                              read and an {@code epoll_ctl} for each request that has not arrived by the time
 *                              a fresh thread, started behind the others after the response before it, reads.
 *                              Ignored before JDK 24, where a
 *                              selector parks its virtual thread pinned to its carrier
 * @param directSocketCalls     plain TCP connections waiting on a readiness loop read and write with the C
 *                              library's {@code recv} and {@code send}, through the foreign function API, on
 *                              a duplicate of their descriptor (made while the process holds fewer duplicates
 *                              than leave each of {@code maxConnections} connections a descriptor for its socket
 *                              and 1024 to spare, or fewer than a quarter of its descriptor limit): less CPU per
 *                              request than the JDK's channel calls, most at
 *                              many connections; and they wait on an edge-triggered epoll of their loop's own
 *                              by that descriptor instead of its selector (each arrival reported once, no
 *                              interest changes). Needs Linux, readiness loops (see above) and, for this
 *                              library, {@code --enable-native-access} and
 *                              {@code --add-exports=java.base/sun.nio.ch} (the CLI's jar names both); without
 *                              them the channel's calls serve, as with false. Default true
 * @param maxRequestsPerConnection the most requests one connection serves: the response to the last one says
 *                              {@code Connection: close} and the connection closes after it (nginx's
 *                              {@code keepalive_requests}), so that clients holding connections open spread
 *                              over instances added since; 0 (the default): no limit
 * @param maxConnectionAge      how long one connection is reused: the first response to begin after this
 *                              (less up to a tenth, chosen per connection, so that connections opened together
 *                              do not all close together) says {@code Connection: close} and the connection
 *                              closes after it (nginx's {@code keepalive_time}, gRPC's {@code MAX_CONNECTION_AGE});
 *                              an idle connection is left to the keep-alive timeout; {@link Duration#ZERO}
 *                              (the default), or one longer than 2<sup>62</sup> ns (about 146 years): no limit
 * @param maxStalledWriteMemory the most heap that connections whose write to the client has made no progress
 *                              for a second or more may hold together (each counted at what its transport
 *                              holds while it waits: about 8 KiB plain, 36 KiB over TLS); beyond it the
 *                              connections stalled longest are reset, before their write timeout, so that
 *                              thousands of clients that stop reading large responses cannot fill the heap.
 *                              Default {@link #DEFAULT_MAX_STALLED_WRITE_MEMORY}: a quarter of the heap
 */
public record ServerConfig(List<SocketAddress> bindAddresses, String serverName, WorkerMode workerMode,
                           int minThreads, int maxThreads, Duration threadIdleTimeout, int acceptQueueSize,
                           int maxConnections, int acceptBacklog, HttpLimits limits, HttpTimeouts timeouts,
                           Duration shutdownTimeout, Duration drainDelay, AccessLog accessLog, String serverHeader,
                           SslAdapter sslAdapter, ListenOptions listenOptions,
                           boolean jmx, int readinessLoops, boolean directSocketCalls,
                           int maxRequestsPerConnection, Duration maxConnectionAge, long maxStalledWriteMemory) {

    /** {@link #readinessLoops()}: one per JDK poller. */
    public static final int AUTO_READINESS_LOOPS = -1;

    /** {@link #minThreads()} when the builder is given none (or {@code maxThreads} if smaller). */
    private static final int DEFAULT_MIN_THREADS = 10;

    /** The default of {@link #maxStalledWriteMemory()}: a quarter of this JVM's maximum heap ({@link Runtime#maxMemory()}). */
    public static final long DEFAULT_MAX_STALLED_WRITE_MEMORY = Math.max(1, Runtime.getRuntime().maxMemory() / 4);

    public ServerConfig {
        bindAddresses = List.copyOf(bindAddresses);
        if (bindAddresses.isEmpty()) throw new IllegalArgumentException("at least one bind address is needed");
        for (SocketAddress a : bindAddresses) {
            if (!(a instanceof InetSocketAddress || a instanceof UnixDomainSocketAddress || a instanceof InheritedSocketAddress)) {
                throw new IllegalArgumentException("cannot listen on a " + a.getClass().getName());
            }
        }
        Objects.requireNonNull(listenOptions, "listenOptions");
        for (SocketAddress a : listenOptions.proxyProtocolAddresses()) {
            if (!bindAddresses.contains(a)) {
                String text = a instanceof InetSocketAddress inet && inet.isUnresolved() ? inet.toString() : HostAddress.text(a);
                throw new IllegalArgumentException("the PROXY protocol address " + text + " is not a bind address");
            }
        }
        Objects.requireNonNull(workerMode, "workerMode");
        if (maxThreads < 1) throw new IllegalArgumentException("maxThreads must be >= 1, got " + maxThreads);
        if (minThreads < 1) throw new IllegalArgumentException("minThreads must be >= 1, got " + minThreads);
        if (maxThreads < minThreads && workerMode == WorkerMode.POOL) { // minThreads means nothing to virtual workers
            throw new IllegalArgumentException("maxThreads must be >= minThreads");
        }
        if (acceptQueueSize < 0) throw new IllegalArgumentException("acceptQueueSize must be >= 0, got " + acceptQueueSize);
        if (maxConnections < 1) throw new IllegalArgumentException("maxConnections must be >= 1, got " + maxConnections);
        if (maxStalledWriteMemory < 1) throw new IllegalArgumentException("maxStalledWriteMemory must be >= 1, got " + maxStalledWriteMemory);
        if (acceptBacklog < 1) throw new IllegalArgumentException("acceptBacklog must be >= 1, got " + acceptBacklog);
        Objects.requireNonNull(threadIdleTimeout, "threadIdleTimeout");
        // zero would have each idle thread above the minimum wait no time at all, again and again
        if (!threadIdleTimeout.isPositive()) throw new IllegalArgumentException("threadIdleTimeout must be > 0");
        HttpTimeouts.atMostLongest(threadIdleTimeout, "threadIdleTimeout");
        if (serverName != null && (serverName.isEmpty() || !Header.isValidValue(serverName))) { // apps build URLs of it
            throw new IllegalArgumentException("serverName must be null (the address connected to) or a non-empty name"
                    + " without control characters or characters beyond ISO-8859-1");
        }
        if (serverHeader != null && !Header.isValidValue(serverHeader)) { // a CR or LF would start another header
            throw new IllegalArgumentException("serverHeader has a control character or one beyond ISO-8859-1");
        }
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(timeouts, "timeouts");
        Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
        if (shutdownTimeout.isNegative()) throw new IllegalArgumentException("shutdownTimeout must be >= 0");
        HttpTimeouts.atMostLongest(shutdownTimeout, "shutdownTimeout");
        Objects.requireNonNull(drainDelay, "drainDelay");
        if (drainDelay.isNegative()) throw new IllegalArgumentException("drainDelay must be >= 0");
        HttpTimeouts.atMostLongest(drainDelay, "drainDelay");
        if (readinessLoops < AUTO_READINESS_LOOPS || readinessLoops > 256) {
            throw new IllegalArgumentException("readinessLoops must be -1 (auto) or 0..256, got " + readinessLoops);
        }
        if (maxRequestsPerConnection < 0) throw new IllegalArgumentException("maxRequestsPerConnection must be >= 0 (0: no limit), got " + maxRequestsPerConnection);
        Objects.requireNonNull(maxConnectionAge, "maxConnectionAge");
        if (maxConnectionAge.isNegative()) throw new IllegalArgumentException("maxConnectionAge must be >= 0 (0: no limit)");
    }

    /** Where a configuration built without a {@code bind} listens; its list kept as is by the constructor's copy. */
    private static final List<SocketAddress> DEFAULT_BIND_ADDRESSES = List.of(new InetSocketAddress("127.0.0.1", 8080));

    /** A builder with every default set. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder starting from this configuration. Its {@code minThreads} is kept, and lowered to
     * {@code maxThreads} if the builder is given a smaller one (and no {@code minThreads} of its own).
     * Its {@code bind} adds to this configuration's addresses, or replaces the default 127.0.0.1:8080
     * of one built without any.
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        // the default's own list (not an equal one given on purpose): a bind on the copy replaces it
        if (bindAddresses != DEFAULT_BIND_ADDRESSES) b.bindAddresses.addAll(bindAddresses);
        b.serverName = serverName;
        b.workerMode = workerMode;
        b.minThreads = minThreads;
        b.minThreadsCopied = true; // lowered to a smaller maxThreads given to the copy (see build)
        b.maxThreads = maxThreads;
        b.threadIdleTimeout = threadIdleTimeout;
        b.acceptQueueSize = acceptQueueSize;
        b.maxConnections = maxConnections;
        b.maxStalledWriteMemory = maxStalledWriteMemory;
        b.acceptBacklog = acceptBacklog;
        b.limits = limits;
        b.timeouts = timeouts;
        b.shutdownTimeout = shutdownTimeout;
        b.drainDelay = drainDelay;
        b.accessLog = accessLog;
        b.serverHeader = serverHeader;
        b.sslAdapter = sslAdapter;
        b.listenOptions = listenOptions;
        b.jmx = jmx;
        b.readinessLoops = readinessLoops;
        b.directSocketCalls = directSocketCalls;
        b.maxRequestsPerConnection = maxRequestsPerConnection;
        b.maxConnectionAge = maxConnectionAge;
        return b;
    }

    /** Builds a {@link ServerConfig}. */
    public static final class Builder {
        private final List<SocketAddress> bindAddresses = new ArrayList<>();
        private String serverName;
        private WorkerMode workerMode = WorkerMode.VIRTUAL;
        private Integer minThreads; // default: min(DEFAULT_MIN_THREADS, maxThreads)
        private boolean minThreadsCopied; // minThreads came with toBuilder(), not from minThreads(n)
        private int maxThreads = 200;
        private Duration threadIdleTimeout = Duration.ofSeconds(60);
        private int acceptQueueSize = 1024;
        private int maxConnections = 10_000;
        private long maxStalledWriteMemory = DEFAULT_MAX_STALLED_WRITE_MEMORY;
        private int acceptBacklog = 1024;
        private HttpLimits limits = HttpLimits.defaults();
        private HttpTimeouts timeouts = HttpTimeouts.defaults();
        private Duration shutdownTimeout = Duration.ofSeconds(10);
        private Duration drainDelay = Duration.ZERO;
        private AccessLog accessLog;
        private String serverHeader = "wsgiserver/" + Version.VERSION;
        private SslAdapter sslAdapter;
        private ListenOptions listenOptions = ListenOptions.defaults();
        private boolean jmx;
        private int readinessLoops = AUTO_READINESS_LOOPS;
        private boolean directSocketCalls = true;
        private int maxRequestsPerConnection;
        private Duration maxConnectionAge = Duration.ZERO;

        Builder() {
        }

        /**
         * Adds an address to listen on (the first call replaces the default 127.0.0.1:8080): an
         * {@link InetSocketAddress}, a {@link UnixDomainSocketAddress} or {@link InheritedSocketAddress#INSTANCE}.
         */
        public Builder bind(SocketAddress address) {
            bindAddresses.add(Objects.requireNonNull(address));
            return this;
        }

        /** Adds {@code host:port} to listen on; port 0 picks a free port. */
        public Builder bind(String host, int port) {
            return bind(new InetSocketAddress(host, port));
        }

        /** SERVER_NAME for applications (null: the address the client connected to); see {@link ServerConfig#serverName()}. */
        public Builder serverName(String name) { this.serverName = name; return this; }
        /** Platform threads from a pool or virtual threads; see {@link ServerConfig#workerMode()}. */
        public Builder workerMode(WorkerMode mode) { this.workerMode = mode; return this; }
        /** Pool mode: threads kept alive when idle; see {@link ServerConfig#minThreads()}. */
        public Builder minThreads(int n) { this.minThreads = n; this.minThreadsCopied = false; return this; }
        /** Pool mode: most threads; virtual mode: most requests served at once; see {@link ServerConfig#maxThreads()}. */
        public Builder maxThreads(int n) { this.maxThreads = n; return this; }
        /** Pool mode: how long an idle thread above the minimum lives; see {@link ServerConfig#threadIdleTimeout()}. */
        public Builder threadIdleTimeout(Duration d) { this.threadIdleTimeout = d; return this; }
        /** Requests that may wait for a worker; beyond them a request gets 503; see {@link ServerConfig#acceptQueueSize()}. */
        public Builder acceptQueueSize(int n) { this.acceptQueueSize = n; return this; }
        /** Most open connections; a new one beyond them gets 503 and is closed; see {@link ServerConfig#maxConnections()}. */
        public Builder maxConnections(int n) { this.maxConnections = n; return this; }
        /** The most heap connections with stalled writes may hold together; see {@link ServerConfig#maxStalledWriteMemory()}. */
        public Builder maxStalledWriteMemory(long bytes) { this.maxStalledWriteMemory = bytes; return this; }
        /** The operating system's listen backlog; see {@link ServerConfig#acceptBacklog()}. */
        public Builder acceptBacklog(int n) { this.acceptBacklog = n; return this; }
        /** Request size limits; see {@link ServerConfig#limits()}. */
        public Builder limits(HttpLimits l) { this.limits = l; return this; }
        /** Client timeouts; see {@link ServerConfig#timeouts()}. */
        public Builder timeouts(HttpTimeouts t) { this.timeouts = t; return this; }
        /** How long {@link WsgiServer#stop()} lets requests in flight finish; see {@link ServerConfig#shutdownTimeout()}. */
        public Builder shutdownTimeout(Duration d) { this.shutdownTimeout = d; return this; }
        /** On stop, first report not ready for this long while still serving; see {@link ServerConfig#drainDelay()}. */
        public Builder drainDelay(Duration d) { this.drainDelay = d; return this; }
        /** Where requests are logged (null: nowhere); see {@link ServerConfig#accessLog()}. */
        public Builder accessLog(AccessLog log) { this.accessLog = log; return this; }
        /** The Server response header (null: none); see {@link ServerConfig#serverHeader()}. */
        public Builder serverHeader(String value) { this.serverHeader = value; return this; }
        /** Serves HTTPS through this adapter (e.g. a {@link org.minipylib.wsgiserver.tls.JsseSslAdapter}); null: plain HTTP; see {@link ServerConfig#sslAdapter()}. */
        public Builder sslAdapter(SslAdapter adapter) { this.sslAdapter = adapter; return this; }
        /** Socket options of the listeners (SO_REUSEPORT, the PROXY protocol, UNIX sockets); see {@link ServerConfig#listenOptions()}. */
        public Builder listenOptions(ListenOptions options) { this.listenOptions = options; return this; }
        /** Registers a {@link WsgiServerMXBean} while running; see {@link ServerConfig#jmx()}. */
        public Builder jmx(boolean on) { this.jmx = on; return this; }
        /** Selector loops for idle keep-alive connections in virtual mode; see {@link ServerConfig#readinessLoops()}. */
        public Builder readinessLoops(int n) { this.readinessLoops = n; return this; }
        /** Reads and writes of keep-alive connections through {@code recv} and {@code send}; see {@link ServerConfig#directSocketCalls()}. */
        public Builder directSocketCalls(boolean on) { this.directSocketCalls = on; return this; }
        /** The most requests one connection serves (0: no limit); see {@link ServerConfig#maxRequestsPerConnection()}. */
        public Builder maxRequestsPerConnection(int n) { this.maxRequestsPerConnection = n; return this; }
        /** How long one connection is reused (zero: no limit); see {@link ServerConfig#maxConnectionAge()}. */
        public Builder maxConnectionAge(Duration d) { this.maxConnectionAge = d; return this; }

        /** The configuration; its values are checked here ({@link IllegalArgumentException} for one out of range). */
        public ServerConfig build() {
            List<SocketAddress> addresses = bindAddresses.isEmpty() ? DEFAULT_BIND_ADDRESSES : bindAddresses;
            int min = minThreads != null ? minThreads : Math.min(DEFAULT_MIN_THREADS, maxThreads);
            // a copy given a smaller maxThreads only: its minimum follows (a minimum set here must fit)
            if (minThreadsCopied && min > maxThreads) min = maxThreads;
            return new ServerConfig(addresses, serverName, workerMode, min, maxThreads, threadIdleTimeout,
                    acceptQueueSize, maxConnections, acceptBacklog, limits, timeouts, shutdownTimeout, drainDelay, accessLog,
                    serverHeader, sslAdapter, listenOptions, jmx, readinessLoops, directSocketCalls,
                    maxRequestsPerConnection, maxConnectionAge, maxStalledWriteMemory);
        }
    }
}
