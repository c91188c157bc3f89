package org.minipylib.wsgiserver;

/**
 * A web application: the Java form of PEP 3333's {@code app(environ, start_response)}.
 *
 * <p>The server calls {@link #call} once per request on a worker thread. The application must call
 * {@link StartResponse#start} before (or while) producing its body, and returns the body as an
 * iterable of byte chunks. If the returned iterable is {@link AutoCloseable}, the server closes it
 * exactly once when the response is over, whatever happened: after a whole response has gone out
 * (so that work done in {@code close()} does not hold up the client), or after the failure.
 *
 * <pre>{@code
 * WsgiApp hello = (environ, startResponse) -> {
 *     startResponse.start("200 OK", List.of(new Header("Content-Type", "text/plain")));
 *     return List.of("Hello world!".getBytes(StandardCharsets.US_ASCII));
 * };
 * }</pre>
 */
@FunctionalInterface
public interface WsgiApp {

    /**
     * Handles one request.
     *
     * @param environ       the CGI/WSGI variables of the request
     * @param startResponse begins the response: status and headers
     * @return the response body, chunk by chunk; never {@code null}
     * @throws Exception anything; before the response has started the client gets a 500, after it
     *                   the connection is closed
     */
    Iterable<byte[]> call(Environ environ, StartResponse startResponse) throws Exception;
}
