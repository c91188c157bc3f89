package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.LogCapture;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link AccessLog#toFile}: one line per entry, in the file as soon as it is logged; after a rotation
 * (the file renamed, then {@code reopen()}) lines go to a new file of the old name; a file that cannot
 * be written loses its lines with one warning, never an exception into the request.
 */
class AccessLogFileTest {

    private static AccessLogEntry entry(String path) {
        return new AccessLogEntry("192.0.2.1", Instant.parse("2026-12-07T12:00:00Z"), "GET " + path + " HTTP/1.1", 200, 5,
                null, "caf\u00e9", 1_000_000, "h");
    }

    @Test
    void linesAreAppendedAtOnceAndFollowARotation(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.log");
        Files.writeString(file, "an earlier line\n");
        try (AccessLog log = AccessLog.toFile(file, AccessLogFormat.COMMON)) {
            log.log(entry("/a"));
            assertEquals(List.of("an earlier line", entry("/a").commonFormat()), Files.readAllLines(file)); // not buffered
            Path rotated = dir.resolve("access.log.1");
            Files.move(file, rotated);
            log.log(entry("/b")); // still into the renamed file, as logrotate expects until it signals
            log.reopen();
            log.log(entry("/c"));
            assertEquals(List.of("an earlier line", entry("/a").commonFormat(), entry("/b").commonFormat()), Files.readAllLines(rotated));
            assertEquals(List.of(entry("/c").commonFormat()), Files.readAllLines(file));
        }
    }

    @Test
    void aLineIsAsciiWhateverTheRequestHeld() throws Exception {
        Path file = Files.createTempFile("access", ".log");
        try (AccessLog log = AccessLog.toFile(file, AccessLogFormat.COMBINED)) {
            log.log(entry("/\u00e9"));
        } finally {
            String written = Files.readString(file);
            Files.delete(file);
            assertEquals(entry("/\u00e9").combinedFormat() + "\n", written); // the formats escape it: ASCII
        }
    }

    @Test
    void aFileThatCannotBeWrittenLosesItsLinesWithOneWarning() throws Exception {
        Path full = Path.of("/dev/full"); // every write fails: no space left on device
        assumeTrue(Files.isWritable(full), "/dev/full (Linux)");
        try (LogCapture captured = LogCapture.from(Level.WARNING); AccessLog log = AccessLog.toFile(full)) {
            for (int i = 0; i < 5; i++) log.log(entry("/" + i)); // no exception
            assertEquals(1, captured.records().size(), captured.messages().toString());
        }
    }
}
