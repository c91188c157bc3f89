package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.post;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.request;

/**
 * The monitoring endpoints are read-only: GET and HEAD are answered, any other method is a
 * {@code 405} with {@code Allow: GET, HEAD} (a POST to {@code /health/readyz} must not pass for a
 * readiness check, nor a DELETE to {@code /metrics} for a reset), and the connection stays usable.
 */
class MonitoringMethodsTest {

    private static final String[] PATHS = {
        "/metrics", "/metrics/json", "/server-status", "/server-status/json", "/health", "/health/livez", "/health/readyz"};

    private static TestServer server() throws Exception {
        return TestServer.start(WsgiTestApps.text("200 OK", "app"), b -> b
                .mount("/metrics", MetricsApp::new)
                .mount("/server-status", StatusPage::new)
                .mount("/health", HealthApp::new));
    }

    @Test
    void getAndHeadAreAnswered() throws Exception {
        try (TestServer server = server(); RawClient client = server.connect()) {
            for (String path : PATHS) {
                client.send(get(path));
                RawClient.Response got = client.read();
                assertEquals(200, got.status(), path);
                client.send(request("HEAD", path));
                RawClient.Response head = client.read(true);
                assertEquals(200, head.status(), "HEAD " + path);
                assertEquals(0, head.body().length, "HEAD " + path);
                assertEquals(got.header("Content-Type"), head.header("Content-Type"), "HEAD " + path);
            }
        }
    }

    @Test
    void otherMethodsAre405WithAllow() throws Exception {
        try (TestServer server = server(); RawClient client = server.connect()) {
            for (String path : PATHS) {
                client.send(post(path, "x=1"));
                RawClient.Response posted = client.read();
                assertEquals(405, posted.status(), "POST " + path);
                assertEquals("GET, HEAD", posted.header("Allow"), "POST " + path);
                assertTrue(posted.bodyText().contains("Method Not Allowed"), posted.bodyText());
                for (String method : new String[] {"PUT", "DELETE", "OPTIONS"}) {
                    client.send(request(method, path));
                    assertEquals(405, client.read().status(), method + " " + path);
                }
            }
            client.send(post("/", "x=1"));
            assertEquals("app", client.read().bodyText(), "the application still takes every method");
        }
    }
}
