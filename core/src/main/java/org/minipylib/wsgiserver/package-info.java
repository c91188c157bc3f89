/**
 * The public API: {@link org.minipylib.wsgiserver.WsgiServer} (built from a
 * {@link org.minipylib.wsgiserver.ServerConfig}) serves a {@link org.minipylib.wsgiserver.WsgiApp},
 * the WSGI-style contract: {@code app(environ, startResponse)} returns the body, with
 * {@link org.minipylib.wsgiserver.Environ} for the CGI and {@code wsgi.*} keys and typed accessors,
 * and {@link org.minipylib.wsgiserver.StartResponse}. Bodies the server writes without a copy
 * ({@link org.minipylib.wsgiserver.ByteBufferBody}, {@link org.minipylib.wsgiserver.FileBody}), the
 * access log, listening options and the server's statistics are here too.
 *
 * <p>Where the rest lives: {@code http} is the HTTP/1.1 protocol (parsing, framing, the connection
 * loop) and knows nothing of WSGI beyond its {@code Gateway} interface; {@code wsgi} is that gateway
 * for {@code WsgiApp}s; {@code server} holds sockets, threads and timeouts; {@code tls} and
 * {@code proxy} are the steps a connection may take before its first request; {@code apps} holds
 * ready-made applications and middleware. Start reading at {@code WsgiServer.start}.
 */
package org.minipylib.wsgiserver;
