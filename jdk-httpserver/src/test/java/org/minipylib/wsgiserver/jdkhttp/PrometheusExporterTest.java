package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.BasicAuthenticator;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.exporter.httpserver.DefaultHandler;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.exporter.httpserver.HealthyHandler;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.registry.PrometheusScrapeRequest;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minipylib.wsgiserver.testing.RawClient;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * Prometheus's Java client exporter ({@code prometheus-metrics-exporter-httpserver}), a real
 * application of the API: its {@code HTTPServer.builder()...buildAndStart()} makes its server with
 * {@code HttpServer.create}, which gives ours; its answers (metrics in each format, gzipped or not,
 * the health and default pages) are those of the same handlers on the JDK's server.
 */
class PrometheusExporterTest {

    /** What is compared besides status and the (decompressed) body. */
    private static final List<String> COMPARED = List.of("content-type", "content-length", "transfer-encoding",
            "content-encoding", "www-authenticate");

    private static final ServerFixture servers = new ServerFixture();
    private static final PrometheusRegistry registry = new PrometheusRegistry();
    /** The JDK server's timeouts, which the exporter's HTTPServer class sets where unset: restored for the tests after. */
    private static final List<String> JDK_SERVER_PROPERTIES = List.of("sun.net.httpserver.maxReqTime", "sun.net.httpserver.maxRspTime");
    private static final Map<String, String> propertiesBefore = new HashMap<>();
    private static HTTPServer exporter;
    private static HttpServer jdk;

    @BeforeAll
    static void start() throws IOException {
        for (String name : JDK_SERVER_PROPERTIES) propertiesBefore.put(name, System.getProperty(name));
        Counter requests = Counter.builder().name("test_requests_total").help("requests seen by the test")
                .labelNames("path").register(registry);
        requests.labelValues("/a").inc(3);
        requests.labelValues("/b").inc();
        registry.register(new FailingOnRequest());
        exporter = HTTPServer.builder().inetAddress(InetAddress.getLoopbackAddress()).port(0).registry(registry)
                .buildAndStart();
        // the exporter's handlers on the JDK's server, mounted as its HTTPServer mounts them
        jdk = servers.jdks();
        jdk.createContext("/", new DefaultHandler("/metrics"));
        jdk.createContext("/metrics", new MetricsHandler(registry));
        jdk.createContext("/-/healthy", new HealthyHandler());
        jdk.start();
    }

    @AfterAll
    static void stop() {
        if (exporter != null) exporter.close();
        servers.close();
        propertiesBefore.forEach((name, value) -> {
            if (value == null) System.clearProperty(name);
            else System.setProperty(name, value);
        });
    }

    @Test
    void theExporterRunsOnOurServer() {
        assertInstanceOf(WsgiHttpServer.class, ours());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /metrics HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n",
            "GET /metrics HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip, deflate, br\r\n\r\n",
            "GET /metrics HTTP/1.1\r\nHost: h\r\nAccept: application/openmetrics-text; version=1.0.0; charset=utf-8\r\n\r\n",
            "GET /metrics HTTP/1.1\r\nHost: h\r\nAccept: application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited\r\n\r\n",
            "GET /metrics?name[]=test_requests_total HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /metrics?name[]=nothing HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /metrics?debug=openmetrics HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /metrics?debug=text HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /metrics?debug=prometheus-protobuf HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /metrics?fail=yes HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /metrics?fail=yes HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n",
            "GET /metrics HTTP/1.0\r\n\r\n",
            "POST /metrics HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
            "GET /-/healthy HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /elsewhere HTTP/1.1\r\nHost: h\r\n\r\n",
    })
    void sameAnswer(String request) throws IOException {
        assertEquals(ask(jdk, request, false), ask(ours(), request, false), request.lines().findFirst().orElseThrow());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/metrics", "/-/healthy", "/"})
    void sameAnswerToHead(String path) throws IOException {
        String request = "HEAD " + path + " HTTP/1.1\r\nHost: h\r\n\r\n";
        assertEquals(ask(jdk, request, true), ask(ours(), request, true), request.lines().findFirst().orElseThrow());
    }

    /** Scrapes on one connection, as Prometheus keeps its connection to a target; it stays open. */
    @Test
    void sameAnswersToScrapesOnOneConnection() throws IOException {
        List<List<ComparedAnswer>> both = new ArrayList<>();
        for (HttpServer server : List.of(jdk, ours())) {
            List<ComparedAnswer> answers = new ArrayList<>();
            try (RawClient client = new RawClient("127.0.0.1", ServerFixture.port(server)).timeout(5000)) {
                for (String encoding : List.of("gzip", "identity", "gzip", "identity")) {
                    answers.add(answer(client.send("GET /metrics HTTP/1.1\r\nHost: h\r\nAccept-Encoding: " + encoding
                            + "\r\n\r\n").read()));
                }
                answers.add(answer(client.send("GET /-/healthy HTTP/1.1\r\nHost: h\r\n\r\n").read()));
                client.timeout(300);
                assertFalse(client.isClosedByServer(), server.getClass().getName() + " closed the connection");
            }
            both.add(answers);
        }
        assertEquals(both.get(0), both.get(1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/metrics", "/metrics?name[]=test_requests_total", "/-/healthy", "/"})
    void sameAnswerToHttpClient(String path) throws Exception {
        for (String encoding : List.of("gzip", "identity")) {
            List<ComparedAnswer> answers = new ArrayList<>();
            try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10)).build()) {
                for (HttpServer server : List.of(jdk, ours())) {
                    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ServerFixture.port(server) + path))
                            .header("Accept-Encoding", encoding).timeout(Duration.ofSeconds(10)).build();
                    HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
                    Map<String, String> headers = new LinkedHashMap<>();
                    for (String name : COMPARED) r.headers().firstValue(name).ifPresent(v -> headers.put(name, v));
                    answers.add(new ComparedAnswer(r.statusCode(), headers, decoded(r.body(), headers.get("content-encoding"))));
                }
            }
            assertEquals(answers.get(0), answers.get(1), path + " with Accept-Encoding: " + encoding);
            assertEquals(200, answers.get(1).status(), path);
        }
    }

    /** The exporter with an authenticator: scrapes without the password get its challenge, with it the metrics. */
    @Test
    void sameAnswersBehindTheExportersAuthenticator() throws IOException {
        BasicAuthenticator authenticator = new BasicAuthenticator("metrics") {
            @Override
            public boolean checkCredentials(String user, String password) {
                return user.equals("prometheus") && password.equals("scrape");
            }
        };
        HttpServer jdkWithAuth = servers.jdks();
        jdkWithAuth.createContext("/metrics", new MetricsHandler(registry)).setAuthenticator(authenticator);
        jdkWithAuth.start();
        try (HTTPServer oursWithAuth = HTTPServer.builder().inetAddress(InetAddress.getLoopbackAddress()).port(0)
                .registry(registry).authenticator(authenticator).buildAndStart()) {
            String basic = Base64.getEncoder().encodeToString("prometheus:scrape".getBytes(StandardCharsets.UTF_8));
            String wrong = Base64.getEncoder().encodeToString("prometheus:guess".getBytes(StandardCharsets.UTF_8));
            List<Integer> statuses = new ArrayList<>();
            for (String request : List.of("GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n",
                    "GET /metrics HTTP/1.1\r\nHost: h\r\nAuthorization: Basic " + wrong + "\r\n\r\n",
                    "GET /metrics HTTP/1.1\r\nHost: h\r\nAuthorization: Basic " + basic + "\r\n\r\n")) {
                ComparedAnswer fromJdk = ask(jdkWithAuth, request, false);
                ComparedAnswer fromOurs = askPort(oursWithAuth.getPort(), request);
                assertEquals(fromJdk, fromOurs, request);
                statuses.add(fromOurs.status());
            }
            assertEquals(List.of(401, 401, 200), statuses);
        }
    }

    /** A counter that fails the scrape whose request has a {@code fail} parameter. */
    private static final class FailingOnRequest implements Collector {
        private final Counter counter = Counter.builder().name("test_failures_total").help("scrapes failed on purpose").build();

        @Override
        public MetricSnapshot collect() {
            return counter.collect();
        }

        @Override
        public MetricSnapshot collect(PrometheusScrapeRequest request) {
            if (request != null && request.getParameterValues("fail") != null) {
                throw new IllegalStateException("the collector failed, as the test asked");
            }
            return collect();
        }

        @Override
        public String getPrometheusName() {
            return "test_failures";
        }
    }

    /** The exporter's server (a protected field: the exporter does not hand it out). */
    private static HttpServer ours() {
        try {
            Field server = HTTPServer.class.getDeclaredField("server");
            server.setAccessible(true);
            return (HttpServer) server.get(exporter);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ComparedAnswer ask(HttpServer server, String request, boolean head) throws IOException {
        try (RawClient client = new RawClient("127.0.0.1", ServerFixture.port(server)).timeout(5000)) {
            return answer(client.send(request).read(head));
        }
    }

    private static ComparedAnswer askPort(int port, String request) throws IOException {
        try (RawClient client = new RawClient("127.0.0.1", port).timeout(5000)) {
            return answer(client.send(request).read());
        }
    }

    /** The answer with its body decompressed, and then without Content-Length (gzip's output may differ by a byte or two). */
    private static ComparedAnswer answer(RawClient.Response r) throws IOException {
        ComparedAnswer answer = ComparedAnswer.of(r, COMPARED);
        String encoding = r.header("content-encoding");
        if (encoding == null) return answer;
        Map<String, String> headers = new LinkedHashMap<>(answer.headers());
        headers.remove("content-length");
        return new ComparedAnswer(answer.status(), headers, decoded(r.body(), encoding));
    }

    private static String decoded(byte[] body, String contentEncoding) throws IOException {
        if (!"gzip".equals(contentEncoding)) return new String(body, StandardCharsets.ISO_8859_1);
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
