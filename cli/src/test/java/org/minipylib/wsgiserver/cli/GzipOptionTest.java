package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * --gzip compresses the application's responses and the --static files for clients that accept gzip;
 * --gzip-min-size and --gzip-level tune it, and need it.
 */
@Timeout(60)
class GzipOptionTest {

    @TempDir
    Path dir;

    private static String encoding(HttpResponse<?> response) {
        return response.headers().firstValue("Content-Encoding").orElse(null);
    }

    private static byte[] gunzip(byte[] compressed) throws IOException {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
            return in.readAllBytes();
        }
    }

    @Test
    void applicationAndStaticFilesAreCompressed() throws Exception {
        byte[] css = "body { color: red }\n".repeat(500).getBytes(StandardCharsets.US_ASCII);
        Files.write(dir.resolve("site.css"), css);
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--gzip", "--static", "/assets=" + dir, "--metrics-path", "/metrics")) {
            HttpResponse<byte[]> file = cli.getBytes("/assets/site.css", true);
            assertEquals("gzip", encoding(file));
            assertEquals("Accept-Encoding", file.headers().firstValue("Vary").orElseThrow());
            assertArrayEquals(css, gunzip(file.body()));

            HttpResponse<byte[]> environ = cli.getBytes("/environ", true);
            assertEquals("gzip", encoding(environ));
            assertTrue(new String(gunzip(environ.body()), StandardCharsets.ISO_8859_1).contains("HTTP_ACCEPT_ENCODING = gzip"));

            HttpResponse<byte[]> identity = cli.getBytes("/assets/site.css", false);
            assertEquals(null, encoding(identity));
            assertArrayEquals(css, identity.body());

            assertEquals(null, encoding(cli.getBytes("/bytes?n=100000", true)), "octet-stream is not compressed");
            assertEquals(null, encoding(cli.getBytes("/plaintext", true)), "13 bytes are below the minimum size");
            assertEquals(null, encoding(cli.getBytes("/metrics", true)), "monitoring paths are not wrapped");
        }
    }

    @Test
    void minimumSizeAndLevel() throws Exception {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--gzip", "--gzip-min-size", "0", "--gzip-level", "9")) {
            HttpResponse<byte[]> plaintext = cli.getBytes("/plaintext", true);
            assertEquals("gzip", encoding(plaintext));
            assertEquals("Hello, World!", new String(gunzip(plaintext.body()), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void withoutTheOptionNothingIsCompressed() throws Exception {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0")) {
            HttpResponse<byte[]> environ = cli.getBytes("/environ", true);
            assertEquals(null, encoding(environ));
            assertEquals(null, environ.headers().firstValue("Vary").orElse(null));
        }
    }

    @Test
    void tuningWithoutGzipOrOutOfRangeIsAUsageError() {
        CliRun.usageError("--gzip-min-size and --gzip-level need --gzip", "--bind", "127.0.0.1:0", "--gzip-min-size", "1k");
        CliRun.usageError("--gzip-min-size and --gzip-level need --gzip", "--bind", "127.0.0.1:0", "--gzip-level", "5");
        CliRun.usageError("--gzip-level must be 1 to 9, got 0", "--bind", "127.0.0.1:0", "--gzip", "--gzip-level", "0");
        CliRun.usageError("bytes must not be negative", "--bind", "127.0.0.1:0", "--gzip", "--gzip-min-size", "-1");
    }
}
