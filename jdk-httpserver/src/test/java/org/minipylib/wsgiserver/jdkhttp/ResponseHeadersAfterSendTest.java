package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minipylib.wsgiserver.http.HttpDate;
import org.minipylib.wsgiserver.testing.RawClient;

import java.io.IOException;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Once the response headers were sent, the exchange's response headers show the {@code Date} and
 * the framing header the response went out with, as on the JDK's server: a filter after the handler
 * (an access log, {@code SimpleFileServer}'s verbose output) reads them there (ours does so in
 * contexts with filters only). Both servers run the
 * same handlers; what such a filter sees must be the same, but for {@code Connection}, which the
 * JDK's server also puts there (for HTTP/1.0) and ours does not.
 */
class ResponseHeadersAfterSendTest {

    private static final String OWN_DATE = "Tue, 02 Jan 2024 03:04:05 GMT";
    private static final ServerFixture servers = new ServerFixture();
    /** The response headers each server's after-handler filter saw, Date's value checked and replaced. */
    private static final Map<HttpServer, BlockingQueue<String>> seen = new IdentityHashMap<>();
    private static HttpServer jdk;
    private static HttpServer ours;

    @BeforeAll
    static void start() throws IOException {
        jdk = servers.jdks();
        ours = servers.ours();
        for (HttpServer s : List.of(jdk, ours)) {
            BlockingQueue<String> queue = new LinkedBlockingQueue<>();
            seen.put(s, queue);
            s.createContext("/", t -> {
                String[] what = t.getRequestURI().getPath().substring(1).split("/"); // /STATUS/LENGTH
                int status = Integer.parseInt(what[0]);
                long length = Long.parseLong(what[1]);
                t.getResponseHeaders().set("Content-Type", "text/plain");
                String query = String.valueOf(t.getRequestURI().getQuery());
                if (query.contains("own-length")) t.getResponseHeaders().set("Content-Length", "7");
                if (query.contains("own-date")) t.getResponseHeaders().set("Date", OWN_DATE);
                t.sendResponseHeaders(status, length);
                if (length > 0 && status >= 200 && status != 204 && status != 304 && !t.getRequestMethod().equals("HEAD")) {
                    t.getResponseBody().write(new byte[(int) length]);
                } else if (length == 0 && status == 200 && !t.getRequestMethod().equals("HEAD")) {
                    t.getResponseBody().write("chunk".getBytes());
                }
                t.close();
            }).getFilters().add(Filter.afterHandler("notes the response headers", t -> {
                Map<String, List<String>> headers = new TreeMap<>(t.getResponseHeaders());
                headers.remove("Connection"); // the JDK's server puts its own there for HTTP/1.0; ours keeps it to itself
                headers.remove("Keep-alive");
                List<String> date = headers.get("Date");
                if (date != null && date.size() == 1 && HttpDate.parse(date.get(0)) != null && !date.get(0).equals(OWN_DATE)) {
                    headers.put("Date", List.of("an HTTP-date"));
                }
                queue.add(headers.toString());
            }));
            s.start();
        }
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "GET /200/5 HTTP/1.1",
            "GET /200/0 HTTP/1.1",
            "GET /200/-1 HTTP/1.1",
            "GET /200/0 HTTP/1.0",
            "GET /200/5 HTTP/1.0",
            "GET /200/5?own-length HTTP/1.1",
            "GET /201/-1?own-length HTTP/1.1",
            "GET /204/-1 HTTP/1.1",
            "GET /304/-1?own-length HTTP/1.1",
            "GET /304/-1 HTTP/1.1",
            "HEAD /200/-1?own-length HTTP/1.1",
            "HEAD /200/-1 HTTP/1.1",
            "GET /404/3 HTTP/1.1",
    })
    void aFilterAfterTheHandlerSeesTheSameResponseHeaders(String requestLine) throws Exception {
        assertEquals(seenBy(jdk, requestLine), seenBy(ours, requestLine), requestLine);
    }

    /** A Date the handler set: ours sends it and keeps it; the JDK's server replaces it with its own. */
    @Test
    void aDateTheHandlerSetIsKeptOnOursAndReplacedOnTheJdks() throws Exception {
        String request = "GET /200/5?own-date HTTP/1.1";
        assertEquals("{Content-length=[5], Content-type=[text/plain], Date=[an HTTP-date]}", seenBy(jdk, request));
        assertEquals("{Content-length=[5], Content-type=[text/plain], Date=[" + OWN_DATE + "]}", seenBy(ours, request));
        try (RawClient client = new RawClient("127.0.0.1", ServerFixture.port(ours)).timeout(5000)) {
            assertEquals(OWN_DATE, client.send(request + "\r\nHost: h\r\n\r\n").read().header("Date"));
        }
        assertNotNull(seen.get(ours).poll(5, TimeUnit.SECONDS));
    }

    /**
     * Ours shows them only where a filter may read them: in a context without filters the response
     * headers stay as the handler set them (the JDK's server fills them in anyway), which saves a
     * sixth of pipelined throughput.
     */
    @Test
    void withoutFiltersOursLeavesTheResponseHeadersAsTheHandlerSetThem() throws Exception {
        HttpServer server = servers.ours();
        BlockingQueue<String> afterSend = new LinkedBlockingQueue<>();
        server.createContext("/", t -> {
            t.getResponseHeaders().set("Content-Type", "text/plain");
            t.sendResponseHeaders(200, 2);
            afterSend.add(new TreeMap<>(t.getResponseHeaders()).toString());
            t.getResponseBody().write("ok".getBytes());
            t.close();
        });
        server.start();
        try (RawClient client = new RawClient("127.0.0.1", ServerFixture.port(server)).timeout(5000)) {
            RawClient.Response r = client.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read();
            assertNotNull(r.header("Date"), "the server sends its Date all the same");
            assertEquals("2", r.header("Content-Length"));
        }
        assertEquals("{Content-type=[text/plain]}", afterSend.poll(5, TimeUnit.SECONDS));
    }

    private static String seenBy(HttpServer server, String requestLine) throws Exception {
        try (RawClient client = new RawClient("127.0.0.1", ServerFixture.port(server)).timeout(5000)) {
            client.send(requestLine + "\r\nHost: h\r\n\r\n").read(requestLine.startsWith("HEAD"));
        }
        String headers = seen.get(server).poll(5, TimeUnit.SECONDS); // the filter may run after the client has its answer
        assertNotNull(headers, "the filter saw no exchange");
        return headers;
    }
}
