package org.minipylib.wsgiserver;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minipylib.wsgiserver.apps.MetricsApp;
import org.minipylib.wsgiserver.server.StatisticsMXBean;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.PrometheusExposition;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.TlsClients;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.minipylib.wsgiserver.tls.JsseSslAdapter;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Map;
import javax.management.JMX;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * A connection refused over {@code maxConnections} counts in {@code refusedConnections} whatever its
 * listener: a plain one (answered 503), a TLS one and a PROXY protocol one (closed unanswered), in
 * {@link WsgiServer#statistics()}, the Prometheus text, the JSON and JMX alike. The monitoring is
 * read over the one connection the server keeps, since any other would be refused too.
 */
class RefusedConnectionsTest {

    @TempDir
    static Path dir;

    private static TestCertificates.LocalhostTls tls;

    @BeforeAll
    static void certificates() throws GeneralSecurityException, IOException {
        tls = TestCertificates.localhostTls(dir, "refused-ca");
    }

    /** The kinds of listener, each with how its clients connect and what they send before HTTP. */
    enum Listener {
        PLAIN, TLS, PROXY;

        WsgiServer.Builder configure(WsgiServer.Builder b) {
            return switch (this) {
                case PLAIN -> b;
                case TLS -> {
                    try {
                        yield b.sslAdapter(new JsseSslAdapter(tls.server()));
                    } catch (IOException | GeneralSecurityException e) {
                        throw new IllegalStateException("cannot load the test certificate", e);
                    }
                }
                case PROXY -> b.listenOptions(ListenOptions.defaults().withProxyProtocol(true));
            };
        }

        /** A connection ready for HTTP requests: its TLS handshake done, or its PROXY header sent. */
        RawClient connect(TestServer server) throws IOException {
            return switch (this) {
                case PLAIN -> server.connect();
                case TLS -> new RawClient(TlsClients.connect(tls.client(), server.port(), "localhost"));
                case PROXY -> server.connect().send("PROXY TCP4 203.0.113.7 198.51.100.1 40000 80\r\n");
            };
        }
    }

    @ParameterizedTest
    @EnumSource(Listener.class)
    void aConnectionOverTheLimitIsCountedAsRefusedEverywhere(Listener listener) throws Exception {
        try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "hi"),
                     b -> listener.configure(b).maxConnections(1).jmx(true).mount("/metrics", MetricsApp::new));
             RawClient kept = listener.connect(server)) {
            assertEquals(200, kept.send(get("/")).read().status(), "the one connection the server takes");
            try (RawClient refused = listener.connect(server)) {
                refused.send(get("/")).timeout(10_000);
                if (listener == Listener.PLAIN) assertEquals(503, refused.read().status());
                else assertTrue(refused.isClosedByServer(), "closed unanswered");
            } catch (IOException reset) { // a handshake or write cut short by the close
                assertNotEquals(Listener.PLAIN, listener, "a plain connection reads its 503: " + reset);
            }

            int responses = listener == Listener.PLAIN ? 2 : 1; // the 200, and the 503 if one could be sent
            ServerStats stats = Poll.until(server.server()::statistics,
                    s -> s.refusedConnections() == 1 && s.requests() == responses, "one refused, all counted");
            assertEquals(2, stats.accepts(), "a refused connection was accepted first");
            assertEquals(listener == Listener.PLAIN, stats.responsesByStatus().containsKey(503),
                    "a 503 only where one could be sent: " + stats.responsesByStatus());

            String text = kept.send(get("/metrics")).read().bodyText();
            Map<String, PrometheusExposition.Family> families = PrometheusExposition.parse(text);
            assertEquals(1, PrometheusExposition.value(families, "wsgiserver_connections_refused_total"));
            assertEquals("counter", families.get("wsgiserver_connections_refused_total").type());
            assertEquals(2, PrometheusExposition.value(families, "wsgiserver_connections_accepted_total"));

            String json = kept.send(get("/metrics/json")).read().bodyText();
            assertEquals(1, new ObjectMapper().readTree(json).get("refusedConnections").asLong(), json);

            WsgiServerMXBean bean = JMX.newMXBeanProxy(ManagementFactory.getPlatformMBeanServer(),
                    StatisticsMXBean.nameFor(server.server().addresses().get(0)), WsgiServerMXBean.class);
            assertEquals(1, bean.getRefusedConnections());
            assertEquals(200, kept.send(get("/")).read().status(), "the kept connection goes on");
        }
    }
}
