package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.HeadlessChromium;
import org.minipylib.wsgiserver.testing.OptionalTool;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * The status page renders in a real browser (Debian's headless Chromium): its script polls the JSON
 * and fills in the numbers, tables and charts; a screenshot is left in core/target/status-page.png.
 */
class StatusPageInBrowserTest {

    /** Some traffic with a spread of latencies and statuses, so the page has something to show. */
    private static final WsgiApp APP = (env, sr) -> {
        String path = env.pathInfo();
        if (path.startsWith("/slow")) Thread.sleep(3);
        String status = path.startsWith("/missing") ? "404 Not Found" : "200 OK";
        sr.start(status, List.of(Header.of("Content-Type", "text/plain")));
        return List.of(path.getBytes(StandardCharsets.US_ASCII));
    };

    @Test
    void pageRendersLiveNumbersInHeadlessChromium() throws Exception {
        HeadlessChromium chromium = HeadlessChromium.find().orElse(null);
        OptionalTool.assumeInstalled(chromium != null, "Chromium is not installed (Debian: apt-get install -y chromium)");
        AtomicBoolean loading = new AtomicBoolean(true);
        try (TestServer server = TestServer.start(APP, b -> b.mount("/server-status", StatusPage::new))) {
            try (RawClient client = server.connect()) {
                for (int i = 0; i < 20; i++) {
                    client.send(get(i % 5 == 0 ? "/missing" : i % 2 == 0 ? "/slow" : "/fast"));
                    client.read();
                }
            }
            Thread load = Thread.ofPlatform().daemon(true).start(() -> keepLoading(server, loading));
            try {
                String dom = chromium.dumpDom(server.uri("/server-status"), 4000);
                assertTrue(dom.contains("data-rendered=\"true\""), "the script fetched the JSON and rendered it:\n" + dom);
                assertTrue(dom.contains("<span id=\"state\" class=\"badge RUNNING\">RUNNING</span>"), dom);
                Matcher requests = Pattern.compile("id=\"total-requests\">([0-9,]+)<").matcher(dom);
                assertTrue(requests.find(), "total requests shown");
                assertTrue(Long.parseLong(requests.group(1).replace(",", "")) >= 20, requests.group(1));
                assertTrue(dom.contains(">404 Not Found<"), "the status table lists the 404s");
                assertTrue(dom.contains("id=\"total-busy-refusals\">0<"), "no request refused busy");
                assertTrue(dom.contains("id=\"total-retired-connections\">0<"), "no connection retired");
                assertTrue(dom.contains("id=\"total-refused-connections\">0<"), "no connection refused at the limit");
                assertTrue(dom.contains("id=\"total-tls-handshake-failures\">0<"), "no TLS handshake failed");
                assertTrue(dom.contains("id=\"total-proxy-protocol-failures\">0<"), "no PROXY header failed");
                assertTrue(Pattern.compile("<polyline [^>]*points=\"[0-9.]+,[0-9.]+ ").matcher(dom).find(),
                        "the requests/s chart has a line with at least two points");

                Path png = Path.of("target", "status-page.png");
                Files.deleteIfExists(png);
                chromium.screenshot(server.uri("/server-status"), 6000, png, 1200, 900);
                byte[] magic = new byte[8];
                System.arraycopy(Files.readAllBytes(png), 0, magic, 0, 8);
                assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, magic);
                assertTrue(Files.size(png) > 10_000, "a real picture, not a blank page: " + Files.size(png) + " bytes");
            } finally {
                loading.set(false);
                load.join(10_000);
            }
            assertEquals(false, load.isAlive());
        }
    }

    private static void keepLoading(TestServer server, AtomicBoolean loading) {
        try (RawClient client = server.connect()) {
            for (int i = 0; loading.get() && i < 1_000_000; i++) {
                client.send(get(i % 7 == 0 ? "/missing" : i % 3 == 0 ? "/slow" : "/fast"));
                client.read();
                Thread.sleep(2);
            }
        } catch (Exception e) {
            // the server stopped first: the test is over
        }
    }
}
