package org.minipylib.wsgiserver.testing;

import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.WsgiServer;

import java.io.IOException;
import java.net.URI;
import java.util.function.UnaryOperator;

/**
 * A server on 127.0.0.1 and an ephemeral port, for one test. Close it (try-with-resources) to stop.
 */
public final class TestServer implements AutoCloseable {

    private final WsgiServer server;

    private TestServer(WsgiServer server) {
        this.server = server;
    }

    /** Starts {@code app} with default settings. */
    public static TestServer start(WsgiApp app) throws IOException {
        return start(app, b -> b);
    }

    /** Starts {@code app}; {@code customize} may change any builder option (the bind address is set already). */
    public static TestServer start(WsgiApp app, UnaryOperator<WsgiServer.Builder> customize) throws IOException {
        WsgiServer.Builder b = WsgiServer.builder(app).bind("127.0.0.1", 0);
        return new TestServer(customize.apply(b).build().start());
    }

    public WsgiServer server() {
        return server;
    }

    public int port() {
        return server.port();
    }

    /** {@code http://127.0.0.1:PORT} + path. */
    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    /** A raw socket client connected to this server. */
    public RawClient connect() throws IOException {
        return new RawClient("127.0.0.1", port());
    }

    @Override
    public void close() {
        server.stop();
    }
}
