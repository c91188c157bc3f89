package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A context of a {@link WsgiHttpServer} or {@link WsgiHttpsServer}: a path, its handler, filters and authenticator. */
final class ServerContext extends HttpContext {

    private final String path;
    private final HttpServer server;
    private final Map<String, Object> attributes = new ConcurrentHashMap<>();
    private final List<Filter> filters = new CopyOnWriteArrayList<>();
    private volatile HttpHandler handler;
    private volatile Authenticator authenticator;

    /** @throws IllegalArgumentException if {@code path} does not start with {@code /} (as the JDK's contexts) */
    ServerContext(String path, HttpHandler handler, HttpServer server) {
        Objects.requireNonNull(path, "path");
        if (path.isEmpty() || path.charAt(0) != '/') throw new IllegalArgumentException("Illegal value for path: " + path);
        this.path = path;
        this.handler = handler;
        this.server = server;
    }

    @Override
    public HttpHandler getHandler() {
        return handler;
    }

    /** As the JDK's: a context's handler is set once. */
    @Override
    public synchronized void setHandler(HttpHandler h) {
        Objects.requireNonNull(h, "Null handler parameter");
        if (handler != null) throw new IllegalArgumentException("handler already set");
        handler = h;
    }

    @Override
    public String getPath() {
        return path;
    }

    @Override
    public HttpServer getServer() {
        return server;
    }

    @Override
    public Map<String, Object> getAttributes() {
        return attributes;
    }

    @Override
    public List<Filter> getFilters() {
        return filters;
    }

    @Override
    public synchronized Authenticator setAuthenticator(Authenticator auth) {
        Authenticator old = authenticator;
        authenticator = auth;
        return old;
    }

    @Override
    public Authenticator getAuthenticator() {
        return authenticator;
    }
}
