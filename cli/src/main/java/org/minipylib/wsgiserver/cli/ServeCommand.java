package org.minipylib.wsgiserver.cli;

import org.minipylib.wsgiserver.HostAddress;
import org.minipylib.wsgiserver.AccessLog;
import org.minipylib.wsgiserver.Version;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.http.HttpCompliance;
import org.minipylib.wsgiserver.http.HttpLimits;
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

    @Option(names = "--bind", paramLabel = "HOST:PORT", converter = BindAddressConverter.class, description = {
        "Address to listen on; repeat for several. IPv6 in brackets: [::1]:8080. Port 0: any free port."})
    List<InetSocketAddress> bindAddresses = new ArrayList<>();

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
        "Every client timeout: request head, body read, write, keep-alive idle."})
    Duration timeout;

    @Option(names = "--shutdown-timeout", paramLabel = "SECONDS", converter = SecondsConverter.class, description = {
        "On stop, how long in-flight requests may take to finish."})
    Duration shutdownTimeout;

    @Option(names = "--access-log", paramLabel = "FILE", description = {
        "Log requests in the combined log format to FILE (appended to), or to standard output if FILE is -."})
    String accessLog;

    @Option(names = "--relax", paramLabel = "VIOLATION[,VIOLATION...]", description = {
        "Accept these deviations from RFC 9112 that strict parsing refuses, e.g. bare-lf-line-endings,obs-fold "
            + "(list: docs/http-compliance.md). Smuggling vectors cannot be relaxed."})
    String relax;

    @Mixin
    TlsOptions tls = new TlsOptions();

    @Spec
    CommandSpec spec;

    /** The names of {@link org.minipylib.wsgiserver.ServerConfig} fields that options set. */
    private static final Map<String, String> OPTION_NAMES = Map.of(
            "minThreads", "--threads", "maxThreads", "--max-threads", "shutdownTimeout", "--shutdown-timeout");

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
        for (InetSocketAddress address : server.addresses()) {
            out.println("wsgiserver " + Version.VERSION + " serving on " + url(address, server.config().sslAdapter() != null));
        }
        out.flush();
        return 0;
    }

    private WsgiApp application() throws ReflectiveOperationException {
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
        if (minThreads != null) builder.minThreads(minThreads);
        if (maxThreads != null) builder.maxThreads(maxThreads);
        if (workerMode != null) builder.workerMode(workerMode);
        if (serverName != null) builder.serverName(serverName);
        if (timeout != null) {
            if (timeout.isZero()) throw usageError("--timeout must be more than 0 seconds");
            builder.timeouts(HttpTimeouts.all(timeout));
        }
        if (shutdownTimeout != null) builder.shutdownTimeout(shutdownTimeout);
        if (accessLog != null) builder.accessLog(openAccessLog());
        if (relax != null) builder.limits(HttpLimits.defaults().withCompliance(compliance()));
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

    /** {@code http://HOST:PORT}, with an IPv6 host in brackets. */
    static String url(InetSocketAddress address) {
        return url(address, false);
    }

    /** {@code http://HOST:PORT} or {@code https://HOST:PORT}, with an IPv6 host in brackets. */
    static String url(InetSocketAddress address, boolean https) {
        String host = HostAddress.text(address.getAddress());
        if (address.getAddress() instanceof Inet6Address) host = "[" + host + "]";
        return (https ? "https://" : "http://") + host + ":" + address.getPort();
    }
}
