package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minipylib.wsgiserver.ByteBufferBody;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.ServerConfig;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.WsgiServerMXBean;
import org.minipylib.wsgiserver.apps.MetricsApp;
import org.minipylib.wsgiserver.server.StatisticsMXBean;
import org.minipylib.wsgiserver.testing.PrometheusExposition;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.minipylib.wsgiserver.tls.JsseSslAdapter;

import com.fasterxml.jackson.databind.ObjectMapper;

import javax.management.JMX;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.assertLastResponse;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * How long one connection is reused ({@code maxRequestsPerConnection}, {@code maxConnectionAge}):
 * the response that ends a connection's share says {@code Connection: close} and the connection
 * closes after it (with no reset, whatever the client pipelined meanwhile), requests pipelined
 * behind it are not served, an application that is already running finishes its response, real
 * clients carry on over new connections, and an age too long to count is no limit.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectionReuseLimitsTest {

    private static TestCertificates.LocalhostTls tls;

    @BeforeAll
    static void certificates(@TempDir Path dir) throws Exception {
        tls = TestCertificates.localhostTls(dir, "reuse-limits-ca");
    }

    private static TestServer start(WorkerMode mode, UnaryOperator<WsgiServer.Builder> limits) throws Exception {
        return TestServer.start(WsgiTestApps.echo(), b -> limits.apply(b.workerMode(mode)));
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void theResponseToTheLastAllowedRequestSaysCloseAndTheConnectionCloses(WorkerMode mode) throws Exception {
        try (TestServer server = start(mode, b -> b.maxRequestsPerConnection(3)); RawClient client = server.connect()) {
            for (int i = 1; i <= 2; i++) {
                RawClient.Response r = client.send(get("/r" + i)).read();
                assertEquals("GET /r" + i + ":", r.bodyText());
                assertNull(r.header("Connection"), "request " + i + " of 3 keeps the connection");
            }
            assertLastResponse(client, client.send(get("/r3")).read(), "GET /r3:");
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void oneRequestPerConnectionTurnsKeepAliveOff(WorkerMode mode) throws Exception {
        try (TestServer server = start(mode, b -> b.maxRequestsPerConnection(1)); RawClient client = server.connect()) {
            assertLastResponse(client, client.send(get("/only")).read(), "GET /only:");
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void requestsPipelinedBehindTheLastAllowedOneAreNotServed(WorkerMode mode) throws Exception {
        AtomicInteger calls = new AtomicInteger();
        WsgiApp counting = (environ, startResponse) -> {
            calls.incrementAndGet();
            startResponse.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of(environ.pathInfo().getBytes(StandardCharsets.UTF_8));
        };
        try (TestServer server = TestServer.start(counting, b -> b.workerMode(mode).maxRequestsPerConnection(2));
             RawClient client = server.connect()) {
            client.send(get("/a") + get("/b") + get("/c") + get("/d"));
            RawClient.Response first = client.read();
            assertEquals("/a", first.bodyText());
            assertNull(first.header("Connection"));
            // the response is read whole, and then the close: the unread requests do not reset it away
            assertLastResponse(client, client.read(), "/b");
            assertEquals(2, calls.get(), "the requests pipelined after the second reached no application");
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void http10KeepAliveEndsAtTheLimitToo(WorkerMode mode) throws Exception {
        try (TestServer server = start(mode, b -> b.maxRequestsPerConnection(2)); RawClient client = server.connect()) {
            String request = "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
            assertEquals("keep-alive", client.send(request).read().header("Connection"));
            assertLastResponse(client, client.send(request).read(), "GET /old:");
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aConnectionIdlePastItsAgeServesOneMoreRequestAndSaysClose(WorkerMode mode) throws Exception {
        try (TestServer server = start(mode, b -> b.maxConnectionAge(Duration.ofMillis(300))); RawClient client = server.connect()) {
            RawClient.Response young = client.send(get("/young")).read();
            assertNull(young.header("Connection"));
            Thread.sleep(450); // past the age while idle: left to the keep-alive timeout, not closed under the client
            assertLastResponse(client, client.send(get("/old")).read(), "GET /old:");
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void anApplicationRunningWhenTheAgeIsReachedFinishesItsResponse(WorkerMode mode) throws Exception {
        byte[] large = new byte[200_000];
        Arrays.fill(large, (byte) 'x');
        WsgiApp slow = (environ, startResponse) -> {
            try {
                Thread.sleep(400); // the connection is 300 ms old, at most, when the response begins
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            startResponse.start("200 OK", List.of(Header.of("Content-Type", "application/octet-stream")));
            return List.of(large);
        };
        try (TestServer server = TestServer.start(slow, b -> b.workerMode(mode).maxConnectionAge(Duration.ofMillis(300)));
             RawClient client = server.connect()) {
            RawClient.Response r = client.send(get("/slow")).read();
            assertEquals(200, r.status());
            assertArrayEquals(large, r.body());
            assertEquals("close", r.header("Connection"));
            assertTrue(client.isClosedByServer());
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void httpClientCarriesOnOverNewConnections(WorkerMode mode) throws Exception {
        try (TestServer server = start(mode, b -> b.maxRequestsPerConnection(3));
             HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            for (int i = 0; i < 10; i++) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(server.uri("/n" + i)).timeout(Duration.ofSeconds(20)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode());
                assertEquals("GET /n" + i + ":", r.body());
            }
            assertEquals(4, server.server().statistics().accepts(), "10 requests, 3 per connection");
            assertEquals(3, server.server().statistics().retiredConnections(), "the fourth connection ends with the client");
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void overTlsTheLastResponseEndsInACleanClose(WorkerMode mode) throws Exception {
        JsseSslAdapter adapter = new JsseSslAdapter(tls.server());
        try (TestServer server = start(mode, b -> b.sslAdapter(adapter).maxRequestsPerConnection(2));
             HttpClient client = HttpClient.newBuilder().sslContext(tls.client()).version(HttpClient.Version.HTTP_1_1).build()) {
            for (int i = 0; i < 5; i++) {
                HttpRequest request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + "/s" + i))
                        .timeout(Duration.ofSeconds(20)).build();
                HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
                assertEquals("GET /s" + i + ":", r.body());
            }
            assertEquals(3, server.server().statistics().accepts(), "5 requests, 2 per connection");
            assertEquals(2, server.server().statistics().retiredConnections());
            assertEquals(0, server.server().statistics().tlsHandshakeFailures());
        }
    }

    @Test
    void retiredConnectionsAreCountedWhereOperatorsLook() throws Exception {
        try (TestServer server = TestServer.start(WsgiTestApps.echo(), b -> b.maxRequestsPerConnection(2)
                .mount("/metrics", MetricsApp::new).jmx(true))) {
            for (int i = 0; i < 3; i++) {
                try (RawClient client = server.connect()) {
                    client.send(get("/one")).read();
                    assertLastResponse(client, client.send(get("/two")).read(), "GET /two:");
                }
            }
            try (RawClient client = server.connect()) { // its first request: not retired yet
                String text = client.send(get("/metrics")).read().bodyText();
                assertEquals(3, PrometheusExposition.value(PrometheusExposition.parse(text), "wsgiserver_connections_retired_total"));
                String json = client.send(get("/metrics/json")).read().bodyText();
                assertEquals(3, new ObjectMapper().readTree(json).get("retiredConnections").asLong(), json);
            }
            WsgiServerMXBean bean = JMX.newMXBeanProxy(ManagementFactory.getPlatformMBeanServer(),
                    StatisticsMXBean.nameFor(server.server().addresses().get(0)), WsgiServerMXBean.class);
            assertEquals(4, bean.getRetiredConnections(), "the scrape's connection served its two requests too");
        }
    }

    @Test
    void negativeLimitsAreRefusedAndZeroMeansNone() {
        assertThrows(IllegalArgumentException.class, () -> ServerConfig.builder().maxRequestsPerConnection(-1).build());
        assertThrows(IllegalArgumentException.class, () -> ServerConfig.builder().maxConnectionAge(Duration.ofSeconds(-1)).build());
        ServerConfig defaults = ServerConfig.builder().build();
        assertEquals(0, defaults.maxRequestsPerConnection());
        assertEquals(Duration.ZERO, defaults.maxConnectionAge());
    }

    /**
     * A connection's last response begun and then replaced by a 500 (the body failed while all of it
     * was still in the buffer) retires the connection once: the replacement begins a response again.
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aResponseReplacedByAnErrorResponseCountsTheRetirementOnce(WorkerMode mode) throws Exception {
        WsgiApp failsAfterBeginning = (environ, startResponse) -> {
            startResponse.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return new ByteBufferBody() { // a known length: buffered, not flushed piece by piece
                @Override
                public Iterator<ByteBuffer> buffers() {
                    Iterator<ByteBuffer> first = List.of(ByteBuffer.wrap(new byte[50])).iterator();
                    return new Iterator<>() {
                        @Override
                        public boolean hasNext() {
                            return true;
                        }

                        @Override
                        public ByteBuffer next() {
                            if (first.hasNext()) return first.next();
                            throw new IllegalStateException("expected by the test: the body fails after 50 of 100 bytes");
                        }
                    };
                }

                @Override
                public long length() {
                    return 100;
                }
            };
        };
        try (TestServer server = TestServer.start(failsAfterBeginning, b -> b.workerMode(mode).maxRequestsPerConnection(1));
             RawClient client = server.connect()) {
            client.timeout(5_000);
            RawClient.Response r = client.send(get("/fails")).read();
            assertEquals(500, r.status());
            assertEquals("close", r.header("Connection"));
            assertTrue(client.isClosedByServer());
            assertEquals(1, server.server().statistics().retiredConnections());
        }
    }

    /**
     * A request pipelined while the last allowed one is being served reaches the server's socket
     * after the server read the last one: the close must not be a reset (which can destroy the
     * response before the client reads it, and turns the client's clean end of stream into an error).
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aRequestPipelinedWhileTheLastOneRunsDoesNotTurnTheCloseIntoAReset(WorkerMode mode) throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        WsgiApp held = (environ, startResponse) -> {
            entered.countDown();
            release.await(WsgiTestApps.WAIT_SECONDS, TimeUnit.SECONDS);
            startResponse.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of(environ.pathInfo().getBytes(StandardCharsets.UTF_8));
        };
        try (TestServer server = TestServer.start(held, b -> b.workerMode(mode).maxRequestsPerConnection(1));
             RawClient client = server.connect()) {
            client.send(get("/a"));
            WsgiTestApps.await(entered); // the server has read /a and runs its application
            client.send(get("/b")); // on loopback, in the server's socket once send returns
            release.countDown();
            String text = client.readToCleanEnd();
            assertTrue(text.startsWith("HTTP/1.1 200 OK"), text);
            assertTrue(text.contains("Connection: close"), text);
            assertTrue(text.endsWith("/a"), text);
        } finally {
            release.countDown();
        }
    }

    /** An age too long to count in nanoseconds (ChronoUnit.FOREVER's, or a few centuries) means no limit, not failing connections. */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void anAgeBeyondWhatNanosecondsHoldIsNoLimit(WorkerMode mode) throws Exception {
        for (Duration age : List.of(Duration.ofDays(365L * 300), ChronoUnit.FOREVER.getDuration())) {
            try (TestServer server = TestServer.start(WsgiTestApps.echo(), b -> b.workerMode(mode).maxConnectionAge(age));
                 RawClient client = server.connect()) {
                client.timeout(5_000);
                for (int i = 0; i < 3; i++) {
                    RawClient.Response r = client.send(get("/x" + i)).read();
                    assertEquals("GET /x" + i + ":", r.bodyText());
                    assertEquals(null, r.header("Connection"));
                }
            }
        }
    }

    /** A HEAD request, a server's 500 and a 100-continue exchange at the limit each say close and close. */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void otherResponsesAtTheLimitSayClose(WorkerMode mode) throws Exception {
        WsgiApp app = (environ, startResponse) -> {
            if (environ.pathInfo().equals("/fail")) throw new IllegalStateException("expected by the test");
            byte[] body = environ.input().readAllBytes();
            startResponse.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of(("got " + body.length).getBytes(StandardCharsets.UTF_8));
        };
        atTheLimit(mode, app, client -> {
            RawClient.Response r = client.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n").read(true);
            assertEquals("close", r.header("Connection"));
            assertTrue(client.isClosedByServer());
        });
        atTheLimit(mode, app, client -> {
            RawClient.Response r = client.send(get("/fail")).read();
            assertEquals(500, r.status());
            assertEquals("close", r.header("Connection"));
            assertTrue(client.isClosedByServer());
        });
        atTheLimit(mode, app, client -> {
            client.send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
            assertEquals("HTTP/1.1 100 Continue", client.readLine());
            assertEquals("", client.readLine());
            assertLastResponse(client, client.send("abc").read(), "got 3");
        });
    }

    /** What a client checks on a connection that has one request left (a limit of 2, one served). */
    private interface LastRequestCheck {
        void check(RawClient client) throws Exception;
    }

    private static void atTheLimit(WorkerMode mode, WsgiApp app, LastRequestCheck check) throws Exception {
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode).maxRequestsPerConnection(2));
             RawClient client = server.connect()) {
            client.timeout(5_000);
            client.send(get("/one")).read();
            check.check(client);
        }
    }
}
