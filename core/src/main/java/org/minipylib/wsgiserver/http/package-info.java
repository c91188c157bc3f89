/**
 * The HTTP/1.1 protocol (RFC 9110, RFC 9112), with no sockets and no WSGI: a connection reads and
 * writes through a {@link org.minipylib.wsgiserver.http.Transport} and hands each request to a
 * {@link org.minipylib.wsgiserver.http.Gateway}.
 *
 * <p>API (what other gateways and configurations use): {@code Gateway}, {@code Exchange},
 * {@code HttpResponse}, {@code RequestHead}, {@code HeaderFields}, {@code HttpLimits},
 * {@code HttpTimeouts}, {@code HttpCompliance}, {@code MinDataRate}, {@code HttpStatus},
 * {@code HttpDate}. The rest is machinery, public only because the server's other packages use it.
 *
 * <p>Start reading at {@code HttpConnection} (the request loop: read a head, serve it, decide
 * whether to keep the connection). Parsing works on byte arrays with no I/O:
 * {@code RequestHeadScanner} finds a head's end and enforces its size limits, {@code RequestParser}
 * turns it into a {@code RequestHead}; bodies are read by {@code FixedLengthInputStream} and
 * {@code ChunkedInputStream} over {@code BodyInput} (timeouts, minimum rate); responses are framed
 * by {@code HttpResponse} and buffered by {@code ConnectionOutput}; {@code ErrorResponse} is what
 * the server answers by itself.
 */
package org.minipylib.wsgiserver.http;
