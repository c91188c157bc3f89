package org.minipylib.wsgiserver.testing;

import org.minipylib.wsgiserver.http.ConnectionSetup;
import org.minipylib.wsgiserver.http.Gateway;
import org.minipylib.wsgiserver.http.HttpConnection;
import org.minipylib.wsgiserver.http.HttpSettings;
import org.minipylib.wsgiserver.server.ConnectionRegistry;
import org.minipylib.wsgiserver.server.ConnectionScheduler;
import org.minipylib.wsgiserver.server.ReadinessLoop;
import org.minipylib.wsgiserver.server.SocketTransport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connections accepted on 127.0.0.1 (an ephemeral port), one per {@link #connect}, each registered
 * with a {@link ConnectionRegistry} and started on a scheduler, as the server does; their waits
 * block, or go to a readiness loop as the server's do. For tests of one piece of the server under connections from real
 * sockets. Closing it closes the clients, aborts what is still registered and shuts the scheduler down.
 */
public final class AcceptedConnections implements AutoCloseable {

    private final ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
    private final ConnectionRegistry registry = new ConnectionRegistry(100);
    private final ConnectionScheduler scheduler;
    private final Gateway gateway;
    private final HttpSettings settings;
    private final ReadinessLoop loop;
    private final List<RawClient> clients = new ArrayList<>();

    /** Connections whose waits block. */
    public AcceptedConnections(ConnectionScheduler scheduler, Gateway gateway, HttpSettings settings) throws IOException {
        this(scheduler, gateway, settings, null);
    }

    /**
     * Connections that move to {@code loop} as the server's do (without direct socket calls: on its
     * selector), or whose waits block if it is null; the loop stays the caller's to close.
     */
    public AcceptedConnections(ConnectionScheduler scheduler, Gateway gateway, HttpSettings settings, ReadinessLoop loop)
            throws IOException {
        this.scheduler = scheduler;
        this.gateway = gateway;
        this.settings = settings;
        this.loop = loop;
    }

    public ConnectionRegistry registry() {
        return registry;
    }

    /** A client whose connection, plain, the server has registered and started. */
    public RawClient connect() throws IOException {
        return connect(List.of());
    }

    /** A client whose connection, which first runs {@code setups}, the server has registered and started. */
    public RawClient connect(List<ConnectionSetup> setups) throws IOException {
        RawClient client = new RawClient("127.0.0.1", ((InetSocketAddress) listener.getLocalAddress()).getPort());
        clients.add(client);
        SocketTransport transport = loop == null ? SocketTransport.blocking(listener.accept())
                : SocketTransport.withLoop(listener.accept(), loop, false);
        HttpConnection connection = new HttpConnection(transport, setups, gateway, settings, registry);
        assertTrue(registry.add(connection));
        scheduler.start(connection);
        return client;
    }

    @Override
    public void close() throws IOException {
        for (RawClient client : clients) client.close();
        registry.abortAll();
        scheduler.shutdown();
        listener.close();
    }
}
