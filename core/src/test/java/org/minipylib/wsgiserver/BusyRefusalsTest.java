package org.minipylib.wsgiserver;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minipylib.wsgiserver.apps.MetricsApp;
import org.minipylib.wsgiserver.server.StatisticsMXBean;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.PrometheusExposition;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.management.JMX;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * The busy {@code 503} (every worker busy, the accept queue full) counts in {@code busyRefusals},
 * in both worker modes, exactly once per refused request, read from {@link WsgiServer#statistics()},
 * the Prometheus text, the JSON and JMX; an application's own {@code 503} does not count there.
 */
class BusyRefusalsTest {

    private static final int REFUSED = 3;

    /** {@code /block} holds the worker until {@code release}; {@code /unavailable} is the application's own 503. */
    private static WsgiApp app(AtomicInteger entered, CountDownLatch release) {
        return (env, sr) -> {
            switch (env.pathInfo()) {
                case "/block" -> {
                    entered.incrementAndGet();
                    release.await(20, TimeUnit.SECONDS);
                    sr.start("200 OK", WsgiTestApps.textPlain());
                }
                case "/unavailable" -> sr.start("503 Service Unavailable", WsgiTestApps.textPlain());
                default -> sr.start("200 OK", WsgiTestApps.textPlain());
            }
            return List.of(env.pathInfo().getBytes(StandardCharsets.US_ASCII));
        };
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void eachBusy503IsCountedAndNoOther503(WorkerMode mode) throws Exception {
        AtomicInteger entered = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        try (TestServer server = TestServer.start(app(entered, release), b -> b.workerMode(mode).minThreads(1)
                     .maxThreads(1).acceptQueueSize(0).jmx(true).mount("/metrics", MetricsApp::new));
             RawClient busy = server.connect()) {
            busy.send(get("/block"));
            Poll.until(entered::get, n -> n == 1, "the one worker is taken");
            int busy503s = 0;
            for (int i = 0; i < REFUSED; i++) {
                try (RawClient refused = server.connect()) {
                    if (refused.send(get("/app")).read().status() == 503) busy503s++;
                }
            }
            assertEquals(REFUSED, busy503s, "every request beyond the one worker is refused");
            try (RawClient scrape = server.connect()) {
                String text = scrape.send(get("/metrics")).read().bodyText();
                assertEquals(REFUSED, PrometheusExposition.value(PrometheusExposition.parse(text),
                        "wsgiserver_requests_refused_busy_total"), "a scrape gets in while the server is busy");
            }

            release.countDown();
            assertEquals("/block", busy.read().bodyText());
            // In pool mode the worker's place is freed just after its response went out: a request
            // sent at once may still find it taken, and get the busy 503, which is counted then.
            int own503s = 0;
            for (int attempt = 0; own503s == 0 && attempt < 10; attempt++) {
                try (RawClient client = server.connect()) {
                    RawClient.Response r = client.send(get("/unavailable")).read();
                    assertEquals(503, r.status());
                    if (r.bodyText().equals("/unavailable")) own503s++;
                    else busy503s++;
                }
            }
            assertEquals(1, own503s, "the application's own 503");

            long expected = busy503s;
            ServerStats stats = Poll.until(server.server()::statistics,
                    s -> s.responsesByStatus().getOrDefault(503, 0L) == expected + 1, "every 503 counted as a response");
            assertEquals(expected, stats.busyRefusals(), "the busy 503s, not the application's");

            String text = busy.send(get("/metrics")).read().bodyText();
            Map<String, PrometheusExposition.Family> families = PrometheusExposition.parse(text);
            assertEquals(expected, PrometheusExposition.value(families, "wsgiserver_requests_refused_busy_total"));
            assertEquals("counter", families.get("wsgiserver_requests_refused_busy_total").type());
            assertEquals(expected + 1, PrometheusExposition.value(families, "wsgiserver_responses_total", "code", "503"));

            String json = busy.send(get("/metrics/json")).read().bodyText();
            assertEquals(expected, new ObjectMapper().readTree(json).get("busyRefusals").asLong(), json);

            WsgiServerMXBean bean = JMX.newMXBeanProxy(ManagementFactory.getPlatformMBeanServer(),
                    StatisticsMXBean.nameFor(server.server().addresses().get(0)), WsgiServerMXBean.class);
            assertEquals(expected, bean.getBusyRefusals());
        } finally {
            release.countDown();
        }
    }
}
