package org.minipylib.wsgiserver.apps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/** StatusPage serves one self-contained HTML page wherever it is mounted, with a first snapshot and its JSON URL. */
class StatusPageTest {

    @Test
    void selfContainedPageWithItsJsonUrlAndAFirstSnapshot() throws Exception {
        try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "app"), b -> b.mount("/ops/status", StatusPage::new));
             RawClient client = server.connect()) {
            client.send(get("/ops/status"));
            RawClient.Response r = client.read();
            assertEquals(200, r.status());
            assertEquals("text/html; charset=utf-8", r.header("Content-Type"));
            assertTrue(r.header("Content-Security-Policy").startsWith("default-src 'none'"), "nothing loads from elsewhere");
            String html = new String(r.body(), StandardCharsets.UTF_8);
            assertTrue(html.contains("var STATS_URL = \"/ops/status/json\";"), "polls the JSON under its own mount point");
            assertFalse(html.contains("__"), "every placeholder filled in");
            assertFalse(Pattern.compile("(src|href)=\"(https?:)?//").matcher(html).find(), "no external resources");

            Matcher initial = Pattern.compile("var initial = (\\{.*?\\});\n").matcher(html);
            assertTrue(initial.find(), "the page carries a first snapshot");
            JsonNode snapshot = new ObjectMapper().readTree(initial.group(1));
            assertEquals("RUNNING", snapshot.get("state").asText());

            client.send(get("/ops/status/json"));
            RawClient.Response json = client.read();
            assertEquals("application/json", json.header("Content-Type"));
            assertTrue(new ObjectMapper().readTree(json.body()).get("requests").asLong() >= 1, "the page request was counted");

            client.send(get("/ops/status/other"));
            assertEquals(404, client.read().status());
        }
    }
}
