package org.minipylib.wsgiserver.cli;

import org.minipylib.wsgiserver.HostAddress;
import org.minipylib.wsgiserver.AccessLog;
import org.minipylib.wsgiserver.ListenOptions;
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
import org.minipylib.wsgiserver.apps.StatusPage;
import org.minipylib.wsgiserver.http.HttpTimeouts;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

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

    @Option(names = "--unix-socket-mode", paramLabel = "OCTAL", description = {
        "Permissions of UNIX socket files, like 660 (default: what the umask gives)."})
    String unixSocketMode;

    @Option(names = "--proxy-protocol", description = {
        "Every connection starts with a PROXY protocol header (v1 or v2, from HAProxy or nginx): REMOTE_ADDR is the"
                + " real client. Only for listeners that nothing but the proxy can reach; connections without one are"
                + " closed."})
    boolean proxyProtocol;

    @Option(names = "--forwarded-allow-ips", paramLabel = "LIST", description = {
        "Believe Forwarded / X-Forwarded-For / -Proto / -Host only from these proxies (gunicorn's forwarded_allow_ips):"
                + " IPs and CIDR networks, comma-separated, '*' for any, 'unix' for UNIX socket peers. Then REMOTE_ADDR,"
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
        "Which threads serve requests: a pool of platform threads, or a virtual thread per connection."})
    WorkerMode workerMode;

    @Option(names = "--server-name", paramLabel = "NAME", description = {
        "SERVER_NAME for the application (default: the address the client connected to)."})
    String serverName;

    @Option(names = "--timeout", paramLabel = "SECONDS", converter = SecondsConverter.class, description = {
        "Every client timeout: request head, body read, write, keep-alive idle, handshake (TLS, PROXY header)."})
    Duration timeout;

    @Option(names = "--shutdown-timeout", paramLabel = "SECONDS", converter = SecondsConverter.class, description = {
        "On stop, how long in-flight requests may take to finish."})
    Duration shutdownTimeout;

    @Option(names = "--drain-delay", paramLabel = "SECONDS", converter = SecondsConverter.class, description = {
        "On stop (SIGTERM), first keep accepting and serving for this long while the health check's readyz"
                + " answers 503, so that load balancers and Kubernetes stop sending requests before the listener"
                + " closes; then stop gracefully."})
    Duration drainDelay;

    @Option(names = "--access-log", paramLabel = "FILE", description = {
        "Log requests in the combined log format to FILE (appended to), or to standard output if FILE is -."})
    String accessLog;

    @Option(names = "--relax", paramLabel = "VIOLATION[,VIOLATION...]", description = {
        "Accept these deviations from RFC 9112 that strict parsing refuses, e.g. bare-lf-line-endings,obs-fold "
            + "(list: docs/http-compliance.md). Smuggling vectors cannot be relaxed."})
    String relax;
    @Option(names = "--status-path", paramLabel = "PATH", description = {
        "Serve a live HTML status page at PATH (e.g. /server-status); its JSON at PATH/json."})
    String statusPath;

    @Option(names = "--metrics-path", paramLabel = "PATH", description = {
        "Serve statistics at PATH (e.g. /metrics) in Prometheus text format, and as JSON at PATH/json."})
    String metricsPath;

    @Option(names = "--health-path", paramLabel = "PATH", description = {
        "Serve health checks at PATH (e.g. /health): PATH/livez, and PATH/readyz (503 while draining)."})
    String healthPath;

    @Option(names = "--jmx", description = "Register the server's statistics as a JMX MXBean (org.minipylib.wsgiserver:type=Server).")
    boolean jmx;

    @Mixin
    TlsOptions tls = new TlsOptions();

    @Spec
    CommandSpec spec;

    /** The names of {@link org.minipylib.wsgiserver.ServerConfig} fields that options set. */
    private static final Map<String, String> OPTION_NAMES = Map.of(
            "minThreads", "--threads", "maxThreads", "--max-threads", "shutdownTimeout", "--shutdown-timeout",
            "acceptBacklog", "--backlog", "drainDelay", "--drain-delay");

    private WsgiServer server;

    /** The server this command started, or {@code null} if it has not started one. */
    WsgiServer server() {
        return server;
    }

    /** Loads the application, starts the server and prints the addresses it listens on. */
    @Override
    public Integer call() throws IOException, ReflectiveOperationException {
        WsgiApp application = application();
        WsgiServer.Builder builder = WsgiServer.builder(application);
        configure(builder);
        WsgiServer built;
        try {
            built = builder.build();
        } catch (IllegalArgumentException e) {
            throw usageError("Invalid settings: " + withOptionNames(e.getMessage()));
        }
        server = built.start();
        PrintWriter out = spec.commandLine().getOut();
        for (SocketAddress address : server.listeningAddresses()) {
            out.println("wsgiserver " + Version.VERSION + " serving on " + url(address, server.config().sslAdapter() != null));
        }
        out.flush();
        return 0;
    }

    private WsgiApp application() throws ReflectiveOperationException {
        WsgiApp loaded = loadApplication();
        if (forwardedAllowIps == null) {
            if (forwardedHeaders != null) throw usageError("--forwarded-headers needs --forwarded-allow-ips");
            return loaded;
        }
        TrustedProxies trusted;
        try {
            trusted = TrustedProxies.parse(forwardedAllowIps);
        } catch (IllegalArgumentException e) {
            throw usageError("--forwarded-allow-ips: " + e.getMessage());
        }
        return new ForwardedHeadersApp(loaded, trusted, forwardedSource());
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
        bindAddresses.forEach(builder::bind);
        if (acceptBacklog != null) builder.acceptBacklog(acceptBacklog);
        builder.listenOptions(listenOptions());
        if (minThreads != null) builder.minThreads(minThreads);
        if (maxThreads != null) builder.maxThreads(maxThreads);
        if (workerMode != null) builder.workerMode(workerMode);
        if (serverName != null) builder.serverName(serverName);
        if (timeout != null) {
            if (timeout.isZero()) throw usageError("--timeout must be more than 0 seconds");
            builder.timeouts(HttpTimeouts.all(timeout));
        }
        if (shutdownTimeout != null) builder.shutdownTimeout(shutdownTimeout);
        if (drainDelay != null) builder.drainDelay(drainDelay);
        if (accessLog != null) builder.accessLog(openAccessLog());
        if (relax != null) builder.limits(HttpLimits.defaults().withCompliance(compliance()));
        if (statusPath != null) builder.mount(mountPath("--status-path", statusPath), StatusPage::new);
        if (metricsPath != null) builder.mount(mountPath("--metrics-path", metricsPath), MetricsApp::new);
        if (healthPath != null) builder.mount(mountPath("--health-path", healthPath), HealthApp::new);
        if (jmx) builder.jmx(true);
        try {
            builder.sslAdapter(tls.adapter());
        } catch (IllegalArgumentException e) {
            throw usageError(e.getMessage());
        }
    }

    private HttpCompliance compliance() {
        try {
            return HttpCompliance.parse(relax);
        } catch (IllegalArgumentException e) {
            throw usageError("--relax: " + e.getMessage());
        }
    }

    private ListenOptions listenOptions() {
        ListenOptions options = ListenOptions.defaults().withReusePort(reusePort).withPeerCredentials(peerCredentials)
                .withProxyProtocol(proxyProtocol);
        if (unixSocketMode != null) {
            try {
                options = options.withUnixSocketPermissions(ListenOptions.permissions(unixSocketMode));
            } catch (IllegalArgumentException e) {
                throw usageError("--unix-socket-mode: " + e.getMessage());
            }
        }
        return options;
    }

    /** A monitoring mount point: below the root, so that the application keeps serving everything else. */
    private String mountPath(String option, String path) {
        if (!path.startsWith("/") || path.replaceAll("/+$", "").isEmpty()) {
            throw usageError(option + " must be a path below / such as /server-status, got '" + path + "'");
        }
        return path;
    }

    private AccessLog openAccessLog() {
        if (accessLog.equals("-")) return AccessLog.to(System.out);
        try {
            return AccessLog.toFile(Path.of(accessLog));
        } catch (IOException | RuntimeException e) {
            throw usageError("Cannot open the access log " + accessLog + ": " + e);
        }
    }

    /** The library's message about its settings, with the names of the options that set them. */
    private static String withOptionNames(String message) {
        String result = message;
        for (Map.Entry<String, String> e : OPTION_NAMES.entrySet()) result = result.replace(e.getKey(), e.getValue());
        return result;
    }

    private ParameterException usageError(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** {@code http://HOST:PORT}, with an IPv6 host in brackets; {@code unix:PATH} for a UNIX socket. */
    static String url(SocketAddress socketAddress) {
        return url(socketAddress, false);
    }

    /** Like {@link #url(SocketAddress)}, with {@code https://} for TLS. */
    static String url(SocketAddress socketAddress, boolean https) {
        if (socketAddress instanceof UnixDomainSocketAddress unix) return "unix:" + unix.getPath();
        if (!(socketAddress instanceof InetSocketAddress address)) return String.valueOf(socketAddress);
        String host = HostAddress.text(address.getAddress());
        if (address.getAddress() instanceof Inet6Address) host = "[" + host + "]";
        return (https ? "https://" : "http://") + host + ":" + address.getPort();
    }
}
