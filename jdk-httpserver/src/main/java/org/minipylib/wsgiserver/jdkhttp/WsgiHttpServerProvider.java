package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsServer;
import com.sun.net.httpserver.spi.HttpServerProvider;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * Makes {@code HttpServer.create(...)} and {@code HttpsServer.create(...)} return wsgiserver's
 * {@link WsgiHttpServer} and {@link WsgiHttpsServer}. Registered as a service (in
 * {@code META-INF/services} and the module descriptor), so the JDK picks it when this module is on
 * the path; {@code -Dcom.sun.net.httpserver.HttpServerProvider=org.minipylib.wsgiserver.jdkhttp.WsgiHttpServerProvider}
 * names it explicitly.
 */
public final class WsgiHttpServerProvider extends HttpServerProvider {

    /** For the service loader. */
    public WsgiHttpServerProvider() {
    }

    @Override
    public HttpServer createHttpServer(InetSocketAddress addr, int backlog) throws IOException {
        return WsgiHttpServer.create(addr, backlog);
    }

    @Override
    public HttpsServer createHttpsServer(InetSocketAddress addr, int backlog) throws IOException {
        return WsgiHttpsServer.create(addr, backlog);
    }
}
