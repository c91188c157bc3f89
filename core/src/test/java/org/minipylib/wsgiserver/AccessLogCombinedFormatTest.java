package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * README, {@code --access-log} / {@code AccessLog.toFile}: one line per answered request, appended
 * to the file, in the combined log format as Apache writes it ({@code %h %l %u %t "%r" %>s %b
 * "%{Referer}i" "%{User-Agent}i"}): {@code -} for an empty body, quotes in a header escaped, the
 * peer's address as host. Checked over a real socket, by parsing the file the server wrote; and
 * the same format through {@code AccessLog.to(PrintStream)}.
 */
class AccessLogCombinedFormatTest {

    private static final Pattern COMBINED = Pattern.compile(
            "^(\\S+) - - \\[([^\\]]+)\\] \"((?:[^\"\\\\]|\\\\.)*)\" (\\d{3}) (\\d+|-) \"((?:[^\"\\\\]|\\\\.)*)\" \"((?:[^\"\\\\]|\\\\.)*)\"$");

    @Test
    void eachAnsweredRequestIsOneCombinedFormatLineAppendedToTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.log");
        Files.writeString(file, "an earlier line\n"); // appended to, not truncated
        WsgiApp app = (env, sr) -> {
            if (env.pathInfo().equals("/empty")) {
                sr.start("204 No Content", List.of());
                return List.of();
            }
            sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of("hello".getBytes(StandardCharsets.US_ASCII));
        };
        try (TestServer server = TestServer.start(app, b -> {
                 try {
                     return b.accessLog(AccessLog.toFile(file));
                 } catch (java.io.IOException e) {
                     throw new java.io.UncheckedIOException(e);
                 }
             });
             RawClient client = server.connect()) {
            client.send("GET /page?q=1 HTTP/1.1\r\nHost: a\r\nReferer: http://example.com/from\r\n"
                    + "User-Agent: test \"agent\" 1.0\r\n\r\n");
            assertEquals(200, client.read().status());
            client.send("GET /empty HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals(204, client.read().status());
        } // stopping the server closes the file: everything is written
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(3, lines.size(), () -> "lines: " + lines);
        assertEquals("an earlier line", lines.get(0));

        Matcher first = match(lines.get(1));
        assertEquals("127.0.0.1", first.group(1));
        OffsetDateTime time = OffsetDateTime.parse(first.group(2), DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT));
        assertTrue(Math.abs(time.toEpochSecond() - System.currentTimeMillis() / 1000) < 600, "the time of the request: " + time);
        assertEquals("GET /page?q=1 HTTP/1.1", first.group(3));
        assertEquals("200", first.group(4));
        assertEquals("5", first.group(5), "the body's bytes, not the head's");
        assertEquals("http://example.com/from", first.group(6));
        assertEquals("test \\x22agent\\x22 1.0", first.group(7), "quotes in a header escaped as nginx does");

        Matcher second = match(lines.get(2));
        assertEquals("204", second.group(4));
        assertEquals("-", second.group(5), "no body: '-' as Apache's %b");
        assertEquals("-", second.group(6), "no Referer");
        assertEquals("-", second.group(7), "no User-Agent");
    }

    /** {@code AccessLog.to(PrintStream)} (standard output, for {@code --access-log -}) writes the same combined format lines. */
    @Test
    void aPrintStreamGetsTheSameCombinedFormatLines() throws Exception {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(sink, true, StandardCharsets.UTF_8);
        WsgiApp hello = (env, sr) -> {
            sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of("hello".getBytes(StandardCharsets.US_ASCII));
        };
        try (WsgiServer server = WsgiServer.builder(hello).bind("127.0.0.1", 0).accessLog(AccessLog.to(out)).build().start();
             RawClient c = new RawClient("127.0.0.1", server.port())) {
            c.send("GET /page?x=1 HTTP/1.1\r\nHost: x\r\nReferer: http://ref/\r\nUser-Agent: tester \"1\"\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(200, r.status());
            Poll.until(sink::size, n -> n > 0, "the access log line");
        }
        String line = sink.toString(StandardCharsets.UTF_8).trim();
        assertTrue(line.matches("127\\.0\\.0\\.1 - - \\[\\d{2}/\\w{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2} [+-]\\d{4}] "
                + "\"GET /page\\?x=1 HTTP/1\\.1\" 200 \\d+ \"http://ref/\" \"tester \\\\x221\\\\x22\""), line);
    }

    private static Matcher match(String line) {
        Matcher m = COMBINED.matcher(line);
        assertTrue(m.matches(), () -> "not the combined log format: " + line);
        return m;
    }
}
