package org.minipylib.wsgiserver.apps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.minipylib.wsgiserver.ServerState;
import org.minipylib.wsgiserver.ServerStatus;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/** HealthApp: live and ready while running; still live but not ready (503) while the server drains. */
class HealthAppTest {

    private static JsonNode json(RawClient.Response r) throws Exception {
        return new ObjectMapper().readTree(r.body());
    }

    @Test
    void liveAndReadyWhileRunning() throws Exception {
        try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "app"), b -> b.mount("/health", HealthApp::new));
             RawClient client = server.connect()) {
            for (String path : new String[] {"/health/livez", "/health/readyz", "/health"}) {
                client.send(get(path));
                RawClient.Response r = client.read();
                assertEquals(200, r.status(), path);
                assertEquals("application/json", r.header("Content-Type"));
                assertEquals("no-store", r.header("Cache-Control"));
                assertEquals("RUNNING", json(r).get("state").asText());
            }
            client.send(get("/health/readyz"));
            assertEquals("ready", json(client.read()).get("status").asText());
            client.send(get("/health/other"));
            assertEquals(404, client.read().status());
            client.send(get("/"));
            assertEquals("app", client.read().bodyText(), "the application still serves everything else");
        }
    }

    @Test
    void notReadyButLiveWhileDraining() throws Exception {
        CountDownLatch entered = new CountDownLatch(2);
        // Health checks that arrive while stop() drains: the requests are held until the server drains.
        java.util.function.Function<ServerStatus, WsgiApp> heldUntilDraining = status -> {
            HealthApp health = new HealthApp(status);
            return (env, sr) -> {
                entered.countDown();
                Poll.until(status::state, s -> s == ServerState.DRAINING, "draining");
                return health.call(env, sr);
            };
        };
        WsgiServer server = WsgiServer.builder(WsgiTestApps.text("200 OK", "app")).bind("127.0.0.1", 0)
                .mount("/held", heldUntilDraining).build().start();
        try (RawClient ready = new RawClient("127.0.0.1", server.port());
             RawClient live = new RawClient("127.0.0.1", server.port())) {
            ready.send(get("/held/readyz"));
            live.send(get("/held/livez"));
            assertTrue(entered.await(WsgiTestApps.WAIT_SECONDS, TimeUnit.SECONDS));
            assertEquals(ServerState.RUNNING, server.state());
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::stop);

            RawClient.Response notReady = ready.read();
            assertEquals(503, notReady.status());
            assertEquals("draining", json(notReady).get("status").asText());
            assertEquals("DRAINING", json(notReady).get("state").asText());
            assertEquals("close", notReady.header("Connection"));
            RawClient.Response stillLive = live.read();
            assertEquals(200, stillLive.status());
            assertEquals("live", json(stillLive).get("status").asText());

            stopping.get(WsgiTestApps.WAIT_SECONDS, TimeUnit.SECONDS);
            assertEquals(ServerState.STOPPED, server.state());
        } finally {
            server.stop();
        }
    }
}
