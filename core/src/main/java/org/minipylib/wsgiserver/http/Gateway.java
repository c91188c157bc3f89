package org.minipylib.wsgiserver.http;

/**
 * What the HTTP layer hands each parsed request to. The WSGI gateway is one implementation; the
 * HTTP layer knows nothing of WSGI beyond this interface, so other gateways can be added.
 *
 * <p>An implementation answers through {@link Exchange#response()}: it must {@link HttpResponse#begin
 * begin} the response, write the body, and {@link HttpResponse#finish finish} it. If it throws before
 * the response began, the server answers 500 (or the 4xx a body error calls for); after that, the
 * connection is closed.
 */
@FunctionalInterface
public interface Gateway {

    void handle(Exchange exchange) throws Exception;
}
