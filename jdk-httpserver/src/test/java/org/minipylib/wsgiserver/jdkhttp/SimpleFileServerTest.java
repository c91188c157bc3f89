package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.SimpleFileServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * The JDK's own file server ({@code SimpleFileServer}, what {@code jwebserver} runs), a real
 * application of the API: {@code createFileServer} finds our provider and runs on our server; its
 * answers, over raw sockets and {@code HttpClient}, are those of the same file handler on the JDK's
 * server: directory listings, files, HEAD, 404, encoded names, {@code ..} attempts, other methods,
 * keep-alive.
 */
class SimpleFileServerTest {

    /** What is compared besides status and body; Date, Server and Connection are each server's own business. */
    private static final List<String> COMPARED = List.of("content-type", "content-length", "transfer-encoding",
            "last-modified", "location", "allow");

    @TempDir
    static Path tmp;
    private static final ServerFixture servers = new ServerFixture();
    private static HttpServer jdk;
    private static HttpServer ours;

    @BeforeAll
    static void start() throws IOException {
        Path root = Files.createDirectory(tmp.resolve("root"));
        Files.writeString(tmp.resolve("secret.txt"), "outside the root\n");
        Files.writeString(root.resolve("hello.txt"), "hello file\n");
        Files.writeString(root.resolve("page.html"), "<p>a page</p>\n");
        Files.write(root.resolve("data.bin"), new byte[]{0, 1, 2, (byte) 255});
        Files.writeString(root.resolve("with space.txt"), "spaced\n");
        Files.writeString(root.resolve("\u00fc.txt"), "umlaut\n");
        Files.writeString(root.resolve(".hidden"), "hidden\n");
        Path sub = Files.createDirectory(root.resolve("sub"));
        Files.writeString(sub.resolve("inner.txt"), "inner\n");
        Path indexed = Files.createDirectory(root.resolve("indexed"));
        Files.writeString(indexed.resolve("index.html"), "<p>index</p>\n");
        Files.setLastModifiedTime(root.resolve("hello.txt"), FileTime.from(Instant.parse("2024-01-02T03:04:05Z")));

        jdk = servers.jdks();
        jdk.createContext("/", SimpleFileServer.createFileHandler(root));
        jdk.start();
        ours = servers.track(SimpleFileServer.createFileServer(ServerFixture.LOOPBACK_ANY_PORT, root,
                SimpleFileServer.OutputLevel.NONE));
        ours.start();
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    @Test
    void createFileServerRunsOnOurServer() {
        assertInstanceOf(WsgiHttpServer.class, ours);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "GET / HTTP/1.1",
            "GET /hello.txt HTTP/1.1",
            "GET /page.html HTTP/1.1",
            "GET /data.bin HTTP/1.1",
            "GET /sub/ HTTP/1.1",
            "GET /sub HTTP/1.1",
            "GET /sub?x=1 HTTP/1.1",
            "GET /sub/inner.txt HTTP/1.1",
            "GET /indexed/ HTTP/1.1",
            "GET /hello.txt?v=2 HTTP/1.1",
            "GET /missing.txt HTTP/1.1",
            "GET /with%20space.txt HTTP/1.1",
            "GET /%C3%BC.txt HTTP/1.1",
            "GET /%68ello.txt HTTP/1.1",
            "GET /sub%2finner.txt HTTP/1.1",
            "GET /.hidden HTTP/1.1",
            "GET /favicon.ico HTTP/1.1",
            "GET /..%2fsecret.txt HTTP/1.1",
            "GET /sub/../hello.txt HTTP/1.1",
            "GET /hello.txt HTTP/1.0",
            "DELETE /hello.txt HTTP/1.1",
            "PUT /hello.txt HTTP/1.1",
            "OPTIONS / HTTP/1.1",
            "PATCH /hello.txt HTTP/1.1",
            "BREW /hello.txt HTTP/1.1",
    })
    void sameAnswer(String requestLine) throws IOException {
        assertSameAnswers(requestLine + "\r\nHost: localhost\r\n\r\n", false);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/hello.txt", "/sub", "/missing.txt", "/.hidden", "/favicon.ico", "/sub/../hello.txt"})
    void sameAnswerToHead(String path) throws IOException {
        assertSameAnswers("HEAD " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n", true);
    }

    /**
     * A {@code ..} that climbs above the root: the JDK's server hands it to the file handler, which
     * answers 404; ours refuses it with 400 before any handler runs (as it does for every
     * application, README: DOT_SEGMENT_ABOVE_ROOT). Neither serves the file outside the root.
     */
    @ParameterizedTest
    @ValueSource(strings = {"GET /../secret.txt", "GET /sub/../../secret.txt", "GET /%2e%2e/secret.txt",
            "GET /sub/%2E%2E/%2E%2E/secret.txt", "HEAD /../secret.txt"})
    void aDotSegmentAboveTheRootIs404OnTheJdksServerAnd400OnOurs(String request) throws IOException {
        String raw = request + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
        boolean head = request.startsWith("HEAD");
        assertEquals(404, ask(jdk, raw, head).status(), "the JDK's server");
        ComparedAnswer fromOurs = ask(ours, raw, head);
        assertEquals(400, fromOurs.status(), "ours");
        assertFalse(fromOurs.body().contains("outside the root"));
    }

    /**
     * A character a URI may not have ({@code <}): both answer 400, each with its own body (the
     * JDK's server from the URI's parse, ours from the request line's).
     */
    @Test
    void aTargetThatIsNoUriIs400OnBoth() throws IOException {
        String raw = "GET /missing/<b>.txt HTTP/1.1\r\nHost: localhost\r\n\r\n";
        assertEquals(400, ask(jdk, raw, false).status());
        assertEquals(400, ask(ours, raw, false).status());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "GET /hello.txt HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: Tue, 02 Jan 2024 03:04:05 GMT\r\n\r\n",
            "GET /hello.txt HTTP/1.1\r\nHost: h\r\nIf-None-Match: *\r\n\r\n",
            "GET /hello.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=0-3\r\n\r\n",
            "POST /hello.txt HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
            "POST /hello.txt HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "GET /hello.txt HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
    })
    void sameAnswerToWholeRequests(String request) throws IOException {
        assertSameAnswers(request, false);
    }

    /** Several requests on one connection, each answered in turn; the connection stays open after them. */
    @Test
    void sameAnswersOnOneKeptAliveConnection() throws IOException {
        List<String> requests = List.of("GET /hello.txt", "HEAD /sub/", "GET /missing.txt", "DELETE /hello.txt",
                "GET /sub", "POST /sub/", "GET /");
        Map<String, List<ComparedAnswer>> byServer = new LinkedHashMap<>();
        for (HttpServer server : List.of(jdk, ours)) {
            List<ComparedAnswer> answers = new ArrayList<>();
            try (RawClient client = new RawClient("127.0.0.1", ServerFixture.port(server)).timeout(5000)) {
                for (String request : requests) {
                    boolean head = request.startsWith("HEAD");
                    answers.add(ComparedAnswer.of(client.send(request + " HTTP/1.1\r\nHost: h\r\n\r\n").read(head), COMPARED));
                }
                client.timeout(300);
                assertFalse(client.isClosedByServer(), server.getClass().getName() + " closed the connection");
            }
            byServer.put(server.getClass().getSimpleName(), answers);
        }
        assertEquals(byServer.get(jdk.getClass().getSimpleName()), byServer.get(ours.getClass().getSimpleName()));
    }

    /**
     * jwebserver's log ({@code SimpleFileServer}'s output filter, verbose): a line per exchange with
     * its status, the file it served and the request and response headers, read by the filter after
     * the handler, so those the server sent too ({@code Date} and the framing ones).
     */
    @Test
    void sameVerboseLog() throws Exception {
        // DELETE first: its handler sets no "request-path" attribute, and the JDK's server, which keeps
        // attributes in the context, would show the one an earlier exchange set
        List<String> requests = List.of("DELETE /hello.txt", "GET /hello.txt", "HEAD /sub/", "GET /missing.txt", "GET /sub",
                "GET /", "GET /hello.txt HTTP/1.0");
        List<String> logs = new ArrayList<>();
        for (boolean jdksOwn : List.of(true, false)) {
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            HttpServer server = jdksOwn ? servers.jdks() : servers.ours();
            server.createContext("/", SimpleFileServer.createFileHandler(root()))
                    .getFilters().add(SimpleFileServer.createOutputFilter(log, SimpleFileServer.OutputLevel.VERBOSE));
            server.start();
            for (int i = 0; i < requests.size(); i++) {
                String request = requests.get(i);
                try (RawClient client = new RawClient("127.0.0.1", ServerFixture.port(server)).timeout(5000)) {
                    String line = request.contains(" HTTP/") ? request : request + " HTTP/1.1";
                    client.send(line + "\r\nHost: h\r\n\r\n").read(request.startsWith("HEAD"));
                }
                // the filter writes after the handler, maybe after the client has its answer
                int logged = i + 1;
                Poll.until(() -> exchangesLogged(log), n -> n == logged, "all the log lines of \"" + request + "\"");
            }
            logs.add(log.toString(StandardCharsets.UTF_8)
                    .replaceAll("\\[[^\\]]*\\]", "[time]")
                    .replaceAll("(?m)^< Date: .*$", "< Date: (now)")
                    .replaceAll("(?m)^< Connection: .*\\R", "")); // the JDK's server's own, for HTTP/1.0: not ours to mirror
        }
        assertEquals(logs.get(0), logs.get(1));
    }

    /** The exchanges whose lines the verbose log has whole: each ends with the response headers and a line "<". */
    private static int exchangesLogged(ByteArrayOutputStream log) {
        synchronized (log) {
            return (int) log.toString(StandardCharsets.UTF_8).lines().filter(l -> l.equals("<")).count();
        }
    }

    private static Path root() {
        return tmp.resolve("root");
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET /", "GET /hello.txt", "HEAD /hello.txt", "GET /sub/inner.txt", "GET /with%20space.txt",
            "GET /%C3%BC.txt", "GET /missing.txt", "DELETE /hello.txt", "GET /sub"})
    void sameAnswerToHttpClient(String methodAndPath) throws Exception {
        String[] parts = methodAndPath.split(" ");
        List<ComparedAnswer> answers = new ArrayList<>();
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build()) {
            for (HttpServer server : List.of(jdk, ours)) {
                HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ServerFixture.port(server) + parts[1]))
                        .method(parts[0], HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build();
                HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                Map<String, String> headers = new LinkedHashMap<>();
                for (String name : COMPARED) r.headers().firstValue(name).ifPresent(v -> headers.put(name, v));
                answers.add(new ComparedAnswer(r.statusCode(), headers, r.body()));
            }
        }
        assertEquals(answers.get(0), answers.get(1), methodAndPath);
    }

    private static void assertSameAnswers(String request, boolean head) throws IOException {
        assertEquals(ask(jdk, request, head), ask(ours, request, head), "answers to " + request.lines().findFirst().orElseThrow());
    }

    private static ComparedAnswer ask(HttpServer server, String request, boolean head) throws IOException {
        return ComparedAnswer.ask(server, request, head, COMPARED);
    }
}
