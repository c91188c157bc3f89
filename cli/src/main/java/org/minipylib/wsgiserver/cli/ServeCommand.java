package org.minipylib.wsgiserver.cli;

import org.minipylib.wsgiserver.HostAddress;
import org.minipylib.wsgiserver.AccessLog;
import org.minipylib.wsgiserver.AccessLogFormat;
import org.minipylib.wsgiserver.InheritedSocketAddress;
import org.minipylib.wsgiserver.ListenOptions;
import org.minipylib.wsgiserver.ServerConfig;
import org.minipylib.wsgiserver.ServerStatus;
import org.minipylib.wsgiserver.Version;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.http.HttpCompliance;
import org.minipylib.wsgiserver.http.HttpLimits;
import org.minipylib.wsgiserver.apps.ForwardedHeadersApp;
import org.minipylib.wsgiserver.apps.TrustedProxies;
import org.minipylib.wsgiserver.apps.HealthApp;
import org.minipylib.wsgiserver.apps.MetricsApp;
import org.minipylib.wsgiserver.apps.GzipApp;
import org.minipylib.wsgiserver.apps.StaticFilesApp;
import org.minipylib.wsgiserver.apps.StatusPage;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.http.MinDataRate;
import org.minipylib.wsgiserver.tls.ClientAuth;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * The {@code wsgiserver} command: its options, and starting the server they describe. Options the
 * user did not give are not passed to the server's builder, so the library's defaults apply.
 * Running the command starts the server and returns at once; {@link #server()} then holds it.
 */
@Command(name = "wsgiserver",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Serves a WSGI-style Java web application (an org.minipylib.wsgiserver.WsgiApp) over HTTP/1.1.",
            "Without APP it serves a built-in demo app: /, /plaintext, /json, POST /echo, /bytes?n=N, /environ."})
final class ServeCommand implements Callable<Integer> {

    @Parameters(paramLabel = "APP", arity = "0..1", description = {
        "The application: a class implementing WsgiApp with a public no-argument constructor, or CLASS::MEMBER"
                + " naming a public static WsgiApp field, a public static no-argument method returning a WsgiApp,"
                + " or a public static method (Environ, StartResponse) -> Iterable<byte[]>."
                + " Loaded from the class path (see below)."})
    String app;

    @Option(names = "--bind", paramLabel = "ADDRESS", converter = BindAddressConverter.class, description = {
        "Address to listen on; repeat for several: HOST:PORT (IPv6 in brackets: [::1]:8080; port 0: any free port),"
                + " unix:PATH (a UNIX domain socket; a stale socket file is replaced), or fd:0 (the listening socket"
                + " inherited on standard input: systemd socket activation with StandardInput=socket or 0<&3,"
                + " LISTEN_PID/LISTEN_FDS checked)."})
    List<SocketAddress> bindAddresses = new ArrayList<>();

    @Option(names = "--backlog", paramLabel = "N", description = "The listen backlog: connections the system queues before accept.")
    Integer acceptBacklog;

    @Option(names = "--reuse-port", description = {
        "Set SO_REUSEPORT on TCP listeners, so that several processes can listen on the same port."})
    boolean reusePort;

    @Option(names = "--defer-accept", paramLabel = "SECONDS", converter = SecondsConverter.class, description = {
        "TCP on Linux: accept a connection once its first bytes arrived, or after about this long without any"
                + " (TCP_DEFER_ACCEPT, whole seconds; 0: off). Default 1."})
    Duration deferAccept;

    @Option(names = "--unix-socket-mode", paramLabel = "OCTAL", description = {
        "Permissions of UNIX socket files, like 660 (default: what the umask gives)."})
    String unixSocketMode;

    /** {@code null}: not given; {@link BindAddressConverter.ProxyProtocolListeners#EVERY} alone: given without a value; else the listeners named. */
    @Option(names = "--proxy-protocol", paramLabel = "ADDRESS", arity = "0..1",
            fallbackValue = BindAddressConverter.ProxyProtocolListeners.EVERY_LISTENER,
            converter = BindAddressConverter.ProxyProtocolListeners.class, description = {
        "Every connection starts with a PROXY protocol header (v1 or v2, from HAProxy or nginx): REMOTE_ADDR is the"
                + " real client. Without a value on every listener; with a --bind ADDRESS (--proxy-protocol=0.0.0.0:8080;"
                + " repeat for several) only there, the other listeners serving plain connections (say, Kubernetes"
                + " probes). Only for listeners that nothing but the proxy can reach; connections without one are"
                + " closed."})
    List<SocketAddress> proxyProtocol;

    @Option(names = "--forwarded-allow-ips", paramLabel = "LIST", description = {
        "Believe Forwarded / X-Forwarded-For / -Proto / -Host only from these proxies (gunicorn's forwarded_allow_ips):"
                + " IPs and CIDR networks, comma-separated, '*' for any peer (then only the hop it added is believed),"
                + " 'unix' for UNIX socket peers. Then REMOTE_ADDR,"
                + " wsgi.url_scheme, HTTP_HOST, SERVER_NAME and SERVER_PORT describe the real client. Default: believe"
                + " no one."})
    String forwardedAllowIps;

    @Option(names = "--forwarded-headers", paramLabel = "x-forwarded|forwarded", description = {
        "Which headers the trusted proxies set, and so the only ones believed: X-Forwarded-For/-Proto/-Host"
                + " (x-forwarded, the default) or RFC 7239 Forwarded (forwarded). Never both: a proxy passes the other"
                + " family through from the client."})
    String forwardedHeaders;

    @Option(names = "--peer-credentials", description = {
        "On UNIX sockets, read the client's user and group (SO_PEERCRED) into X_REMOTE_USER, X_REMOTE_GROUP, REMOTE_USER,"
                + " X_REMOTE_UID and X_REMOTE_GID (not X_REMOTE_PID: the JDK cannot read it)."})
    boolean peerCredentials;

    @Option(names = "--threads", paramLabel = "N", description = "Pool threads kept alive when idle (pool mode).")
    Integer minThreads;

    @Option(names = "--max-threads", paramLabel = "N", description = {
        "Pool mode: the most worker threads. Virtual mode: the most requests served at once."})
    Integer maxThreads;

    @Option(names = "--workers", paramLabel = "pool|virtual", description = {
        "Which threads serve requests: a pool of platform threads, or virtual threads, one for each connection being served"
                + " (none for an idle one; default: virtual)."})
    WorkerMode workerMode;

    @Option(names = "--readiness-loops", paramLabel = "N", description = {
        "Virtual mode: NIO selector loops on which idle keep-alive connections wait (default: one per JDK poller;"
                + " 0: they wait in the JDK's poller, a parked virtual thread each). JDK 24 or later."})
    Integer readinessLoops;

    @Option(names = "--no-direct-socket-calls", description = {
        "Read, write and wait for keep-alive connections through the JDK's channels and selectors instead of the"
                + " C library's recv, send and edge-triggered epoll (which need Linux, Java 22+ and the jar's native"
                + " access; they take less CPU per request)."})
    boolean noDirectSocketCalls;

    @Option(names = "--max-connections", paramLabel = "N", description = {
        "Most open connections (maxConnections); a new one beyond them gets 503 and is closed (over TLS it is"
                + " closed without one, as behind the PROXY protocol: the answer could only follow the connection's setup)."})
    Integer maxConnections;

    @Option(names = "--max-stalled-write-memory", paramLabel = "BYTES", converter = ByteSizeConverter.class, description = {
        "Most memory connections whose writes wait for clients that stopped reading may hold together (about"
            + " 8 KiB each plain, 36 KiB over TLS); beyond it those stalled longest are reset before their write"
            + " timeout (maxStalledWriteMemory). Default: a quarter of the heap."})
    Long maxStalledWriteMemory;

    @Option(names = "--accept-queue", paramLabel = "N", description = {
        "Requests that may wait for a free worker (acceptQueueSize); beyond them a request gets 503 at once."
                + " 0: none wait."})
    Integer acceptQueueSize;

    @Option(names = "--max-requests-per-connection", paramLabel = "N", description = {
        "The most requests one connection serves; the last one's response says Connection: close"
                + " (maxRequestsPerConnection; nginx's keepalive_requests). 0: no limit."})
    Integer maxRequestsPerConnection;

    @Option(names = "--max-connection-age", paramLabel = "SECONDS", converter = SecondsConverter.class, description = {
        "How long one connection is reused: the first response after this (less up to a tenth, per connection)"
                + " says Connection: close (maxConnectionAge; nginx's keepalive_time). 0: no limit."})
    Duration maxConnectionAge;

    @Option(names = "--thread-idle-timeout", paramLabel = "SECONDS", converter = SecondsConverter.class, description = {
        "Pool mode: how long a thread above --threads lives when idle (threadIdleTimeout)."})
    Duration threadIdleTimeout;

    @Option(names = "--server-name", paramLabel = "NAME", description = {
        "SERVER_NAME for the application (default: the address the client connected to)."})
    String serverName;

    @Option(names = "--timeout", paramLabel = "SECONDS", converter = SecondsConverter.class, description = {
        "Every client timeout: request head, body read, write, keep-alive idle, handshake (TLS, PROXY header),"
                + " drain. A specific timeout option below, given as well, wins over it."})
    Duration timeout;

    @Option(names = "--request-head-timeout", paramLabel = "SECONDS", converter = SecondsConverter.class, description = {
        "The whole request head must arrive within this of its first byte, else 408 (HttpTimeouts.requestHead)."})
    Duration requestHeadTimeout;

    @Option(names = "--body-read-timeout", paramLabel = "SECONDS", converter = SecondsConverter.class, description = {
        "Longest wait for more request body bytes, else 408 or close (HttpTimeouts.bodyRead)."})
    Duration bodyReadTimeout;

    @Option(names = "--write-timeout", paramLabel = "SECONDS", converter = SecondsConverter.class, description = {
        "Longest a write may block on a client that stopped reading, then reset the connection (HttpTimeouts.write)."})
    Duration writeTimeout;

    @Option(names = "--keep-alive-timeout", paramLabel = "SECONDS", converter = SecondsConverter.class, description = {
        "Longest wait for the next request on an idle connection, then close (HttpTimeouts.keepAlive)."})
    Duration keepAliveTimeout;

    @Option(names = "--handshake-timeout", paramLabel = "SECONDS", converter = SecondsConverter.class, description = {
        "Longest a new connection may take to set up: TLS handshake, PROXY header (HttpTimeouts.handshake);"
                + " the wait for its first request is --keep-alive-timeout."})
    Duration handshakeTimeout;

    @Option(names = "--drain-timeout", paramLabel = "SECONDS", converter = SecondsConverter.class, description = {
        "After a response, longest spent discarding a body the application left unread (up to --max-drain-size)"
                + " to keep the connection; past it the connection closes (HttpTimeouts.drain)."})
    Duration drainTimeout;

    @Option(names = "--min-body-rate", paramLabel = "BYTES_PER_SECOND[/GRACE_SECONDS]", converter = MinDataRateConverter.class,
            description = {
        "Slowest average rate a request body may arrive at once the grace period is over, else 408 and close"
                + " (HttpTimeouts.minBodyRate), e.g. 1k/10; without /GRACE_SECONDS the default grace. 0: no minimum."})
    MinDataRate minBodyRate;

    @Option(names = "--shutdown-timeout", paramLabel = "SECONDS", converter = SecondsConverter.class, description = {
        "On stop, how long in-flight requests may take to finish."})
    Duration shutdownTimeout;

    @Option(names = "--drain-delay", paramLabel = "SECONDS", converter = SecondsConverter.class, description = {
        "On stop (SIGTERM), first keep accepting and serving for this long while the health check's readyz"
                + " answers 503, so that load balancers and Kubernetes stop sending requests before the listener"
                + " closes; then stop gracefully."})
    Duration drainDelay;

    @Option(names = "--pid-file", paramLabel = "FILE", description = {
        "Write the process id to FILE once the server listens (replaced atomically), for kill -USR1 $(cat FILE);"
                + " removed after a graceful stop."})
    Path pidFile;

    @Option(names = "--access-log", paramLabel = "FILE", description = {
        "Log requests in the combined log format to FILE (appended to), or to standard output if FILE is -"
            + " (the server's own lines then go to standard error)."})
    String accessLog;

    @Option(names = "--access-log-format", paramLabel = "combined|common|json", description = {
        "With --access-log: the format of its lines. combined (the default), common, or json: one object per line"
            + " with nginx's field names and the request's duration (request_time)."})
    AccessLogFormat accessLogFormat;

    @Option(names = "--access-log-buffer", paramLabel = "BYTES", converter = ByteSizeConverter.class, description = {
        "With --access-log: gather lines in a buffer of this size and write them together when it is full, when"
            + " the oldest has waited --access-log-flush, on SIGUSR1 and at stop (as nginx's access_log buffer=),"
            + " instead of one write per line: 64k makes logging cost a fraction. Lines still in the buffer are"
            + " lost if the process is killed (SIGKILL). Default 0: none."})
    Long accessLogBuffer;

    @Option(names = "--access-log-flush", paramLabel = "SECONDS", converter = SecondsConverter.class, description = {
        "With --access-log-buffer: the longest a line waits in the buffer (nginx's flush=). Default 1."})
    Duration accessLogFlush;

    @Option(names = "--relax", paramLabel = "VIOLATION[,VIOLATION...]", description = {
        "Accept these deviations from RFC 9112 that strict parsing refuses, e.g. bare-lf-line-endings,obs-fold "
            + "(list: docs/http-compliance.md). Smuggling vectors cannot be relaxed."})
    String relax;

    @Option(names = "--max-request-line", paramLabel = "BYTES", converter = ByteSizeConverter.class, description = {
        "Longest request line, else 414 (HttpLimits.maxRequestLineLength). Sizes take a k, m or g suffix: 8k."})
    Long maxRequestLine;

    @Option(names = "--max-header-size", paramLabel = "BYTES", converter = ByteSizeConverter.class, description = {
        "Largest header section (all field lines; also a chunked body's trailers), else 431"
                + " (HttpLimits.maxHeaderSectionSize)."})
    Long maxHeaderSize;

    @Option(names = "--max-headers", paramLabel = "N", description = {
        "Most header fields in a request, else 431 (HttpLimits.maxHeaderCount)."})
    Integer maxHeaders;

    @Option(names = "--max-body-size", paramLabel = "BYTES", converter = ByteSizeConverter.class, description = {
        "Largest request body, declared or chunked, else 413 (HttpLimits.maxBodySize)."})
    Long maxBodySize;

    @Option(names = "--max-drain-size", paramLabel = "BYTES", converter = ByteSizeConverter.class, description = {
        "Most of a body the application left unread that is read and discarded to keep the connection;"
                + " beyond it the connection closes (HttpLimits.maxDrainSize). 0: never drain."})
    Long maxDrainSize;

    @Option(names = "--max-chunk-extension", paramLabel = "BYTES", converter = ByteSizeConverter.class, description = {
        "Longest chunk extension of one chunk-size line, else 400 (HttpLimits.maxChunkExtensionLength)."})
    Long maxChunkExtension;

    @Option(names = "--max-head-memory", paramLabel = "BYTES", converter = ByteSizeConverter.class, description = {
        "Most memory all connections together hold for long request heads, beyond 2 KiB each; a head that"
                + " needs more while others hold it all gets 503 (HttpLimits.maxHeadMemory). Default: a quarter"
                + " of the heap."})
    Long maxHeadMemory;

    @Option(names = "--max-pipelined-requests", paramLabel = "N", description = {
        "Pipelined requests of one connection served in one worker turn before it waits behind other clients"
                + " (HttpLimits.maxPipelinedRequestsPerTurn)."})
    Integer maxPipelinedRequests;
    @Option(names = "--status-path", paramLabel = "PATH", description = {
        "Serve a live HTML status page at PATH (e.g. /server-status); its JSON at PATH/json."})
    String statusPath;

    @Option(names = "--metrics-path", paramLabel = "PATH", description = {
        "Serve statistics at PATH (e.g. /metrics) in Prometheus text format, and as JSON at PATH/json."})
    String metricsPath;

    @Option(names = "--health-path", paramLabel = "PATH", description = {
        "Serve health checks at PATH (e.g. /health): PATH/livez, and PATH/readyz (503 while draining)."})
    String healthPath;

    @Option(names = "--static", paramLabel = "URL_PREFIX=DIR", description = {
        "Serve the files under DIR at URL_PREFIX (e.g. /assets=./public); repeat for several. GET and HEAD,"
                + " conditional requests and byte ranges; a directory serves its index.html (no listings);"
                + " nothing outside DIR, and no names starting with a dot."})
    List<String> staticMounts = new ArrayList<>();

    @Option(names = "--static-precompressed", description = {
        "With --static: send NAME.br or NAME.gz, where one lies next to NAME, to clients that accept it"
                + " (StaticFilesApp.withPrecompressed), with Content-Encoding and Vary: Accept-Encoding."})
    boolean staticPrecompressed;

    @Option(names = "--static-type", paramLabel = "EXT=TYPE", description = {
        "With --static: send Content-Type TYPE for files named *.EXT (e.g. yaml=application/yaml, or"
                + " txt=\"text/plain; charset=iso-8859-1\" for files that are not UTF-8), in place of the built-in"
                + " type; repeat for several (StaticFilesApp.withContentType)."})
    List<String> staticTypes = new ArrayList<>();

    @Option(names = "--static-cache-control", paramLabel = "VALUE", description = {
        "With --static: send Cache-Control: VALUE with the files and their 304s (e.g. \"public, max-age=3600\";"
                + " StaticFilesApp.withCacheControl). Default: none."})
    String staticCacheControl;

    @Option(names = "--gzip", description = {
        "Compress responses with gzip for clients that accept it: text and the structured text types (JSON, XML,"
                + " JavaScript, SVG...) of a known length of at least --gzip-min-size, or unknown; the application's"
                + " and the --static files (not the monitoring paths). Adds Vary: Accept-Encoding; a strong ETag becomes weak."})
    boolean gzip;

    @Option(names = "--gzip-min-size", paramLabel = "BYTES", converter = ByteSizeConverter.class, description = {
        "With --gzip: bodies known to be shorter go as they are (GzipApp.minSize)."})
    Long gzipMinSize;

    @Option(names = "--gzip-level", paramLabel = "N", description = {
        "With --gzip: the compression level, 1 (fastest) to 9 (smallest) (GzipApp.level)."})
    Integer gzipLevel;

    @Option(names = "--jmx", description = "Register the server's statistics as a JMX MXBean (org.minipylib.wsgiserver:type=Server).")
    boolean jmx;

    @Option(names = "--log-level", paramLabel = "error|warning|info|debug", description = {
        "How much the server logs to standard error: error, warning, info (the default) or debug (also every"
            + " failed connection setup and relaxed request, each on one line). The level of the loggers under"
            + " org.minipylib.wsgiserver, the application's wsgi.errors included."})
    LogLevel logLevel;

    @Mixin
    TlsOptions tls = new TlsOptions();

    @Spec
    CommandSpec spec;

    /**
     * The fields of {@link ServerConfig}, {@link HttpLimits} and {@link HttpTimeouts} that an option sets, by
     * name, with that option: the library's messages about its settings name the fields.
     */
    static final Map<String, String> OPTION_NAMES = Map.ofEntries(
            Map.entry("bindAddresses", "--bind"), Map.entry("serverName", "--server-name"),
            Map.entry("workerMode", "--workers"), Map.entry("minThreads", "--threads"),
            Map.entry("maxThreads", "--max-threads"), Map.entry("threadIdleTimeout", "--thread-idle-timeout"),
            Map.entry("acceptQueueSize", "--accept-queue"), Map.entry("maxConnections", "--max-connections"),
            Map.entry("acceptBacklog", "--backlog"), Map.entry("shutdownTimeout", "--shutdown-timeout"),
            Map.entry("drainDelay", "--drain-delay"), Map.entry("accessLog", "--access-log"), Map.entry("jmx", "--jmx"),
            Map.entry("readinessLoops", "--readiness-loops"), Map.entry("directSocketCalls", "--no-direct-socket-calls"),
            Map.entry("maxRequestsPerConnection", "--max-requests-per-connection"),
            Map.entry("maxConnectionAge", "--max-connection-age"),
            Map.entry("maxStalledWriteMemory", "--max-stalled-write-memory"),
            Map.entry("maxRequestLineLength", "--max-request-line"), Map.entry("maxHeaderSectionSize", "--max-header-size"),
            Map.entry("maxHeaderCount", "--max-headers"), Map.entry("maxBodySize", "--max-body-size"),
            Map.entry("maxDrainSize", "--max-drain-size"), Map.entry("maxChunkExtensionLength", "--max-chunk-extension"),
            Map.entry("compliance", "--relax"), Map.entry("maxPipelinedRequestsPerTurn", "--max-pipelined-requests"),
            Map.entry("maxHeadMemory", "--max-head-memory"), Map.entry("requestHead", "--request-head-timeout"),
            Map.entry("bodyRead", "--body-read-timeout"), Map.entry("write", "--write-timeout"),
            Map.entry("keepAlive", "--keep-alive-timeout"), Map.entry("handshake", "--handshake-timeout"),
            Map.entry("drain", "--drain-timeout"), Map.entry("minBodyRate", "--min-body-rate"));

    /** 64 MiB: a larger access log buffer only holds lines back longer. */
    private static final long MAX_ACCESS_LOG_BUFFER = 64L << 20;

    private WsgiServer server;

    /** The server this command started, or {@code null} if it has not started one. */
    WsgiServer server() {
        return server;
    }

    /**
     * Where the server's lifecycle lines (its addresses, stopping, stopped) go: standard output, or
     * standard error when the access log is standard output, whose lines a log collector then parses
     * as access log entries only.
     */
    PrintWriter statusOutput() {
        return "-".equals(accessLog) ? spec.commandLine().getErr() : spec.commandLine().getOut();
    }

    /** Loads the application, starts the server and prints the addresses it listens on. */
    @Override
    public Integer call() throws IOException, ReflectiveOperationException {
        checkOptions(); // first: the application's own code must not run for a command line that is refused
        if (logLevel != null) logLevel.apply();
        WsgiApp application = application();
        WsgiServer.Builder builder = WsgiServer.builder(application);
        WsgiServer built;
        try {
            configure(builder);
            built = builder.build();
        } catch (IllegalArgumentException e) {
            throw usageError("Invalid settings: " + withOptionNames(e.getMessage()));
        }
        if (pidFile != null) { // the usual mistakes before the start: a failure after it waits out a stop (--drain-delay)
            try {
                PidFile.checkWritable(pidFile);
            } catch (IOException e) {
                throw pidFileFailure(e);
            }
        }
        server = built.start();
        if (pidFile != null) writePidFile();
        PrintWriter out = statusOutput();
        for (SocketAddress address : server.listeningAddresses()) {
            out.println("wsgiserver " + Version.VERSION + " serving on " + url(address, server.config().sslAdapter() != null));
        }
        out.println("wsgiserver " + Version.VERSION + " application: " + (app == null ? "the demo app" : app));
        out.flush();
        return 0;
    }

    /** Writes the {@code --pid-file}; if it cannot, stops the server: a start failure. */
    private void writePidFile() throws IOException {
        try {
            PidFile.write(pidFile);
        } catch (IOException | RuntimeException e) {
            server.stop();
            server = null;
            throw pidFileFailure(e);
        }
    }

    private IOException pidFileFailure(Exception e) {
        return new IOException("Cannot write the pid file " + pidFile + ": " + (e.getMessage() != null ? e.getMessage() : e), e);
    }

    /** The {@code --pid-file}, or null. */
    Path pidFile() {
        return pidFile;
    }

    /** The {@code --access-log} file, or null if there is none or it is standard output. */
    String accessLogFile() {
        return accessLog == null || accessLog.equals("-") ? null : accessLog;
    }

    /**
     * Checks the options that need no file and no application, before the application is loaded:
     * its static initializer, constructor or factory (which may open connections or migrate a
     * database) runs only for a command line the server will take. The access log and TLS files are
     * checked afterwards, when they are opened.
     */
    private void checkOptions() {
        checkingOnly = true;
        try {
            WsgiServer.Builder builder = WsgiServer.builder((environ, startResponse) -> List.of());
            configure(builder);
            builder.build(); // the settings' own checks (maxThreads against minThreads, mounts...)
            forwarding();
            compressed((environ, startResponse) -> List.of());
        } catch (IllegalArgumentException e) {
            throw usageError("Invalid settings: " + withOptionNames(e.getMessage()));
        } finally {
            checkingOnly = false;
        }
    }

    /** True while {@link #checkOptions()} runs {@link #configure}: it opens no file and prints nothing. */
    private boolean checkingOnly;

    private WsgiApp application() throws ReflectiveOperationException {
        return compressed(behindProxies(loadApplication()));
    }

    /**
     * {@code app} behind {@code --forwarded-allow-ips}, if given: every application the server
     * hosts (the main one, static files, monitoring) sees, and logs, the client the proxies name.
     */
    private WsgiApp behindProxies(WsgiApp app) {
        TrustedProxies trusted = forwarding();
        return trusted == null ? app : new ForwardedHeadersApp(app, trusted, forwardedSource());
    }

    /** A monitoring application, made from the server's status, behind {@code --forwarded-allow-ips}. */
    private Function<ServerStatus, WsgiApp> behindProxies(Function<ServerStatus, ? extends WsgiApp> monitoringApp) {
        return status -> behindProxies(monitoringApp.apply(status));
    }

    /** {@code app}, compressed with {@code --gzip}'s settings if it is given. */
    private WsgiApp compressed(WsgiApp app) {
        if (!gzip) {
            if (gzipMinSize != null || gzipLevel != null) throw usageError("--gzip-min-size and --gzip-level need --gzip");
            return app;
        }
        GzipApp compressed = GzipApp.of(app);
        if (gzipLevel != null) compressed = compressed.withLevel(between(1, 9, "--gzip-level", gzipLevel));
        if (gzipMinSize != null) compressed = compressed.withMinSize(gzipMinSize);
        return compressed;
    }

    /** The proxies whose forwarded headers are believed, or null for none. */
    private TrustedProxies forwarding() {
        if (forwardedAllowIps == null) {
            if (forwardedHeaders != null) throw usageError("--forwarded-headers needs --forwarded-allow-ips");
            return null;
        }
        forwardedSource(); // checks --forwarded-headers
        try {
            return TrustedProxies.parse(forwardedAllowIps);
        } catch (IllegalArgumentException e) {
            throw usageError("--forwarded-allow-ips: " + e.getMessage());
        }
    }

    private ForwardedHeadersApp.Source forwardedSource() {
        if (forwardedHeaders == null) return ForwardedHeadersApp.Source.X_FORWARDED;
        return switch (forwardedHeaders.toLowerCase(java.util.Locale.ROOT)) {
            case "x-forwarded" -> ForwardedHeadersApp.Source.X_FORWARDED;
            case "forwarded" -> ForwardedHeadersApp.Source.FORWARDED;
            default -> throw usageError("--forwarded-headers must be x-forwarded or forwarded, got '" + forwardedHeaders + "'");
        };
    }

    private WsgiApp loadApplication() throws ReflectiveOperationException {
        if (app == null) return new DemoApp();
        try {
            ClassLoader loader = Thread.currentThread().getContextClassLoader();
            return new AppLoader(loader != null ? loader : ServeCommand.class.getClassLoader()).load(app);
        } catch (AppLoadingException e) {
            throw usageError(e.getMessage());
        }
    }

    private void configure(WsgiServer.Builder builder) {
        Set<SocketAddress> distinct = new HashSet<>();
        for (SocketAddress address : bindAddresses) {
            boolean anyPort = address instanceof InetSocketAddress inet && inet.getPort() == 0; // each its own port
            if (!anyPort && !distinct.add(address)) throw usageError("--bind " + bindText(address) + " is given twice");
        }
        bindAddresses.forEach(builder::bind);
        if (acceptBacklog != null) builder.acceptBacklog(acceptBacklog);
        builder.listenOptions(listenOptions());
        if (!checkingOnly) warnOfIgnoredOptions();
        if (minThreads != null) builder.minThreads(minThreads);
        if (maxThreads != null) builder.maxThreads(maxThreads);
        if (workerMode != null) builder.workerMode(workerMode);
        if (readinessLoops != null) builder.readinessLoops(between(0, 256, "--readiness-loops", readinessLoops));
        if (noDirectSocketCalls) builder.directSocketCalls(false);
        if (maxConnections != null) builder.maxConnections(atLeast(1, "--max-connections", maxConnections));
        if (maxStalledWriteMemory != null) {
            builder.maxStalledWriteMemory(atLeast(1, "--max-stalled-write-memory", maxStalledWriteMemory));
        }
        if (acceptQueueSize != null) builder.acceptQueueSize(atLeast(0, "--accept-queue", acceptQueueSize));
        if (maxRequestsPerConnection != null) {
            builder.maxRequestsPerConnection(atLeast(0, "--max-requests-per-connection", maxRequestsPerConnection));
        }
        if (maxConnectionAge != null) builder.maxConnectionAge(maxConnectionAge);
        if (threadIdleTimeout != null) builder.threadIdleTimeout(positive("--thread-idle-timeout", threadIdleTimeout));
        if (serverName != null) {
            if (serverName.isEmpty()) throw usageError("--server-name is empty: give a name, or leave it out for the address"
                    + " the client connected to");
            builder.serverName(serverName);
        }
        HttpTimeouts timeouts = timeouts();
        if (!timeouts.equals(HttpTimeouts.defaults())) builder.timeouts(timeouts);
        if (shutdownTimeout != null) builder.shutdownTimeout(shutdownTimeout);
        if (drainDelay != null) builder.drainDelay(drainDelay);
        if (accessLog != null && accessLog.isBlank()) throw usageError("--access-log is empty: give a FILE, or - for standard output");
        if (pidFile != null && pidFile.toString().isBlank()) throw usageError("--pid-file is empty: give a FILE");
        if (accessLogFormat != null && accessLog == null) throw usageError("--access-log-format needs --access-log");
        if (accessLogBuffer != null && accessLog == null) throw usageError("--access-log-buffer needs --access-log");
        if (accessLogFlush != null && (accessLogBuffer == null || accessLogBuffer == 0)) {
            throw usageError("--access-log-flush needs --access-log-buffer");
        }
        if (accessLogBuffer != null && accessLogBuffer > MAX_ACCESS_LOG_BUFFER) {
            throw usageError("--access-log-buffer must be at most 64m, not " + accessLogBuffer);
        }
        if (accessLogFlush != null) positive("--access-log-flush", accessLogFlush);
        if (accessLog != null && !checkingOnly) builder.accessLog(openAccessLog());
        HttpLimits limits = limits();
        if (!limits.equals(HttpLimits.defaults())) builder.limits(limits);
        if (statusPath != null) builder.mount(mountPath("--status-path", statusPath, "/server-status"), behindProxies(StatusPage::new));
        if (metricsPath != null) builder.mount(mountPath("--metrics-path", metricsPath, "/metrics"), behindProxies(MetricsApp::new));
        if (healthPath != null) builder.mount(mountPath("--health-path", healthPath, "/health"), behindProxies(HealthApp::new));
        if (staticPrecompressed && staticMounts.isEmpty()) throw usageError("--static-precompressed needs --static");
        if (!staticTypes.isEmpty() && staticMounts.isEmpty()) throw usageError("--static-type needs --static");
        if (staticCacheControl != null && staticMounts.isEmpty()) throw usageError("--static-cache-control needs --static");
        for (String mount : staticMounts) staticMount(builder, mount);
        if (jmx) builder.jmx(true);
        if (checkingOnly) return;
        try {
            builder.sslAdapter(tls.adapter());
        } catch (IllegalArgumentException e) {
            throw usageError(e.getMessage());
        }
        if (tls.clientCa != null && (tls.clientAuth == null || tls.clientAuth == ClientAuth.NONE)) {
            warn("--ssl-ca applies to --ssl-client-auth optional or required only; ignored without (no client is asked"
                    + " for a certificate)");
        }
    }

    /**
     * Warns, on standard error, of options given where they have no effect: they are ignored, not refused,
     * since the command line still means what it says otherwise.
     */
    private void warnOfIgnoredOptions() {
        if (workerMode != WorkerMode.POOL && (minThreads != null || threadIdleTimeout != null)) {
            warn("--threads and --thread-idle-timeout apply to --workers pool only; ignored with virtual workers");
        }
        if (workerMode == WorkerMode.POOL && (readinessLoops != null || noDirectSocketCalls)) {
            warn("--readiness-loops and --no-direct-socket-calls apply to --workers virtual only; ignored with pool workers");
        }
        boolean unixBind = bindAddresses.stream().anyMatch(UnixDomainSocketAddress.class::isInstance);
        if (unixSocketMode != null && !unixBind) {
            warn("--unix-socket-mode applies to --bind unix:PATH only (an inherited socket's file has the mode its maker"
                    + " gave it); ignored without one");
        }
        if (peerCredentials && !unixBind && !bindAddresses.stream().anyMatch(InheritedSocketAddress.class::isInstance)) {
            warn("--peer-credentials applies to UNIX sockets (--bind unix:PATH, or fd:0) only; ignored without one");
        }
        if (forwardedAllowIps != null && forwardedAllowIps.replace(",", "").isBlank()) {
            warn("--forwarded-allow-ips is empty (an unset variable?): no proxy is trusted, forwarded headers are ignored");
        }
    }

    private void warn(String message) {
        spec.commandLine().getErr().println("wsgiserver: " + message);
    }

    /** The library's default timeouts, or all {@code --timeout}, with the specific timeout options given. */
    private HttpTimeouts timeouts() {
        HttpTimeouts t = timeout != null ? HttpTimeouts.all(positive("--timeout", timeout)) : HttpTimeouts.defaults();
        if (requestHeadTimeout != null) t = t.withRequestHead(positive("--request-head-timeout", requestHeadTimeout));
        if (bodyReadTimeout != null) t = t.withBodyRead(positive("--body-read-timeout", bodyReadTimeout));
        if (writeTimeout != null) t = t.withWrite(positive("--write-timeout", writeTimeout));
        if (keepAliveTimeout != null) t = t.withKeepAlive(positive("--keep-alive-timeout", keepAliveTimeout));
        if (handshakeTimeout != null) t = t.withHandshake(positive("--handshake-timeout", handshakeTimeout));
        if (drainTimeout != null) t = t.withDrain(positive("--drain-timeout", drainTimeout));
        if (minBodyRate != null) t = t.withMinBodyRate(minBodyRate);
        return t;
    }

    /** The library's default limits with the limit options and {@code --relax} given. */
    private HttpLimits limits() {
        HttpLimits l = HttpLimits.defaults();
        if (relax != null) l = l.withCompliance(compliance());
        if (maxRequestLine != null) l = l.withMaxRequestLineLength(intBytes("--max-request-line", maxRequestLine));
        if (maxHeaderSize != null) l = l.withMaxHeaderSectionSize(intBytes("--max-header-size", maxHeaderSize));
        if (maxHeaders != null) l = l.withMaxHeaderCount(atLeast(1, "--max-headers", maxHeaders));
        if (maxBodySize != null) l = l.withMaxBodySize(atLeast(1, "--max-body-size", maxBodySize));
        if (maxDrainSize != null) l = l.withMaxDrainSize(maxDrainSize);
        if (maxChunkExtension != null) l = l.withMaxChunkExtensionLength(intBytes("--max-chunk-extension", maxChunkExtension));
        if (maxHeadMemory != null) l = l.withMaxHeadMemory(atLeast(1, "--max-head-memory", maxHeadMemory));
        if (maxPipelinedRequests != null) {
            l = l.withMaxPipelinedRequestsPerTurn(atLeast(1, "--max-pipelined-requests", maxPipelinedRequests));
        }
        return l;
    }

    private Duration positive(String option, Duration value) {
        if (value.isZero()) throw usageError(option + " must be more than 0 seconds");
        return value;
    }

    private <N extends Number> N atLeast(long min, String option, N value) {
        if (value.longValue() < min) throw usageError(option + " must be at least " + min + ", got " + value);
        return value;
    }

    private int between(int min, int max, String option, int value) {
        if (value < min || value > max) throw usageError(option + " must be " + min + " to " + max + ", got " + value);
        return value;
    }

    /** A byte size from 1 to the largest {@code int}. */
    private int intBytes(String option, long value) {
        atLeast(1, option, value);
        if (value > Integer.MAX_VALUE) throw usageError(option + " must be at most " + Integer.MAX_VALUE + " bytes, got " + value);
        return (int) value;
    }

    private HttpCompliance compliance() {
        try {
            return HttpCompliance.parse(relax);
        } catch (IllegalArgumentException e) {
            throw usageError("--relax: " + e.getMessage());
        }
    }

    private ListenOptions listenOptions() {
        ListenOptions options = ListenOptions.defaults().withReusePort(reusePort).withPeerCredentials(peerCredentials);
        if (deferAccept != null) {
            if (deferAccept.compareTo(ListenOptions.MAX_DEFER_ACCEPT) > 0) {
                throw usageError("--defer-accept: at most " + ListenOptions.MAX_DEFER_ACCEPT.toSeconds() + " seconds");
            }
            options = options.withDeferAccept(deferAccept);
        }
        if (proxyProtocol != null && proxyProtocol.contains(BindAddressConverter.ProxyProtocolListeners.EVERY)) {
            if (proxyProtocol.size() > 1) {
                throw usageError("--proxy-protocol without an address (every listener) and --proxy-protocol=ADDRESS"
                        + " (some listeners) exclude each other");
            }
            options = options.withProxyProtocol(true);
        } else if (proxyProtocol != null && !proxyProtocol.isEmpty()) {
            for (SocketAddress address : proxyProtocol) {
                if (!bound(address)) {
                    throw usageError("--proxy-protocol=" + bindText(address)
                            + " is not an address the server listens on: give it with --bind too");
                }
            }
            options = options.withProxyProtocol(proxyProtocol);
        }
        if (unixSocketMode != null) {
            try {
                options = options.withUnixSocketPermissions(ListenOptions.permissions(unixSocketMode));
            } catch (IllegalArgumentException e) {
                throw usageError("--unix-socket-mode: " + e.getMessage());
            }
        }
        return options;
    }

    /** Whether {@code address} is one of the {@code --bind} addresses, or the default one when none is given. */
    private boolean bound(SocketAddress address) {
        return bindAddresses.isEmpty() ? ServerConfig.builder().build().bindAddresses().contains(address)
                : bindAddresses.contains(address);
    }

    /** {@code address} as a {@code --bind} value: HOST:PORT with the host as given, unix:PATH or fd:0. */
    private static String bindText(SocketAddress address) {
        return switch (address) {
            case InetSocketAddress inet -> (inet.getHostString().indexOf(':') >= 0
                    ? "[" + HostAddress.text(inet.getAddress()) + "]" : inet.getHostString()) + ":" + inet.getPort();
            case UnixDomainSocketAddress unix -> "unix:" + unix.getPath();
            case InheritedSocketAddress inherited -> "fd:0";
            default -> String.valueOf(address);
        };
    }

    /**
     * A mount point (monitoring or {@code --static}): below the root, so that the application keeps serving
     * everything else; {@code example} is a typical value of {@code option}, for the usage error.
     */
    private String mountPath(String option, String path, String example) {
        if (!path.startsWith("/") || path.replaceAll("/+$", "").isEmpty()) {
            throw usageError(option + " must be a path below / such as " + example + ", got '" + path + "'");
        }
        // PATH_INFO is decoded and has no query: a prefix with these would never match a request
        if (path.chars().anyMatch(c -> c == '%' || c == '?' || c == '#' || c <= ' ' || c == 0x7f)) {
            throw usageError(option + " must be a plain path (no %, ?, # or spaces), got '" + path + "'");
        }
        return path;
    }

    /** Mounts a {@code --static URL_PREFIX=DIR}. */
    private void staticMount(WsgiServer.Builder builder, String value) {
        int equals = value.indexOf('=');
        if (equals < 0) throw usageError("--static must be URL_PREFIX=DIR such as /assets=./public, got '" + value + "'");
        String prefix = mountPath("--static", value.substring(0, equals), "/assets");
        // an empty DIR would be the working directory: served by accident, whatever it holds
        if (equals == value.length() - 1) throw usageError("--static " + value + ": no directory after '='");
        Path dir = Path.of(value.substring(equals + 1));
        String problem = unservableDirectory(dir);
        if (problem != null) throw usageError("--static " + value + ": " + problem);
        builder.mountApp(prefix, compressed(behindProxies(staticFiles(dir))));
    }

    /**
     * Why this process could not serve the files under {@code dir}, or null if it can: it must be a
     * directory that this process may enter (search permission). Reading it is not needed: no listing
     * is ever served, and files are opened by name.
     */
    static String unservableDirectory(Path dir) {
        if (Files.isDirectory(dir)) {
            return Files.isExecutable(dir) ? null : "the server's user (" + System.getProperty("user.name")
                    + ") may not enter the directory: it needs execute (search) permission on it to open the files";
        }
        if (Files.exists(dir)) return "not a directory";
        return Files.notExists(dir) ? "no such directory"
                : "cannot be looked up (the server's user may not search a directory above it)";
    }

    /** The files under {@code dir}, as the --static-* options say. */
    private StaticFilesApp staticFiles(Path dir) {
        StaticFilesApp app = StaticFilesApp.of(dir).withPrecompressed(staticPrecompressed);
        try {
            app = app.withCacheControl(staticCacheControl);
        } catch (IllegalArgumentException e) {
            throw usageError("--static-cache-control: " + e.getMessage());
        }
        for (String type : staticTypes) {
            int equals = type.indexOf('=');
            if (equals < 0) throw usageError("--static-type must be EXT=TYPE such as yaml=application/yaml, got '" + type + "'");
            try {
                app = app.withContentType(type.substring(0, equals), type.substring(equals + 1));
            } catch (IllegalArgumentException e) {
                throw usageError("--static-type " + type + ": " + e.getMessage());
            }
        }
        return app;
    }

    private AccessLog openAccessLog() {
        AccessLogFormat format = accessLogFormat != null ? accessLogFormat : AccessLogFormat.COMBINED;
        int bufferSize = accessLogBuffer != null ? accessLogBuffer.intValue() : 0;
        Duration flushAfter = accessLogFlush != null ? accessLogFlush : Duration.ofSeconds(1);
        if (accessLog.equals("-")) return AccessLog.to(System.out, format, bufferSize, flushAfter);
        try {
            return AccessLog.toFile(Path.of(accessLog), format, bufferSize, flushAfter);
        } catch (IOException | RuntimeException e) {
            throw usageError("Cannot open the access log: " + TlsOptions.describe(accessLog, e));
        }
    }

    /**
     * The library's message about its settings, with the names of the options that set them: each word
     * (between spaces) that is a field's name.
     */
    static String withOptionNames(String message) {
        String[] words = message.split(" ", -1);
        for (int i = 0; i < words.length; i++) words[i] = OPTION_NAMES.getOrDefault(words[i], words[i]);
        return String.join(" ", words);
    }

    private ParameterException usageError(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** {@code http://HOST:PORT}, with an IPv6 host in brackets; {@code unix:PATH} for a UNIX socket. */
    static String url(SocketAddress socketAddress) {
        return url(socketAddress, false);
    }

    /** Like {@link #url(SocketAddress)}, with {@code https://} for TLS, and {@code unix:PATH (TLS)}. */
    static String url(SocketAddress socketAddress, boolean https) {
        if (socketAddress instanceof UnixDomainSocketAddress unix) return "unix:" + unix.getPath() + (https ? " (TLS)" : "");
        if (!(socketAddress instanceof InetSocketAddress address)) return String.valueOf(socketAddress);
        String host = HostAddress.text(address.getAddress());
        if (address.getAddress() instanceof Inet6Address) host = "[" + host + "]";
        return (https ? "https://" : "http://") + host + ":" + address.getPort();
    }
}
