package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import org.minipylib.wsgiserver.ServerConfig;
import org.minipylib.wsgiserver.ServerStatus;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * The JDK's {@link HttpServer} API on wsgiserver: handlers, contexts, filters and authenticators
 * run as on the JDK's own server, with this server's HTTP/1.1 layer, limits, timeouts, keep-alive,
 * pipelining and access log underneath. {@code HttpServer.create(...)} returns one when this
 * module is on the class or module path (see {@link WsgiHttpServerProvider}); {@link #create(ServerConfig)}
 * makes one with a configuration of your own.
 *
 * <p>Where it differs from the JDK's server, or chooses where the API does not say:
 * <ul>
 *   <li>Without an executor, handlers run on the server's workers ({@link ServerConfig#workerMode()}:
 *       pooled platform threads or a virtual thread each), as many at once as the server serves
 *       requests (the JDK's server runs them one at a time, on its dispatcher thread: a handler
 *       that is not thread-safe wants {@code setExecutor(Executors.newSingleThreadExecutor())}). An
 *       {@link Executor} given to {@link #setExecutor} runs them, as on the JDK's server, the
 *       request's worker waiting for it; one that refuses an exchange gets its client a 503.</li>
 *   <li>{@link #stop(int)} stops accepting at once, lets exchanges in progress finish for up to the
 *       delay (their responses say {@code Connection: close}), then closes every connection; the
 *       configuration's shutdown timeout does not apply.</li>
 *   <li>A handler that returns without closing its exchange has its response ended for it (the
 *       JDK's server leaves it open and the client waiting); one that returns without sending
 *       response headers, or closes the exchange before, gets a 500 answer. An exchange cannot be
 *       finished by another thread after its handler returned: {@code sendResponseHeaders} and
 *       the exchange's streams then throw {@code IOException}.</li>
 *   <li>{@code Expect: 100-continue} is answered when the handler first reads the request body; a
 *       body the handler does not read is read or discarded by the server within its limits
 *       (the JDK's server sends 100 at once and reads unread bodies).</li>
 *   <li>Exchange attributes belong to the exchange (the JDK's server stores them in its context).</li>
 *   <li>Status codes must be 200-599 (the server sends {@code 100 Continue} itself).</li>
 * </ul>
 * Contexts are matched as the JDK does: the longest context path that is a prefix of the request
 * URI's (decoded) path, compared as strings; no match is answered 404.
 */
public final class WsgiHttpServer extends HttpServer {

    private final ServerCore core = new ServerCore(this, null);

    private WsgiHttpServer() {
    }

    /**
     * A server listening on {@code address} (from now on: requests wait for {@link #start()}), or an
     * unbound one if {@code address} is {@code null}; the rest of the configuration is the default.
     *
     * @param backlog the accept queue's length; 0 or less for the default
     * @throws java.net.BindException if the address cannot be bound
     */
    public static WsgiHttpServer create(InetSocketAddress address, int backlog) throws IOException {
        WsgiHttpServer server = new WsgiHttpServer();
        if (address != null) server.bind(address, backlog);
        return server;
    }

    /**
     * A server listening on every address of {@code config} (from now on: requests wait for
     * {@link #start()}), with its limits, timeouts, workers, access log and so on. Its shutdown
     * timeout is replaced by the delay given to {@link #stop(int)}; a TLS adapter in it serves
     * HTTPS, though the exchanges are not {@link com.sun.net.httpserver.HttpsExchange}s (use
     * {@link WsgiHttpsServer} for that).
     *
     * @throws java.net.BindException if an address cannot be bound
     */
    public static WsgiHttpServer create(ServerConfig config) throws IOException {
        WsgiHttpServer server = new WsgiHttpServer();
        server.core.listen(Objects.requireNonNull(config, "config"));
        return server;
    }

    @Override
    public void bind(InetSocketAddress addr, int backlog) throws IOException {
        core.bind(addr, backlog);
    }

    @Override
    public void start() {
        core.start();
    }

    @Override
    public void setExecutor(Executor executor) {
        core.setExecutor(executor);
    }

    @Override
    public Executor getExecutor() {
        return core.getExecutor();
    }

    @Override
    public void stop(int delay) {
        core.stop(delay);
    }

    @Override
    public HttpContext createContext(String path, HttpHandler handler) {
        return core.createContext(path, Objects.requireNonNull(handler, "null handler"));
    }

    @Override
    public HttpContext createContext(String path) {
        return core.createContext(path, null);
    }

    @Override
    public void removeContext(String path) {
        core.contexts().remove(Objects.requireNonNull(path, "null path parameter"));
    }

    @Override
    public void removeContext(HttpContext context) {
        core.contexts().remove(context);
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
