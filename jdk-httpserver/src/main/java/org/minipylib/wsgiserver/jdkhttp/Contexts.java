package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.HttpContext;

import java.util.ArrayList;
import java.util.List;

/**
 * A server's contexts. A request goes to the context whose path is the longest prefix of the
 * request URI's path, compared as strings (so {@code /app} also takes {@code /apps}), as the JDK's
 * server does.
 */
final class Contexts {

    private final List<ServerContext> contexts = new ArrayList<>();

    /** @throws IllegalArgumentException if a context has that path already */
    synchronized void add(ServerContext context) {
        if (exact(context.getPath()) != null) {
            throw new IllegalArgumentException("A context exists already for " + context.getPath());
        }
        contexts.add(context);
    }

    /** The context for a request path, or {@code null} if none matches (or the URI has no path). */
    synchronized ServerContext find(String requestPath) {
        if (requestPath == null) return null;
        ServerContext longest = null;
        for (ServerContext c : contexts) {
            String p = c.getPath();
            if (requestPath.startsWith(p) && (longest == null || p.length() > longest.getPath().length())) longest = c;
        }
        return longest;
    }

    /** @throws IllegalArgumentException if no context has that path */
    synchronized void remove(String path) {
        ServerContext c = exact(path);
        if (c == null) throw new IllegalArgumentException("No context for " + path);
        contexts.remove(c);
    }

    /** @throws IllegalArgumentException if the context is not one of these */
    synchronized void remove(HttpContext context) {
        if (!contexts.remove(context)) throw new IllegalArgumentException("No such context: " + context.getPath());
    }

    private ServerContext exact(String path) {
        for (ServerContext c : contexts) {
            if (c.getPath().equals(path)) return c;
        }
        return null;
    }
}
