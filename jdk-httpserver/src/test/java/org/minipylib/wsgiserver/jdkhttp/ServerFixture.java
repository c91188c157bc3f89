package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.spi.HttpServerProvider;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Makes servers on 127.0.0.1 with ephemeral ports, ours and the JDK's own, and stops them all at {@link #close()}. */
final class ServerFixture implements AutoCloseable {

    static final InetSocketAddress LOOPBACK_ANY_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private final List<HttpServer> servers = new ArrayList<>();

    /** Ours, bound, not started. */
    WsgiHttpServer ours() throws IOException {
        return track(WsgiHttpServer.create(LOOPBACK_ANY_PORT, 0));
    }

    /**
     * The JDK's own server (its provider class is not exported: the tests run with
     * {@code --add-exports jdk.httpserver/sun.net.httpserver=ALL-UNNAMED}), bound, not started.
     */
    HttpServer jdks() throws IOException {
        try {
            HttpServerProvider provider = (HttpServerProvider) Class.forName("sun.net.httpserver.DefaultHttpServerProvider")
                    .getConstructor().newInstance();
            return track(provider.createHttpServer(LOOPBACK_ANY_PORT, 0));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("The JDK's HttpServer provider is not reachable", e);
        }
    }

    /** The JDK's server and ours, in that order, each started with {@link TestHandlers#mountAll} and then {@code mount} run on it. */
    List<HttpServer> bothStarted(Consumer<HttpServer> mount) throws IOException {
        List<HttpServer> both = List.of(jdks(), ours());
        for (HttpServer s : both) {
            TestHandlers.mountAll(s);
            mount.accept(s);
            s.start();
        }
        return both;
    }

    <S extends HttpServer> S track(S server) {
        servers.add(server);
        return server;
    }

    static int port(HttpServer server) {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        for (HttpServer s : servers) s.stop(0);
    }
}
