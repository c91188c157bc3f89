package org.minipylib.wsgiserver.apps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.minipylib.wsgiserver.ServerStats;
import org.minipylib.wsgiserver.testing.OptionalTool;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.PrometheusExposition;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MetricsApp serves valid Prometheus text (checked line by line against the format, and by promtool) and JSON. */
class MetricsAppTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private static HttpResponse<String> get(TestServer server, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(server.uri(path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Three 200s and a 404 went through the server before the scrape (stopped again if that fails). */
    private static TestServer serverWithTraffic() throws Exception {
        TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "hi"), b -> b.mount("/metrics", MetricsApp::new));
        try {
            for (int i = 0; i < 3; i++) assertEquals(200, get(server, "/page" + i).statusCode());
            assertEquals(404, get(server, "/metrics/nothing-here").statusCode());
            Poll.until(server.server()::statistics, s -> s.requests() == 4, "four requests counted");
            return server;
        } catch (Exception | Error e) {
            server.close();
            throw e;
        }
    }

    @Test
    void prometheusTextFollowsTheExpositionFormatAndCountsWhatHappened() throws Exception {
        try (TestServer server = serverWithTraffic()) {
            HttpResponse<String> r = get(server, "/metrics");
            assertEquals(200, r.statusCode());
            assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("Content-Type").orElseThrow());
            assertEquals("no-store", r.headers().firstValue("Cache-Control").orElseThrow());

            Map<String, PrometheusExposition.Family> families = PrometheusExposition.parse(r.body());
            for (PrometheusExposition.Family f : families.values()) {
                assertTrue(f.type() != null && f.help() != null, "TYPE and HELP for " + f.name());
                if (f.type().equals("counter")) assertTrue(f.name().endsWith("_total"), f.name());
            }
            assertEquals("histogram", families.get("wsgiserver_request_duration_seconds").type());
            assertEquals(1, PrometheusExposition.value(families, "wsgiserver_up"));
            assertEquals(4, PrometheusExposition.value(families, "wsgiserver_requests_total"));
            assertEquals(3, PrometheusExposition.value(families, "wsgiserver_responses_total", "code", "200"));
            assertEquals(1, PrometheusExposition.value(families, "wsgiserver_responses_total", "code", "404"));
            assertEquals(4, PrometheusExposition.value(families, "wsgiserver_request_duration_seconds_count"));
            assertEquals(4, PrometheusExposition.value(families, "wsgiserver_request_duration_seconds_bucket", "le", "+Inf"));
            assertTrue(PrometheusExposition.value(families, "wsgiserver_connections_accepted_total") >= 1);
            assertTrue(PrometheusExposition.value(families, "wsgiserver_bytes_read_total") > 0);
            assertTrue(PrometheusExposition.value(families, "wsgiserver_bytes_written_total") > 0);
            assertTrue(PrometheusExposition.value(families, "wsgiserver_busy_workers") >= 1, "the scrape itself is being served");
            assertTrue(PrometheusExposition.value(families, "wsgiserver_request_duration_seconds_bucket", "le", "0.0001") >= 0);
        }
    }

    @Test
    void promtoolAcceptsTheExposition() throws Exception {
        File promtool = new File("/usr/bin/promtool");
        OptionalTool.assumeInstalled(promtool.canExecute(), "promtool is not installed at /usr/bin/promtool (Debian: apt-get install prometheus)");
        try (TestServer server = serverWithTraffic()) {
            String text = get(server, "/metrics").body();
            Process p = new ProcessBuilder(promtool.getPath(), "check", "metrics").redirectErrorStream(true).start();
            p.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            p.getInputStream().transferTo(out);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "promtool finished");
            assertEquals(0, p.exitValue(), "promtool check metrics: " + out.toString(StandardCharsets.UTF_8));
            assertEquals("", out.toString(StandardCharsets.UTF_8).trim(), "promtool found no lint problems");
        }
    }

    @Test
    void theFormatParameterServesOnlyTheMetricsPath() throws Exception {
        try (TestServer server = serverWithTraffic()) {
            assertEquals(404, get(server, "/metrics/anything?format=json").statusCode());
            assertEquals(404, get(server, "/metrics/anything").statusCode());
        }
    }

    @Test
    void jsonCarriesTheSameStatistics() throws Exception {
        try (TestServer server = serverWithTraffic()) {
            long okBefore = 3; // the first JSON request is counted by the time of the second
            for (String path : new String[] {"/metrics/json", "/metrics?format=json", "/metrics?x=1&format=json"}) {
                HttpResponse<String> r = get(server, path);
                assertEquals(200, r.statusCode());
                assertEquals("application/json", r.headers().firstValue("Content-Type").orElseThrow());
                JsonNode json = new ObjectMapper().readTree(r.body());
                assertEquals("RUNNING", json.get("state").asText());
                assertEquals("127.0.0.1:" + server.port(), json.get("server").get("addresses").get(0).asText());
                assertTrue(json.get("requests").asLong() >= 4);
                assertEquals(okBefore++, json.get("responsesByStatus").get("200").asLong());
                JsonNode latency = json.get("latency");
                assertEquals(latency.get("upperBoundsSeconds").size() + 1, latency.get("counts").size());
                long sum = 0;
                for (JsonNode c : latency.get("counts")) sum += c.asLong();
                assertEquals(latency.get("count").asLong(), sum);
                assertTrue(json.get("uptimeSeconds").asDouble() > 0);
            }
        }
    }

    @Test
    void headGetsTheHeadersWithoutABody() throws Exception {
        try (TestServer server = serverWithTraffic()) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(server.uri("/metrics"))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertEquals("", r.body());
            ServerStats stats = server.server().statistics();
            assertTrue(stats.requests() >= 4);
        }
    }
}
