package org.minipylib.wsgiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * README, {@code --access-log-format json} / {@link AccessLogFormat#JSON}: one JSON object per line
 * with nginx's field names and the request's duration, valid JSON (read back here by Jackson) and
 * ASCII only whatever bytes a client sent, absent values {@code null}; and the other formats
 * through the same sinks.
 */
class AccessLogJsonFormatTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static int lineCount(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void theLineForAKnownEntry() {
        AccessLogEntry entry = new AccessLogEntry("192.0.2.7", Instant.parse("2026-12-06T00:06:17.123456Z"),
                "GET /a?b=1 HTTP/1.1", 200, 13, null, "curl/8.5 \"x\"", 1_234_567_890L, "example.com:8080");
        assertEquals("{\"time\":\"2026-12-06T00:06:17.123Z\",\"remote_addr\":\"192.0.2.7\",\"request\":\"GET /a?b=1 HTTP/1.1\","
                + "\"status\":200,\"body_bytes_sent\":13,\"http_referer\":null,\"http_user_agent\":\"curl/8.5 \\\"x\\\"\","
                + "\"http_host\":\"example.com:8080\",\"request_time\":1.234}", entry.jsonFormat());
        AccessLogEntry quick = new AccessLogEntry(null, Instant.EPOCH, null, 400, 0, null, null, 5_900_000L);
        assertEquals("{\"time\":\"1970-01-01T00:00:00.000Z\",\"remote_addr\":null,\"request\":null,\"status\":400,"
                + "\"body_bytes_sent\":0,\"http_referer\":null,\"http_user_agent\":null,\"http_host\":null,\"request_time\":0.005}",
                quick.jsonFormat());
    }

    @Test
    void anyCharacterComesBackFromTheEscapesAndTheLineIsAscii() throws IOException {
        StringBuilder every = new StringBuilder();
        for (char c = 0; c < 0x100; c++) every.append(c); // every byte a request can carry, as ISO-8859-1
        every.append("\u20ac\ud83d\ude00"); // and beyond: an application's or a user name's characters
        String text = every.toString();
        AccessLogEntry entry = new AccessLogEntry("unix-peer:" + text, Instant.now(), text, 400, 0, text, text, 0, text);
        String line = entry.jsonFormat();
        assertTrue(line.chars().allMatch(c -> c >= 0x20 && c < 0x7f), line);
        JsonNode node = JSON.readTree(line);
        assertEquals("unix-peer:" + text, node.get("remote_addr").asText());
        assertEquals(text, node.get("request").asText());
        assertEquals(text, node.get("http_referer").asText());
        assertEquals(text, node.get("http_user_agent").asText());
        assertEquals(text, node.get("http_host").asText());
    }

    @Test
    void aRequestsUtf8IsLoggedAsItsCharactersAndAnyOtherByteAsItself() throws IOException {
        String utf8 = new String("caf\u00e9 \u20ac \ud83d\ude00".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        // not UTF-8: a lone byte, a lead byte alone, a continuation byte too many, a cut sequence,
        // an encoded surrogate, an overlong encoding
        String notUtf8 = " \u00e9 \u00c3 \u00c3\u00a9\u00a9 \u00f0\u009f\u0098 \u00ed\u00a0\u0080 \u00c0\u00af";
        String sent = utf8 + notUtf8; // one character per byte, as a request's bytes reach the entry
        AccessLogEntry entry = new AccessLogEntry(null, Instant.now(), "GET /" + sent + " HTTP/1.1", 200, 0, sent, sent, 0, sent);
        String line = entry.jsonFormat();
        assertTrue(line.chars().allMatch(c -> c >= 0x20 && c < 0x7f), line);
        String logged = "caf\u00e9 \u20ac \ud83d\ude00 \u00e9 \u00c3 \u00e9\u00a9 \u00f0\u009f\u0098 \u00ed\u00a0\u0080 \u00c0\u00af";
        JsonNode node = JSON.readTree(line);
        assertEquals("GET /" + logged + " HTTP/1.1", node.get("request").asText());
        assertEquals(logged, node.get("http_referer").asText());
        assertEquals(logged, node.get("http_user_agent").asText());
        assertEquals(logged, node.get("http_host").asText());
    }

    @Test
    void eachAnsweredOrRefusedRequestIsOneJsonLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.json");
        WsgiApp app = (env, sr) -> {
            if (env.pathInfo().equals("/slow")) {
                try {
                    Thread.sleep(150);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of("hello".getBytes(StandardCharsets.US_ASCII));
        };
        Instant before = Instant.now().minusMillis(1);
        try (TestServer server = TestServer.start(app, b -> {
                 try {
                     return b.accessLog(AccessLog.toFile(file, AccessLogFormat.JSON));
                 } catch (IOException e) {
                     throw new UncheckedIOException(e);
                 }
             })) {
            try (RawClient client = server.connect()) {
                client.send("GET /slow?q=1 HTTP/1.1\r\nHost: a\r\nReferer: http://example.com/from\r\n".getBytes(StandardCharsets.ISO_8859_1));
                client.send("User-Agent: caf\u00e9 \"agent\"\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)); // 0xE9: obs-text
                assertEquals(200, client.read().status());
            }
            // a line is written once its response went out: the client may read it first
            Poll.until(() -> lineCount(file), n -> n >= 1, "the first request logged");
            try (RawClient client = server.connect()) {
                client.send("GET /\u0001 HTTP/1.1\r\nHost: a\r\n\r\n");
                assertEquals(400, client.read().status());
            }
            // the refusal is logged after its 400 went out: a stop right now could close the file first
            Poll.until(() -> lineCount(file), n -> n >= 2, "both requests logged");
        } // stopping the server closes the file: everything is written
        Instant after = Instant.now().plusMillis(1);
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(2, lines.size(), () -> "lines: " + lines);

        JsonNode served = JSON.readTree(lines.get(0));
        List<String> names = new java.util.ArrayList<>();
        served.fieldNames().forEachRemaining(names::add);
        assertEquals(List.of("time", "remote_addr", "request", "status", "body_bytes_sent", "http_referer", "http_user_agent",
                "http_host", "request_time"), names);
        Instant time = Instant.parse(served.get("time").asText());
        assertTrue(!time.isBefore(before) && !time.isAfter(after), time + " not in [" + before + ", " + after + "]");
        assertEquals("127.0.0.1", served.get("remote_addr").asText());
        assertEquals("GET /slow?q=1 HTTP/1.1", served.get("request").asText());
        assertEquals(200, served.get("status").asInt());
        assertEquals(5, served.get("body_bytes_sent").asLong());
        assertEquals("http://example.com/from", served.get("http_referer").asText());
        assertEquals("caf\u00e9 \"agent\"", served.get("http_user_agent").asText());
        assertEquals("a", served.get("http_host").asText());
        double seconds = served.get("request_time").asDouble();
        assertTrue(seconds >= 0.15 && seconds < 60, "request_time " + seconds + " covers the application's 150 ms");

        JsonNode refused = JSON.readTree(lines.get(1));
        assertEquals(400, refused.get("status").asInt());
        assertTrue(refused.get("request").asText().startsWith("GET /\u0001"), refused.toString());
        assertTrue(refused.get("http_referer").isNull(), "an absent header is null: " + refused);
        assertTrue(refused.get("http_user_agent").isNull(), refused.toString());
        assertTrue(refused.get("http_host").isNull(), "a request refused before it was parsed has no host: " + refused);
        assertEquals(0.0, refused.get("request_time").asDouble());
        assertTrue(lines.stream().allMatch(l -> l.chars().allMatch(c -> c >= 0x20 && c < 0x7f)), "ASCII only: " + lines);
    }

    @Test
    void aStreamSinkWritesTheFormatItIsGiven() {
        AccessLogEntry entry = new AccessLogEntry("192.0.2.7", Instant.now(), "GET / HTTP/1.1", 200, 13, "r", "u", 1000);
        for (AccessLogFormat format : AccessLogFormat.values()) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
                AccessLog.to(out, format).log(entry);
            }
            String expected = switch (format) {
                case COMBINED -> entry.combinedFormat();
                case COMMON -> entry.commonFormat();
                case JSON -> entry.jsonFormat();
            };
            assertEquals(expected + System.lineSeparator(), bytes.toString(StandardCharsets.UTF_8), format.name());
        }
    }

    /** Any entry a custom AccessLog may build stays one valid JSON object: odd times, huge or negative durations. */
    @Test
    void oddTimesAndDurationsMakeValidJson() throws Exception {
        List<Instant> times = List.of(Instant.parse("1969-07-20T20:17:40.5Z"), Instant.parse("+10000-01-01T00:00:00Z"),
                Instant.parse("-0001-01-01T00:00:00Z"));
        List<Long> durations = List.of(0L, 999_999L, 1_000_000L, 59_999_999_999L, Long.MAX_VALUE, -1L, -1_000_000L,
                -1_500_000_000L, Long.MIN_VALUE);
        for (Instant time : times) {
            for (long nanos : durations) {
                String line = new AccessLogEntry("192.0.2.7", time, "GET / HTTP/1.1", 200, 1, null, null, nanos).jsonFormat();
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (Exception e) {
                    throw new AssertionError("not JSON for " + time + ", " + nanos + " ns: " + line, e);
                }
                double seconds = node.get("request_time").asDouble();
                assertTrue(node.get("request_time").isNumber(), line);
                assertEquals(Math.max(0, nanos) / 1_000_000 / 1000.0, seconds, 1e-9, line);
                assertTrue(node.get("time").isTextual(), line);
            }
        }
    }
}
