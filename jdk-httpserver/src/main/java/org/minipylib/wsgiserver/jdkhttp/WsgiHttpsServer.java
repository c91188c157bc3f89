package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import org.minipylib.wsgiserver.ServerConfig;
import org.minipylib.wsgiserver.ServerStatus;
import org.minipylib.wsgiserver.tls.SslEngineAdapter;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * The JDK's {@link HttpsServer} API on wsgiserver: as {@link WsgiHttpServer} (whose notes apply),
 * over TLS from the {@link HttpsConfigurator}'s SSL context. Each connection's engine is made and
 * configured as the JDK's server does it ({@link HttpsConfigurator#configure} with the client's
 * address); handshakes run on the connection's own thread, bounded by the server's TLS handshake
 * timeout. The configurator must be set by {@link #start()}: connections that arrive earlier wait.
 * Exchanges are {@link com.sun.net.httpserver.HttpsExchange}s.
 */
public final class WsgiHttpsServer extends HttpsServer {

    private final ServerCore core = new ServerCore(this, new SslEngineAdapter(new ConfiguratorEngines(this)));
    private volatile HttpsConfigurator configurator;

    private WsgiHttpsServer() {
    }

    /**
     * An HTTPS server listening on {@code address}, or an unbound one if it is {@code null}.
     *
     * @param backlog the accept queue's length; 0 or less for the default
     * @throws java.net.BindException if the address cannot be bound
     */
    public static WsgiHttpsServer create(InetSocketAddress address, int backlog) throws IOException {
        WsgiHttpsServer server = new WsgiHttpsServer();
        if (address != null) server.bind(address, backlog);
        return server;
    }

    /**
     * An HTTPS server listening on every address of {@code config}, with its settings; its TLS
     * adapter, if any, is replaced by the configurator's TLS, its shutdown timeout by the delay
     * given to {@link #stop(int)}.
     *
     * @throws java.net.BindException if an address cannot be bound
     */
    public static WsgiHttpsServer create(ServerConfig config) throws IOException {
        WsgiHttpsServer server = new WsgiHttpsServer();
        server.core.listen(Objects.requireNonNull(config, "config"));
        return server;
    }

    /** @throws IllegalStateException once started, as the JDK's server */
    @Override
    public void setHttpsConfigurator(HttpsConfigurator config) {
        Objects.requireNonNull(config, "null HttpsConfigurator");
        synchronized (core) {
            if (core.startedOrStopped()) throw new IllegalStateException("server already started");
            configurator = config;
        }
    }

    @Override
    public HttpsConfigurator getHttpsConfigurator() {
        return configurator;
    }

    @Override public void bind(InetSocketAddress addr, int backlog) throws IOException { core.bind(addr, backlog); }
    @Override public void start() { core.start(); }
    @Override public void setExecutor(Executor executor) { core.setExecutor(executor); }
    @Override public Executor getExecutor() { return core.getExecutor(); }
    @Override public void stop(int delay) { core.stop(delay); }
    @Override public HttpContext createContext(String path) { return core.createContext(path, null); }
    @Override public void removeContext(HttpContext context) { core.contexts().remove(context); }

    @Override
    public HttpContext createContext(String path, HttpHandler handler) {
        return core.createContext(path, Objects.requireNonNull(handler, "null handler"));
    }

    @Override
    public void removeContext(String path) {
        core.contexts().remove(Objects.requireNonNull(path, "null path parameter"));
    }

    /** Waits until the server was started or stopped; true if it was started. */
    boolean awaitStart() throws InterruptedException {
        return core.awaitStart();
    }

    /** The first TCP address listened on, with the port the system chose for port 0; {@code null} while unbound. */
    @Override
    public InetSocketAddress getAddress() {
        return core.address();
    }

    /** The server underneath (statistics, state), or {@code null} while unbound. */
    public ServerStatus status() {
        return core.server();
    }
}
