package org.minipylib.wsgiserver;

import org.minipylib.wsgiserver.http.ConnectionSetup;
import org.minipylib.wsgiserver.http.Gateway;
import org.minipylib.wsgiserver.http.HeadMemoryBudget;
import org.minipylib.wsgiserver.http.HttpConnection;
import org.minipylib.wsgiserver.http.HttpLimits;
import org.minipylib.wsgiserver.http.HttpSettings;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.http.SetupRefusedException;
import org.minipylib.wsgiserver.http.Transport;
import org.minipylib.wsgiserver.proxy.ProxyProtocolException;
import org.minipylib.wsgiserver.proxy.ProxyProtocolSetup;
import org.minipylib.wsgiserver.server.ClassPreloader;
import org.minipylib.wsgiserver.server.ConnectionRegistry;
import org.minipylib.wsgiserver.server.ConnectionScheduler;
import org.minipylib.wsgiserver.server.Listener;
import org.minipylib.wsgiserver.server.ListeningSocketOpener;
import org.minipylib.wsgiserver.server.MonitoringAdmission;
import org.minipylib.wsgiserver.server.PooledScheduler;
import org.minipylib.wsgiserver.server.ReadinessLoop;
import org.minipylib.wsgiserver.server.ServerStatistics;
import org.minipylib.wsgiserver.server.SocketTransport;
import org.minipylib.wsgiserver.server.StatisticsMXBean;
import org.minipylib.wsgiserver.server.ThrottledWarning;
import org.minipylib.wsgiserver.server.UnixSocketTransport;
import org.minipylib.wsgiserver.server.VirtualThreadScheduler;
import org.minipylib.wsgiserver.server.VirtualThreadWarmUp;
import org.minipylib.wsgiserver.server.Watchdog;
import org.minipylib.wsgiserver.server.WorkerPool;
import org.minipylib.wsgiserver.tls.SslAdapter;
import org.minipylib.wsgiserver.tls.TlsHandshakeException;
import org.minipylib.wsgiserver.wsgi.WsgiGateway;
import org.minipylib.wsgiserver.apps.PathInfoDispatcher;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.nio.channels.UnresolvedAddressException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Predicate;
import javax.net.ssl.SSLException;

/**
 * The server: listens on one or more addresses and serves a {@link WsgiApp} over HTTP/1.1.
 *
 * <pre>{@code
 * try (WsgiServer server = WsgiServer.builder(app).bind("127.0.0.1", 8080).build().start()) {
 *     server.awaitStop();
 * }
 * }</pre>
 *
 * <p>The call flow follows CherryPy's wsgiserver: a listener thread per address accepts
 * connections; each connection waits for its next request on a virtual thread, or, idle on a
 * readiness loop (virtual mode), on no thread at all (so idle keep-alive connections hold no
 * worker) and is served by a worker (a pooled platform thread or a virtual
 * thread, see {@link WorkerMode}); each connection serves any number of requests.
 * {@link #stop()} is graceful: it stops accepting, closes idle connections, lets in-flight requests
 * finish (their responses say {@code Connection: close}) for up to the shutdown timeout, then closes
 * what is left.
 *
 * <p>Statistics are always collected ({@link #statistics()}); {@link Builder#mount} adds monitoring
 * applications such as {@link org.minipylib.wsgiserver.apps.MetricsApp} next to the application.
 */
public final class WsgiServer implements AutoCloseable, ServerStatus {

    private static final System.Logger LOG = System.getLogger(WsgiServer.class.getName());

    /** How long {@link #stop()} waits, after closing the connections still busy, for their threads to end. */
    private static final Duration ABORTED_THREADS_GRACE = Duration.ofSeconds(1);
    /** How long {@link #stop()} waits, at its timeout, for the 503s to requests still waiting for a worker to be written. */
    private static final Duration REFUSALS_GRACE = Duration.ofMillis(500);

    private final ServerConfig config;
    private final Gateway gateway;
    /**
     * Held by {@link #start()} and {@link #stop()}, which waits (the drain delay, the exchanges in
     * flight): a lock, not a monitor, since before JDK 24 a virtual thread that waits holding a
     * monitor, or to enter one, pins its carrier (a stop from a request's thread, say).
     */
    private final ReentrantLock lifecycle = new ReentrantLock();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final List<Listener> listeners = new ArrayList<>();
    private final List<Thread> listenerThreads = new ArrayList<>();
    private final ServerStatistics statistics = new ServerStatistics();
    private final ThrottledWarning refusalWarning = new ThrottledWarning(LOG);
    private StatisticsMXBean mxBean;
    private ConnectionRegistry registry;
    private ConnectionScheduler scheduler;
    private volatile ReadinessLoop[] readinessLoops = new ReadinessLoop[0];
    /** Below JDK 24, the loop every UNIX socket connection waits on, in both worker modes; null if none. */
    private volatile ReadinessLoop unixWaitLoop;
    private final AtomicInteger connectionsAccepted = new AtomicInteger();
    private HttpSettings settings;
    private Watchdog watchdog;
    private volatile boolean running;
    /** Whether this server holds a share of its access log: from its start to its stop (or its start's failure); under lifecycle. */
    private boolean holdsAccessLog;
    /** It held one and gave it back; under lifecycle. */
    private boolean gaveAccessLogBack;
    private volatile boolean draining;
    /** Where {@link Builder#mount} put monitoring applications: their requests get in when the server is busy. */
    private final List<String> monitoringPrefixes;

    /** A server for {@code app} with {@code config}; call {@link #start()} to listen. */
    public WsgiServer(WsgiApp app, ServerConfig config) {
        this(gateway(app, Objects.requireNonNull(config, "config")), config);
    }

    private static WsgiGateway gateway(WsgiApp app, ServerConfig config) {
        return new WsgiGateway(Objects.requireNonNull(app, "app"), config.serverName(),
                config.serverHeader() == null ? "wsgiserver/" + Version.VERSION : config.serverHeader());
    }

    /** A server for any {@link Gateway} (the HTTP layer does not depend on WSGI). */
    public WsgiServer(Gateway gateway, ServerConfig config) {
        this(gateway, config, List.of());
    }

    private WsgiServer(Gateway gateway, ServerConfig config, List<String> monitoringPrefixes) {
        this.gateway = Objects.requireNonNull(gateway, "gateway");
        this.config = Objects.requireNonNull(config, "config");
        this.monitoringPrefixes = monitoringPrefixes;
    }

    /** A builder for a server running {@code app}. */
    public static Builder builder(WsgiApp app) {
        return new Builder(app);
    }

    /** Starts a server for {@code app} on {@code 127.0.0.1:port} with every default. */
    public static WsgiServer serve(WsgiApp app, int port) throws IOException {
        return builder(app).bind("127.0.0.1", port).build().start();
    }

    /** This server's configuration. */
    @Override
    public ServerConfig config() {
        return config;
    }

    /**
     * Binds every address and starts accepting; returns once listening.
     *
     * @return this server
     * @throws IOException if an address cannot be bound (nothing is left listening then)
     */
    public WsgiServer start() throws IOException {
        lifecycle.lock();
        try {
            if (running) throw new IllegalStateException("already started");
            if (stopped.getCount() == 0) throw new IllegalStateException("a stopped server cannot be restarted");
            ClassPreloader.loadAllOnce(WsgiServer.class); // before a descriptor flood can fail a class load for good
            VirtualThreadWarmUp.runOnce(); // and before a shortage of threads or descriptors can fail the JDK's for good
            settings = new HttpSettings(config.limits(), config.timeouts(), config.serverHeader(), config.accessLog(),
                    config.maxRequestsPerConnection(), config.maxConnectionAge());
            registry = new ConnectionRegistry(config.maxConnections(), statistics, new HeadMemoryBudget(config.limits().maxHeadMemory()),
                    config.maxStalledWriteMemory());
            List<ConnectionSetup> plainSetups = connectionSetups(false);
            List<ConnectionSetup> proxiedSetups = connectionSetups(true);
            if (config.accessLog() != null) {
                config.accessLog().open(); // one closed by an earlier server's stop
                holdsAccessLog = true;
            }
            List<String> proxied;
            boolean listening = false;
            try {
                startReadinessLoops(); // first: nothing to undo if it fails
                proxied = openListeners(plainSetups, proxiedSetups);
                startThreads();
                listening = true;
            } finally {
                if (!listening) giveBackAfterAFailedStart();
            }
            LOG.log(System.Logger.Level.INFO, "Listening on {0} ({1} workers)",
                    listeningAddresses().stream().map(HostAddress::text).toList(),
                    config.workerMode().name().toLowerCase(java.util.Locale.ROOT));
            if (!proxied.isEmpty()) LOG.log(System.Logger.Level.INFO, "Expecting the PROXY protocol on {0}", proxied);
            if (config.jmx()) {
                mxBean = new StatisticsMXBean(this);
                mxBean.register();
            }
            return this;
        } finally {
            lifecycle.unlock();
        }
    }

    /** Undoes a start that failed once listening: nothing may be left listening, nor loops running. */
    private void closeListenersAndLoops() {
        listeners.forEach(Listener::close);
        listeners.clear();
        closeReadinessLoops();
    }

    /** Why a TCP port may be taken, and how servers can share one. */
    private String addressInUseHint(SocketAddress address, IOException e) {
        // BindException also stands for an address this host does not have, or a port it may not take
        boolean inUse = e instanceof BindException && e.getMessage() != null && e.getMessage().contains("already in use");
        if (!inUse || !(address instanceof InetSocketAddress)) return "";
        InetSocketAddress inet = (InetSocketAddress) address;
        String own = ownListenerOnThePort(inet);
        if (own != null) {
            return " (this server's own listener on " + own + " holds that port already: a wildcard address, 0.0.0.0 or [::],"
                    + " covers every address of its family, [::] IPv4's too; bind either the wildcard or single addresses)";
        }
        boolean bothStacks = inet.getAddress() != null && inet.getAddress().isAnyLocalAddress() && config.bindAddresses().size() > 1;
        String dualStack = bothStacks ? "; [::] takes IPv4 too, so it needs no 0.0.0.0 beside it" : "";
        return config.listenOptions().reusePort()
                ? " (another process listens there without SO_REUSEPORT, or as another user" + dualStack + ")"
                : " (another process listens there; servers that all set SO_REUSEPORT (ListenOptions.withReusePort(true), --reuse-port on the command line) may share a port" + dualStack + ")";
    }

    /**
     * The address of a listener this server opened already whose port is {@code address}'s, where
     * one of the two is a wildcard that covers the other (its family's, or {@code [::]}, which covers
     * IPv4's too); null if none.
     */
    private String ownListenerOnThePort(InetSocketAddress address) {
        if (address.getAddress() == null) return null;
        for (Listener listener : listeners) {
            if (!(listener.address() instanceof InetSocketAddress open) || open.getPort() != address.getPort()) continue;
            if (covers(open.getAddress(), address.getAddress()) || covers(address.getAddress(), open.getAddress())) {
                return HostAddress.text(open);
            }
        }
        return null;
    }

    /** True if listening on {@code wildcard} takes the port from {@code other} too. */
    private static boolean covers(java.net.InetAddress wildcard, java.net.InetAddress other) {
        if (!wildcard.isAnyLocalAddress()) return false;
        return wildcard instanceof java.net.Inet6Address || other instanceof java.net.Inet4Address;
    }

    /** The loop the next keep-alive connection waits on, round robin; null to wait in the JDK's poller. */
    private ReadinessLoop nextReadinessLoop() {
        ReadinessLoop[] loops = readinessLoops;
        return loops.length == 0 ? null : loops[Math.floorMod(connectionsAccepted.getAndIncrement(), loops.length)];
    }

    /** The loop a new UNIX socket connection waits on: below JDK 24 the one for UNIX sockets, else as TCP's. */
    private ReadinessLoop nextUnixReadinessLoop() {
        ReadinessLoop loop = unixWaitLoop;
        return loop != null ? loop : nextReadinessLoop();
    }

    /**
     * Virtual mode waits for keep-alive requests on readiness loops; see {@link ServerConfig#readinessLoops()}.
     * Below JDK 24 there are none, but UNIX sockets get one of their own in both modes: with none, a
     * UNIX connection waits in a selector of its own, which there blocks a carrier (the JDK adds one
     * per such wait up to its limit, 256, and past it the server stalls).
     */
    private void startReadinessLoops() throws IOException {
        if (!ReadinessLoop.supported() && mayListenOnUnixSocket()) {
            try {
                unixWaitLoop = ReadinessLoop.oneShotOnPlatformThread("wsgiserver-unix-wait");
            } catch (IOException e) {
                throw new IOException("Cannot open a selector: " + e.getMessage(), e);
            }
        }
        if (config.workerMode() != WorkerMode.VIRTUAL) return;
        if (!ReadinessLoop.supported()) {
            LOG.log(System.Logger.Level.INFO, "Virtual workers on Java {0}: each idle keep-alive TCP connection"
                    + " waits on a virtual thread of its own in the JDK''s poller, about four times the memory of"
                    + " Java 24 or later (readiness loops)", Runtime.version().feature());
            return;
        }
        int n = config.readinessLoops() == ServerConfig.AUTO_READINESS_LOOPS
                ? Math.min(Integer.highestOneBit(Runtime.getRuntime().availableProcessors()), 32)
                : config.readinessLoops();
        ReadinessLoop[] loops = new ReadinessLoop[n];
        try {
            for (int i = 0; i < n; i++) loops[i] = new ReadinessLoop("wsgiserver-readiness-" + i, config.directSocketCalls());
        } catch (IOException e) {
            for (ReadinessLoop loop : loops) if (loop != null) loop.close();
            throw new IOException("Cannot open a selector: " + e.getMessage(), e);
        }
        readinessLoops = loops;
    }

    /** True if an address to bind is a UNIX socket's, or may be one (an inherited socket). */
    private boolean mayListenOnUnixSocket() {
        return config.bindAddresses().stream()
                .anyMatch(a -> a instanceof UnixDomainSocketAddress || a instanceof InheritedSocketAddress);
    }

    private void closeReadinessLoops() {
        for (ReadinessLoop loop : readinessLoops) loop.close();
        ReadinessLoop unix = unixWaitLoop;
        if (unix != null) unix.close();
    }

    /** A new connection on a listener whose connections run {@code setups} first. */
    private void accepted(SocketChannel channel, List<ConnectionSetup> setups) {
        HttpConnection connection;
        try {
            statistics.accepted();
            Transport transport = channel.getLocalAddress() instanceof UnixDomainSocketAddress
                    ? new UnixSocketTransport(channel, config.listenOptions().peerCredentials(), statistics,
                            nextUnixReadinessLoop())
                    : new SocketTransport(channel, nextReadinessLoop(), statistics, config.directSocketCalls(),
                            config.maxConnections());
            connection = new HttpConnection(transport, setups, gateway, settings, registry);
        } catch (IOException e) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // gone already
            }
            return;
        }
        if (!registry.add(connection)) {
            statistics.connectionRefused();
            int limit = config.maxConnections();
            refusalWarning.occurred((count, every) -> count == 1
                    ? "Connection limit (" + limit + ") reached; refusing a connection (this warning is logged at most every "
                            + every + " s)"
                    : "Connection limit (" + limit + ") reached; refused " + count
                            + " connections since the last such warning (logged at most every " + every + " s)");
            // Its close lingers, as any refusal's does, so that a client still sending (an upload)
            // reads the 503 rather than a reset; a few at once, so that a flood cannot have the
            // server hold ever more descriptors: beyond them it closes at once.
            boolean linger = setups.isEmpty() && registry.addLingeringRefusal(connection);
            try {
                if (connection.refuseOverLimit(linger)) scheduler.start(connection); // drops what its client sends
            } catch (RuntimeException | OutOfMemoryError e) { // the listener logs it
                connection.abort(); // its place in the budget given back
                throw e;
            }
            return;
        }
        scheduler.start(connection);
    }

    /**
     * What a new connection does before HTTP, in order, on a virtual thread serving it: read a PROXY
     * protocol header (on the listeners that expect one), then a TLS handshake (when configured).
     * Computed once per kind of listener, shared by all their connections. Their failures are counted
     * in the statistics, see {@link #counted}.
     */
    private List<ConnectionSetup> connectionSetups(boolean proxyProtocol) {
        List<ConnectionSetup> steps = new ArrayList<>();
        if (proxyProtocol) {
            steps.add(counted(new ProxyProtocolSetup(), e -> e instanceof ProxyProtocolException,
                    statistics::proxyProtocolFailed, statistics::proxyProtocolFailed));
        }
        if (config.sslAdapter() != null) {
            steps.add(counted(config.sslAdapter()::open,
                    e -> e instanceof SetupRefusedException // plain HTTP, which the connection answers 400
                            || e instanceof TlsHandshakeException h && h.tlsFailed()
                            || e instanceof SSLException, // from an adapter that does not wrap it (see SslAdapter)
                    statistics::tlsHandshakeFailed, statistics::tlsHandshakeTimedOut));
        }
        return List.copyOf(steps);
    }

    /**
     * {@code step}, counting how it fails: {@code timedOut} when the handshake deadline has passed (a
     * timed read of the step's, or the watchdog's close at the deadline), else {@code failed} when the
     * failure is one of the step's protocol ({@code protocolFailure}). Neither for a client that
     * closes or resets the connection first (a TCP health check, a port scanner, a client giving up),
     * nor for stop() closing it.
     */
    private static ConnectionSetup counted(ConnectionSetup step, Predicate<IOException> protocolFailure,
                                           Runnable failed, Runnable timedOut) {
        return (transport, deadlineNanos) -> {
            try {
                return step.setUp(transport, deadlineNanos);
            } catch (IOException e) {
                if (e instanceof SocketTimeoutException || e.getCause() instanceof SocketTimeoutException // wrapped by a TLS adapter
                        || System.nanoTime() - deadlineNanos >= 0) {
                    timedOut.run();
                } else if (protocolFailure.test(e)) {
                    failed.run();
                }
                throw e;
            }
        };
    }

    /**
     * Opens a listening socket for every address to bind, whose connections take {@code plainSetups}
     * (or {@code proxiedSetups} where the PROXY protocol is expected); returns the addresses that
     * expect it. Closes them all (and the readiness loops) if one fails.
     */
    private List<String> openListeners(List<ConnectionSetup> plainSetups, List<ConnectionSetup> proxiedSetups) throws IOException {
        List<String> proxied = new ArrayList<>();
        SocketAddress binding = null;
        try {
            ListeningSocketOpener opener = new ListeningSocketOpener(config.listenOptions(), config.acceptBacklog());
            for (SocketAddress address : config.bindAddresses()) {
                binding = address;
                boolean proxyProtocol = config.listenOptions().proxyProtocol(address);
                List<ConnectionSetup> setups = proxyProtocol ? proxiedSetups : plainSetups;
                Listener listener = new Listener(opener.open(address), channel -> accepted(channel, setups));
                listeners.add(listener);
                if (proxyProtocol) proxied.add(HostAddress.text(listener.address()));
            }
        } catch (Error e) { // out of memory, say: nothing is left listening either
            closeListenersAndLoops();
            throw e;
        } catch (IOException | RuntimeException e) { // RuntimeException: an unresolved host name, say
            String reason = e instanceof UnresolvedAddressException ? "unresolved host name"
                    : e.getMessage() != null ? e.getMessage() : e.toString();
            String message = "Cannot listen on " + HostAddress.text(binding) + ": " + reason
                    + (e instanceof IOException io ? addressInUseHint(binding, io) : ""); // before the close: it looks at the listeners
            closeListenersAndLoops(); // nothing is left listening
            if (e instanceof BindException) { // kept for callers that catch it (to try another port, say)
                BindException bind = new BindException(message);
                bind.initCause(e);
                throw bind;
            }
            throw new IOException(message, e);
        }
        return proxied;
    }

    /** Starts the workers' scheduler, the watchdog and the accept loops; undoes it all if one cannot start. */
    private void startThreads() {
        try {
            MonitoringAdmission monitoring = new MonitoringAdmission(monitoringPrefixes);
            scheduler = switch (config.workerMode()) {
                case POOL -> new PooledScheduler(new WorkerPool("wsgiserver-worker", config.minThreads(),
                        config.maxThreads(), config.threadIdleTimeout(), config.acceptQueueSize()), monitoring,
                        statistics);
                // a request waits for a turn at most as long as its head may take to arrive, then 503
                case VIRTUAL -> new VirtualThreadScheduler(config.maxThreads(), config.acceptQueueSize(),
                        config.timeouts().requestHead(), monitoring, statistics, readinessLoops.length == 0);
            };
            for (Listener listener : listeners) {
                String name = "wsgiserver-accept-" + HostAddress.text(listener.address());
                // With virtual workers the accept loop is a virtual thread too: on the carriers that run
                // the connections, it hands each new one over without waking another OS thread (context
                // switches per new connection 0.6 -> 0.2, one core, wrk -c32 with Connection: close).
                Thread t = config.workerMode() == WorkerMode.VIRTUAL
                        ? Thread.ofVirtual().name(name).unstarted(listener)
                        : Thread.ofPlatform().name(name).daemon(true).unstarted(listener);
                listenerThreads.add(t);
            }
            watchdog = new Watchdog(this::checkTimeouts);
            running = true;
            statistics.started();
            watchdog.start();
            listenerThreads.forEach(Thread::start);
        } catch (RuntimeException | Error e) { // no thread for the pool (out of memory), say: nothing left listening
            running = false;
            if (watchdog != null) watchdog.stop();
            closeListenersAndLoops(); // accept loops already started end with their channels
            if (scheduler != null) scheduler.shutdown();
            scheduler = null;
            listenerThreads.clear();
            throw e;
        }
    }

    /** The watchdog's work (see {@link Watchdog}); it runs until the server has stopped, also while it drains. */
    private void checkTimeouts() {
        registry.checkTimeouts();
        if (config.sslAdapter() != null) config.sslAdapter().tick();
    }

    /** The TCP addresses actually listened on (with the real port where 0 was asked for); still listed once stopped. */
    @Override
    public List<InetSocketAddress> addresses() {
        List<InetSocketAddress> out = new ArrayList<>();
        for (Listener l : listeners) {
            if (l.address() instanceof InetSocketAddress inet) out.add(inet);
        }
        return out;
    }

    /** Every address listened on: {@link InetSocketAddress}es and {@link UnixDomainSocketAddress}es. */
    @Override
    public List<SocketAddress> listeningAddresses() {
        List<SocketAddress> out = new ArrayList<>();
        for (Listener l : listeners) out.add(l.address());
        return out;
    }

    /**
     * The port of the first TCP address listened on (the one the system chose for port 0).
     *
     * @throws IllegalStateException before {@link #start()}, or if no TCP address is listened on
     */
    public int port() {
        if (listeners.isEmpty()) throw new IllegalStateException("not started");
        List<InetSocketAddress> tcp = addresses();
        if (tcp.isEmpty()) throw new IllegalStateException("not listening on TCP");
        return tcp.get(0).getPort();
    }

    /** True from {@link #start()} until {@link #stop()} stops accepting (after its drain delay). */
    public boolean isRunning() {
        return running;
    }

    /** Open connections right now, refusals over the connection limit still lingering included (see {@link ServerStats#openConnections()}). */
    public int openConnections() {
        return registry == null ? 0 : registry.size();
    }

    /** Requests being served right now. */
    public int busyWorkers() {
        return scheduler == null ? 0 : scheduler.busy();
    }

    /** Where the server is in its life: NEW, RUNNING, DRAINING (inside {@link #stop()}), STOPPED. */
    @Override
    public ServerState state() {
        if (stopped.getCount() == 0) return ServerState.STOPPED;
        if (draining) return ServerState.DRAINING;
        return running ? ServerState.RUNNING : ServerState.NEW;
    }

    /** True inside {@link #stop()} (its drain delay, then while in-flight requests finish): health checks report not ready. */
    public boolean isDraining() {
        return state() == ServerState.DRAINING;
    }

    /** The server's statistics now (always collected; cheap enough to call often). */
    @Override
    public ServerStats statistics() {
        ConnectionScheduler s = scheduler;
        return statistics.snapshot(state(), openConnections(), s == null ? 0 : s.queued(), s == null ? 0 : s.threads(),
                s == null ? 0 : s.busy());
    }

    /**
     * Stops gracefully. With a {@linkplain ServerConfig#drainDelay() drain delay}, the server first
     * reports {@link ServerState#DRAINING} (readiness checks answer 503) for that long while it keeps
     * accepting and serving as usual. Then it stops accepting, closes idle connections, waits up to the
     * shutdown timeout for in-flight requests (whose responses say {@code Connection: close}), and
     * closes the rest. Idempotent. If the calling thread is interrupted, the waiting ends at once and
     * what is still open is closed. A server that never started (or whose start failed) is stopped
     * for good at once: {@link #awaitStop()} returns, the access log is closed and {@link #start()}
     * refuses. Not from a request this server is serving (a {@code /shutdown}
     * handler): the stop would wait for that request too, up to the shutdown timeout, and then cut
     * it off; start it on another thread ({@code Thread.startVirtualThread(server::stop)}).
     */
    public void stop() {
        lifecycle.lock();
        try {
            if (!running) {
                if (stopped.getCount() > 0) { // never started: nothing runs, nothing listens
                    if (!gaveAccessLogBack) closeUnheldAccessLog(); // (a failed start gave its share back)
                    stopped.countDown();
                }
                return;
            }
            draining = true;
            awaitDrainDelay();
            running = false;
            registry.startDraining();
            listeners.forEach(Listener::close);
            // A connection accepted just before the close is registered before the drain counts
            // connections: else it could start after the workers are gone and be refused.
            joinListeners();
            long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
            boolean interrupted = false;
            while (registry.size() > 0 && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    interrupted = true;
                    break;
                }
                registry.startDraining(); // connections that went idle since
            }
            if (registry.size() > 0) {
                int refused = scheduler.refuseWaiting(System.nanoTime() + REFUSALS_GRACE.toNanos());
                if (refused > 0) {
                    LOG.log(System.Logger.Level.WARNING, "Answered 503 to {0} requests still waiting for a worker", refused);
                }
            }
            if (registry.size() > 0) {
                LOG.log(System.Logger.Level.WARNING, (interrupted ? "Stop interrupted" : "Shutdown timeout")
                        + ": closing {0} connections, {1} of them serving a request"
                        + " (the others in setup, with a request begun, reading what their clients send after the close,"
                        + " or with the end of a response the kernel has not sent yet)",
                        registry.size(), registry.busyConnections());
            }
            registry.abortAll();
            scheduler.shutdown();
            closeReadinessLoops(); // a connection accepted after this fails at its first wait
            watchdog.stop();
            awaitAbortedThreads();
            releaseAccessLog();
            if (mxBean != null) mxBean.unregister();
            LOG.log(System.Logger.Level.INFO, "Stopped");
            stopped.countDown();
            draining = false;
        } finally {
            lifecycle.unlock();
        }
    }

    /**
     * Gives the threads whose connections {@link #stop()} closed under them a moment (at most
     * {@link #ABORTED_THREADS_GRACE}) to finish, so that the responses it cut are in the access log
     * before the log closes; an application that ignores the interrupt is not waited for longer.
     */
    private void awaitAbortedThreads() {
        // An interrupted stop (a second signal) gives them their moment too; only another interrupt ends it.
        boolean interrupted = Thread.interrupted();
        try {
            long deadline = System.nanoTime() + ABORTED_THREADS_GRACE.toNanos();
            while (!scheduler.idle() && System.nanoTime() - deadline < 0) {
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    interrupted = true;
                    return;
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /** Gives back this server's share of its access log (see {@link AccessLog#open()}), if it holds one. */
    private void releaseAccessLog() {
        if (!holdsAccessLog) return;
        holdsAccessLog = false;
        gaveAccessLogBack = true;
        closeAccessLog(config.accessLog());
    }

    /**
     * After a failed start: a ready-made access log gets its share back now (another server may start
     * with it); any other log is left open for {@link #stop()}, as it was before the start (an
     * embedder that catches the {@link BindException} may try again with the same log).
     */
    private void giveBackAfterAFailedStart() {
        if (config.accessLog() instanceof AccessLogWriter) {
            releaseAccessLog();
        } else {
            holdsAccessLog = false;
        }
    }

    /**
     * A server that never ran closes its access log, which it never opened: the file of a ready-made
     * one unless another server started with it runs.
     */
    private void closeUnheldAccessLog() {
        AccessLog log = config.accessLog();
        if (log instanceof AccessLogWriter writer) {
            writer.closeUnlessInUse();
        } else if (log != null) {
            closeAccessLog(log);
        }
    }

    private static void closeAccessLog(AccessLog log) {
        try {
            log.close();
        } catch (RuntimeException e) { // the server is stopped all the same
            LOG.log(System.Logger.Level.WARNING, "Access log close failed", e);
        }
    }

    /** Keeps serving while health checks say not ready, so that balancers stop sending work first. */
    private void awaitDrainDelay() {
        if (config.drainDelay().isZero()) return;
        LOG.log(System.Logger.Level.INFO, "Draining: not ready, still serving for {0} ms before stopping",
                config.drainDelay().toMillis());
        try {
            Thread.sleep(config.drainDelay());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void joinListeners() {
        for (Thread t : listenerThreads) {
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    /** Blocks until the server has stopped. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /** Blocks until the server has stopped or the timeout passed; true if stopped. */
    public boolean awaitStop(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Builds a {@link WsgiServer}: the options of {@link ServerConfig.Builder}, plus the application. */
    public static final class Builder {
        private final WsgiApp app;
        private ServerConfig.Builder config = ServerConfig.builder();
        private final Map<String, Function<ServerStatus, WsgiApp>> mounts = new LinkedHashMap<>();
        /** The prefixes of {@link #mountApp}: not monitoring applications. */
        private final Set<String> ordinaryMounts = new HashSet<>();

        Builder(WsgiApp app) {
            this.app = Objects.requireNonNull(app, "app");
        }

        /**
         * Takes every setting of {@code config}, for an embedder that makes a {@link ServerConfig} once (from
         * its own settings file, say) and hands it over whole. It replaces the settings given to this builder
         * so far (not its mounts); the setters called after it change single settings as on
         * {@link ServerConfig#toBuilder()}: {@code bind} adds an address to those of {@code config} (or replaces the default 127.0.0.1:8080
         * of one built without a {@code bind}), and a
         * {@code maxThreads} below its {@code minThreads} lowers that too.
         */
        public Builder config(ServerConfig config) {
            this.config = Objects.requireNonNull(config, "config").toBuilder();
            return this;
        }

        /** Adds {@code host:port} to listen on (port 0: any free one); see {@link #bind(SocketAddress)}. */
        public Builder bind(String host, int port) { config.bind(host, port); return this; }
        /**
         * Adds an address to listen on; the first replaces the default 127.0.0.1:8080 (after {@link #config},
         * see there). See {@link ServerConfig.Builder#bind(SocketAddress)} for the kinds of address.
         */
        public Builder bind(SocketAddress address) { config.bind(address); return this; }
        /** SERVER_NAME for applications (null: the address the client connected to); see {@link ServerConfig#serverName()}. */
        public Builder serverName(String name) { config.serverName(name); return this; }
        /** Platform threads from a pool or virtual threads; see {@link ServerConfig#workerMode()}. */
        public Builder workerMode(WorkerMode mode) { config.workerMode(mode); return this; }
        /** Pool mode: threads kept alive when idle; see {@link ServerConfig#minThreads()}. */
        public Builder minThreads(int n) { config.minThreads(n); return this; }
        /** Pool mode: most threads; virtual mode: most requests served at once; see {@link ServerConfig#maxThreads()}. */
        public Builder maxThreads(int n) { config.maxThreads(n); return this; }
        /** The most heap connections with stalled writes may hold together; see {@link ServerConfig#maxStalledWriteMemory()}. */
        public Builder maxStalledWriteMemory(long bytes) { config.maxStalledWriteMemory(bytes); return this; }
        /** Pool mode: how long an idle thread above the minimum lives; see {@link ServerConfig#threadIdleTimeout()}. */
        public Builder threadIdleTimeout(Duration d) { config.threadIdleTimeout(d); return this; }
        /** Requests that may wait for a worker; beyond them a request gets 503; see {@link ServerConfig#acceptQueueSize()}. */
        public Builder acceptQueueSize(int n) { config.acceptQueueSize(n); return this; }
        /** Most open connections; a new one beyond them gets 503 and is closed; see {@link ServerConfig#maxConnections()}. */
        public Builder maxConnections(int n) { config.maxConnections(n); return this; }
        /** The operating system's listen backlog; see {@link ServerConfig#acceptBacklog()}. */
        public Builder acceptBacklog(int n) { config.acceptBacklog(n); return this; }
        /** Request size limits; see {@link ServerConfig#limits()}. */
        public Builder limits(HttpLimits limits) { config.limits(limits); return this; }
        /** Client timeouts; see {@link ServerConfig#timeouts()}. */
        public Builder timeouts(HttpTimeouts timeouts) { config.timeouts(timeouts); return this; }
        /** How long {@link WsgiServer#stop()} lets requests in flight finish; see {@link ServerConfig#shutdownTimeout()}. */
        public Builder shutdownTimeout(Duration d) { config.shutdownTimeout(d); return this; }
        /** On stop, first report not ready for this long while still serving; see {@link ServerConfig#drainDelay()}. */
        public Builder drainDelay(Duration d) { config.drainDelay(d); return this; }
        /** Where requests are logged (null: nowhere); see {@link ServerConfig#accessLog()}. */
        public Builder accessLog(AccessLog log) { config.accessLog(log); return this; }
        /** The Server response header (null: none); see {@link ServerConfig#serverHeader()}. */
        public Builder serverHeader(String value) { config.serverHeader(value); return this; }
        /** Serves HTTPS through this adapter (e.g. a {@link org.minipylib.wsgiserver.tls.JsseSslAdapter}); null: plain HTTP; see {@link ServerConfig#sslAdapter()}. */
        public Builder sslAdapter(SslAdapter adapter) { config.sslAdapter(adapter); return this; }
        /** Socket options of the listeners (SO_REUSEPORT, the PROXY protocol, UNIX sockets); see {@link ServerConfig#listenOptions()}. */
        public Builder listenOptions(ListenOptions options) { config.listenOptions(options); return this; }
        /** Registers a {@link WsgiServerMXBean} while running; see {@link ServerConfig#jmx()}. */
        public Builder jmx(boolean on) { config.jmx(on); return this; }
        /** Selector loops for idle keep-alive connections in virtual mode; see {@link ServerConfig#readinessLoops()}. */
        public Builder readinessLoops(int n) { config.readinessLoops(n); return this; }
        /** Reads and writes of keep-alive connections through {@code recv} and {@code send}; see {@link ServerConfig#directSocketCalls()}. */
        public Builder directSocketCalls(boolean on) { config.directSocketCalls(on); return this; }
        /** The most requests one connection serves (0: no limit); see {@link ServerConfig#maxRequestsPerConnection()}. */
        public Builder maxRequestsPerConnection(int n) { config.maxRequestsPerConnection(n); return this; }
        /** How long one connection is reused (zero: no limit); see {@link ServerConfig#maxConnectionAge()}. */
        public Builder maxConnectionAge(Duration d) { config.maxConnectionAge(d); return this; }

        /**
         * Mounts a monitoring application at {@code prefix}, next to the main application (which then
         * serves every other path, see {@link PathInfoDispatcher}). Its requests get in even when every
         * worker is busy and the queue is full (a few at once): a liveness probe must not fail only
         * because the server is loaded. The application is made from the
         * server's {@link ServerStatus}, which does not exist yet when the builder runs:
         * <pre>{@code
         * WsgiServer.builder(app).mount("/metrics", MetricsApp::new).mount("/server-status", StatusPage::new)
         * }</pre>
         */
        public Builder mount(String prefix, Function<ServerStatus, ? extends WsgiApp> monitoringApp) {
            Objects.requireNonNull(monitoringApp, "monitoringApp");
            refuseRoot(prefix);
            // the same prefix twice fails here, or in build() once trailing slashes are dropped
            if (mounts.putIfAbsent(prefix, monitoringApp::apply) != null) {
                throw new IllegalArgumentException("\"" + prefix + "\" is mounted twice");
            }
            return this;
        }

        /**
         * Mounts an ordinary application at {@code prefix}, next to the main application (which then
         * serves every other path, see {@link PathInfoDispatcher}), such as a
         * {@link org.minipylib.wsgiserver.apps.StaticFilesApp}. Unlike a {@link #mount monitoring
         * application}'s, its requests wait for a worker and a place in the queue as the main
         * application's do.
         */
        public Builder mountApp(String prefix, WsgiApp app) {
            Objects.requireNonNull(app, "app");
            refuseRoot(prefix);
            if (mounts.putIfAbsent(prefix, status -> app) != null) {
                throw new IllegalArgumentException("\"" + prefix + "\" is mounted twice");
            }
            ordinaryMounts.add(prefix);
            return this;
        }

        private static void refuseRoot(String prefix) {
            if (prefix != null && prefix.chars().allMatch(c -> c == '/')) {
                throw new IllegalArgumentException("\"" + prefix + "\" is the root, where the main application is mounted");
            }
        }

        /** The server (not started yet). */
        public WsgiServer build() {
            if (mounts.isEmpty()) return new WsgiServer(app, config.build());
            LateServerStatus status = new LateServerStatus();
            PathInfoDispatcher.Builder dispatcher = PathInfoDispatcher.builder().mount("/", app);
            mounts.forEach((prefix, factory) -> dispatcher.mount(prefix, Objects.requireNonNull(factory.apply(status),
                    () -> "the application made for \"" + prefix + "\" is null")));
            ServerConfig built = config.build();
            WsgiServer server = new WsgiServer(gateway(dispatcher.build(), built), built,
                    mounts.keySet().stream().filter(p -> !ordinaryMounts.contains(p)).map(PathInfoDispatcher::asPathInfo).toList());
            status.server = server;
            return server;
        }
    }

    /** The {@link ServerStatus} handed to monitoring applications before their server is built. */
    private static final class LateServerStatus implements ServerStatus {
        private volatile WsgiServer server;

        @Override public ServerStats statistics() { return server.statistics(); }
        @Override public ServerState state() { return server.state(); }
        @Override public ServerConfig config() { return server.config(); }
        @Override public List<InetSocketAddress> addresses() { return server.addresses(); }
        @Override public List<SocketAddress> listeningAddresses() { return server.listeningAddresses(); }
    }
}
