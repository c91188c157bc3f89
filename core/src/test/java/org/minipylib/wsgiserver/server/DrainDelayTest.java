package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.ServerState;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.apps.HealthApp;
import org.minipylib.wsgiserver.apps.MetricsApp;
import org.minipylib.wsgiserver.testing.PrometheusExposition;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * The drain delay: stop() first reports not ready (readyz 503) while it still accepts and serves
 * new connections as usual, for the delay; then it stops as without one and the listener closes.
 */
class DrainDelayTest {

    private static final Duration DELAY = Duration.ofSeconds(3);

    @Test
    void notReadyButStillServingDuringTheDelayThenTheListenerCloses() throws Exception {
        WsgiServer server = WsgiServer.builder(WsgiTestApps.text("200 OK", "app")).bind("127.0.0.1", 0)
                .drainDelay(DELAY).mount("/health", HealthApp::new).mount("/metrics", MetricsApp::new).build().start();
        int port = server.port();
        try {
            try (RawClient before = new RawClient("127.0.0.1", port)) {
                before.send(get("/health/readyz"));
                assertEquals(200, before.read().status());
                before.send(get("/metrics"));
                var metrics = PrometheusExposition.parse(before.read().bodyText());
                assertEquals(1, PrometheusExposition.value(metrics, "wsgiserver_ready"));
                assertEquals(1, PrometheusExposition.value(metrics, "wsgiserver_up"));
            }
            long start = System.nanoTime();
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::stop);
            Poll.until(server::state, s -> s == ServerState.DRAINING, "draining");

            try (RawClient during = new RawClient("127.0.0.1", port)) { // a new connection, accepted
                during.send(get("/health/readyz"));
                RawClient.Response notReady = during.read();
                assertEquals(503, notReady.status());
                assertTrue(notReady.bodyText().contains("\"state\":\"DRAINING\""), notReady.bodyText());
                assertNull(notReady.header("Connection"), "still keep-alive: served as usual");
                during.send(get("/"));
                RawClient.Response served = during.read();
                assertEquals(200, served.status());
                assertEquals("app", served.bodyText());
                during.send(get("/health/livez"));
                assertEquals(200, during.read().status(), "still live");
                during.send(get("/metrics"));
                var metrics = PrometheusExposition.parse(during.read().bodyText());
                assertEquals(0, PrometheusExposition.value(metrics, "wsgiserver_ready"), "not ready");
                assertEquals(1, PrometheusExposition.value(metrics, "wsgiserver_up"), "up while it still serves");
            }
            assertTrue(server.isRunning(), "still accepting within the delay");
            assertFalse(stopping.isDone(), "stop() waits out the delay");

            stopping.get(WsgiTestApps.WAIT_SECONDS + DELAY.toSeconds(), TimeUnit.SECONDS);
            assertTrue(System.nanoTime() - start >= DELAY.toNanos(), "stop() took at least the delay");
            assertEquals(ServerState.STOPPED, server.state());
            assertThrows(IOException.class, () -> new Socket("127.0.0.1", port).close(), "the listener is closed");
        } finally {
            server.stop();
        }
    }

    @Test
    void noDelayByDefault() throws Exception {
        WsgiServer server = WsgiServer.builder(WsgiTestApps.text("200 OK", "app")).bind("127.0.0.1", 0).build().start();
        try (LogCapture log = LogCapture.from(Level.INFO)) {
            try {
                assertEquals(Duration.ZERO, server.config().drainDelay());
            } finally {
                server.stop();
            }
            assertEquals(1, log.startingWith("Stopped").size(), "stop()'s own log is seen: " + log.messages());
            assertEquals(List.of(), log.startingWith("Draining"), "stop() does not wait without a delay");
        }
    }
}
