package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.http.Exchange;
import org.minipylib.wsgiserver.http.Gateway;
import org.minipylib.wsgiserver.http.HttpResponse;
import org.minipylib.wsgiserver.http.HttpStatus;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The gateway from the HTTP layer to the JDK's API: finds the context of each request and runs its
 * filters, its authenticator and its handler, on the worker the server gave the request, or on the
 * executor the application set, the worker waiting for it.
 *
 * <p>Requests whose target is not a URI are answered 400, those no context takes 404, and those of
 * a context without a handler 500, with the JDK's bodies. A handler that throws before sending
 * response headers gets a 500; after, the connection is closed (unless the exchange had been
 * closed: the response was whole, the error is logged). A handler that returns without closing
 * the exchange has its response ended for it. An executor that refuses the handler
 * ({@link RejectedExecutionException}) gets the request a 503.
 */
final class ContextGateway implements Gateway {

    private static final System.Logger LOG = System.getLogger(ContextGateway.class.getName());

    private final ServerCore core;

    ContextGateway(ServerCore core) {
        this.core = core;
    }

    @Override
    public void handle(Exchange exchange) throws Exception {
        core.exchangeBegun();
        try {
            handleCounted(exchange);
        } finally {
            core.exchangeEnded();
        }
    }

    private void handleCounted(Exchange exchange) throws Exception {
        if (!core.awaitStart()) throw new IOException("The server was stopped before it started");
        URI uri;
        try {
            uri = new URI(exchange.request().target());
        } catch (URISyntaxException e) {
            reject(exchange.response(), 400, "URISyntaxException thrown");
            return;
        }
        ServerContext context = core.contexts().find(uri.getPath());
        if (context == null) {
            reject(exchange.response(), 404, "No context found for request");
            return;
        }
        HttpHandler handler = context.getHandler();
        if (handler == null) {
            reject(exchange.response(), 500, "No handler for context");
            return;
        }
        ServerExchange plain = new ServerExchange(exchange, uri, context);
        HttpExchange api = core.secure() ? new ServerHttpsExchange(plain) : plain;
        Filter.Chain system = new Filter.Chain(List.of(new AuthenticationFilter(context.getAuthenticator(), plain)), handler);
        Filter.Chain chain = new Filter.Chain(context.getFilters(), system::doFilter);
        try {
            try {
                if (!runChain(chain, api)) {
                    reject(exchange.response(), 503, "The handler's executor refused the exchange");
                    return;
                }
            } catch (Exception | Error e) {
                if (!plain.responseEnded()) throw e;
                // a write after the end, say (a HEAD response's body): the JDK's server logs it at TRACE
                LOG.log(e instanceof IOException ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING,
                        "The handler of \"" + exchange.request().requestLine() + "\" failed after its response was sent", e);
                return;
            }
            plain.complete();
        } finally {
            plain.handlerReturned(); // before the connection reads or answers anything else
        }
    }

    /**
     * Runs {@code chain} on the executor the application set ({@code setExecutor}), this thread
     * waiting for it, or on this thread if none was set. What the chain throws is thrown here.
     *
     * @return false if the executor refused the chain (it did not run)
     */
    private boolean runChain(Filter.Chain chain, HttpExchange api) throws Exception {
        Executor executor = core.handlerExecutor();
        if (executor == null) {
            chain.doFilter(api);
            return true;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    chain.doFilter(api);
                    done.complete(null);
                } catch (Throwable t) {
                    done.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.log(System.Logger.Level.WARNING, "The executor refused the handler of " + api.getRequestMethod() + " "
                    + api.getRequestURI() + ": " + e);
            return false;
        }
        try {
            done.get();
        } catch (InterruptedException e) { // a stop that closes the connection: the exchange ends under the handler
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("stopped while the handler ran on its executor");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception x) throw x;
            if (cause instanceof Error x) throw x;
            throw e;
        }
        return true;
    }

    /** The JDK server's answer to a request it cannot hand to a handler. */
    private static void reject(HttpResponse response, int status, String message) throws IOException {
        String reason = HttpStatus.reason(status);
        byte[] body = ("<h1>" + status + " " + reason + "</h1>" + message).getBytes(StandardCharsets.ISO_8859_1);
        response.begin(status, reason, List.of(new Header("Content-Type", "text/html")), body.length);
        response.write(body, 0, body.length);
        response.finish();
    }
}
