package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import org.minipylib.wsgiserver.tls.SslEngineAdapter;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * Makes each TLS connection's engine from the server's {@link HttpsConfigurator}, as the JDK's
 * server does: an engine of the configurator's SSL context for the client's address, in server
 * mode, with what {@link HttpsConfigurator#configure} set: its SSL parameters, or else the
 * deprecated cipher suites, protocols and client authentication.
 *
 * <p>A connection that arrives before the server started waits for the start (by which the
 * configurator must be set, as with the JDK's server).
 */
final class ConfiguratorEngines implements SslEngineAdapter.EngineFactory {

    private static final System.Logger LOG = System.getLogger(ConfiguratorEngines.class.getName());

    private final WsgiHttpsServer server;

    ConfiguratorEngines(WsgiHttpsServer server) {
        this.server = server;
    }

    @Override
    public SSLEngine create(SocketAddress client, String serverName) {
        try {
            if (!server.awaitStart()) throw new IllegalStateException("The server was stopped before it started");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted waiting for the server to start", e);
        }
        HttpsConfigurator configurator = server.getHttpsConfigurator();
        if (configurator == null) throw new IllegalStateException("No HttpsConfigurator set");
        SSLContext context = configurator.getSSLContext();
        InetSocketAddress address = client instanceof InetSocketAddress a ? a : null;
        SSLEngine engine = address == null ? context.createSSLEngine()
                : context.createSSLEngine(address.getHostString(), address.getPort());
        engine.setUseClientMode(false);
        Parameters params = new Parameters(configurator, address);
        configurator.configure(params);
        params.applyTo(engine);
        return engine;
    }

    /** What {@link HttpsConfigurator#configure} sets for one connection. */
    private static final class Parameters extends HttpsParameters {
        private final HttpsConfigurator configurator;
        private final InetSocketAddress client;
        private SSLParameters sslParameters;

        Parameters(HttpsConfigurator configurator, InetSocketAddress client) {
            this.configurator = configurator;
            this.client = client;
        }

        @Override
        public HttpsConfigurator getHttpsConfigurator() {
            return configurator;
        }

        @Override
        public InetSocketAddress getClientAddress() {
            return client;
        }

        @Override
        public void setSSLParameters(SSLParameters params) {
            sslParameters = params;
        }

        @SuppressWarnings("deprecation") // the JDK's server honours the old setters when no SSLParameters were set
        void applyTo(SSLEngine engine) {
            if (sslParameters != null) {
                engine.setSSLParameters(sslParameters);
                return;
            }
            // As the JDK's server: names the engine does not know leave its defaults rather than fail every
            // handshake (logged at DEBUG: once per connection)
            if (getCipherSuites() != null) {
                try {
                    engine.setEnabledCipherSuites(getCipherSuites());
                } catch (IllegalArgumentException e) {
                    LOG.log(System.Logger.Level.DEBUG, "HttpsParameters cipher suites ignored: {0}", e.getMessage());
                }
            }
            if (getProtocols() != null) {
                try {
                    engine.setEnabledProtocols(getProtocols());
                } catch (IllegalArgumentException e) {
                    LOG.log(System.Logger.Level.DEBUG, "HttpsParameters protocols ignored: {0}", e.getMessage());
                }
            }
            if (getNeedClientAuth()) {
                engine.setNeedClientAuth(true);
            } else if (getWantClientAuth()) {
                engine.setWantClientAuth(true);
            }
        }
    }
}
