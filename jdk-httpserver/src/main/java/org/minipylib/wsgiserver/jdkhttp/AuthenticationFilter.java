package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.BasicAuthenticator;
import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;

/**
 * Runs a context's {@link Authenticator} after the application's filters and before the handler,
 * as the JDK's server does: on success the principal is the exchange's; a failure or retry is
 * answered with its status code and no body (a {@code BasicAuthenticator} has set
 * {@code WWW-Authenticate} by then). Credentials a {@code BasicAuthenticator} cannot decode
 * ({@code Basic !!!}: its {@code IllegalArgumentException}) are a {@code 400} (the JDK's server
 * drops the connection). The request body is left to the server,
 * which reads or discards it (the JDK's server reads it first).
 */
final class AuthenticationFilter extends Filter {

    private static final System.Logger LOG = System.getLogger(AuthenticationFilter.class.getName());

    private final Authenticator authenticator;
    private final ServerExchange exchange;

    /** @param authenticator the context's authenticator, or {@code null} to let every request through */
    AuthenticationFilter(Authenticator authenticator, ServerExchange exchange) {
        this.authenticator = authenticator;
        this.exchange = exchange;
    }

    @Override
    public void doFilter(HttpExchange t, Chain chain) throws IOException {
        if (authenticator == null) {
            chain.doFilter(t);
            return;
        }
        Authenticator.Result result;
        try {
            result = authenticator.authenticate(t);
        } catch (IllegalArgumentException e) {
            if (!(authenticator instanceof BasicAuthenticator)) throw e; // another's may be a defect: a 500, logged
            // its Base64 decoding of "Basic !!!": the client's malformed credentials, no stack trace per request
            LOG.log(System.Logger.Level.DEBUG, "Malformed credentials refused: {0}", e.toString());
            t.sendResponseHeaders(400, -1);
            return;
        }
        switch (result) {
            case Authenticator.Success s -> {
                exchange.setPrincipal(s.getPrincipal());
                chain.doFilter(t);
            }
            case Authenticator.Retry r -> t.sendResponseHeaders(r.getResponseCode(), -1);
            case Authenticator.Failure f -> t.sendResponseHeaders(f.getResponseCode(), -1);
            default -> throw new IllegalStateException("Unknown authentication result: " + result);
        }
    }

    @Override
    public String description() {
        return "Authentication filter";
    }
}
