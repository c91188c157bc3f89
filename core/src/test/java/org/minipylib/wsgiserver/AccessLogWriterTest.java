package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.Poll;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link AccessLog#toFile} and {@link AccessLog#to(PrintStream)}: one line per entry, in the file as soon as it is logged; after a rotation
 * (the file renamed, then {@code reopen()}) lines go to a new file of the old name; a file that cannot
 * be written loses its lines with one warning, never an exception into the request. Buffered, lines
 * are written together when the buffer fills, when the oldest has waited the flush interval, before a
 * reopen and at close.
 */
class AccessLogWriterTest {

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

    /**
     * The log file on a disk with {@link #room} bytes free: a write takes what fits, then fails with
     * "No space left on device", as the JDK's stream over Linux's write(2) does on a full disk.
     */
    private static final class FillingDisk extends OutputStream {
        final OutputStream file;
        volatile long room;

        FillingDisk(Path path, long room) throws IOException {
            this.file = Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            this.room = room;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            int fits = (int) Math.min(room, len);
            file.write(b, off, fits);
            room -= fits;
            if (fits < len) throw new IOException("No space left on device");
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }

    private static List<String> warnings(LogCapture captured) {
        return captured.records().stream().filter(r -> r.getLevel() == Level.WARNING).map(LogRecord::getMessage).toList();
    }

    /**
     * A full disk cuts a line short: the lines logged once there is room again start on a line of
     * their own (not glued to the cut one), and a warning says logging works again and how many
     * lines were lost (the cut one and the one that found no room at all).
     */
    @Test
    void afterAFullDiskCutALineTheNextLinesStartOnTheirOwnAndTheLossIsCounted(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.log");
        String a = entry("/a").commonFormat();
        String b = entry("/b").commonFormat();
        FillingDisk disk = new FillingDisk(file, a.length() + 1 + b.length() / 2); // /a and half of /b
        try (LogCapture captured = LogCapture.from(Level.WARNING);
             AccessLog log = new AccessLogWriter(file, f -> disk, AccessLogFormat.COMMON, 0, Duration.ZERO)) {
            log.log(entry("/a"));
            log.log(entry("/b")); // cut short
            log.log(entry("/c")); // no room at all
            assertEquals(1, warnings(captured).size(), warnings(captured).toString());
            disk.room = Long.MAX_VALUE; // room again
            log.log(entry("/d"));
            log.log(entry("/e"));
            assertEquals(List.of(a, b.substring(0, b.length() / 2), entry("/d").commonFormat(), entry("/e").commonFormat()), lines(file));
            assertEquals(List.of("Writing the access log " + file + " failed; lines are lost until it works again",
                    "Writing the access log " + file + " works again; the failed writes held 2 lines"), warnings(captured));
        }
    }

    /**
     * A buffered write the disk cuts at a line's end leaves no cut line: the next lines follow with no
     * empty line between. (Which of its lines went out is not known: the warning says so.)
     */
    @Test
    void aBufferedWriteCutAtALinesEndAddsNoEmptyLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.log");
        String a = entry("/a").commonFormat();
        FillingDisk disk = new FillingDisk(file, 2L * (a.length() + 1)); // two of the three lines of the first write
        try (LogCapture captured = LogCapture.from(Level.WARNING);
             AccessLog log = new AccessLogWriter(file, f -> disk, AccessLogFormat.COMMON, 3 * (a.length() + 1), Duration.ofHours(1))) {
            for (String path : new String[] {"/a", "/b", "/c"}) log.log(entry(path)); // the third fills the buffer: one write
            disk.room = Long.MAX_VALUE;
            for (String path : new String[] {"/d", "/e", "/f"}) log.log(entry(path));
            assertEquals(List.of(a, entry("/b").commonFormat(), entry("/d").commonFormat(), entry("/e").commonFormat(),
                    entry("/f").commonFormat()), lines(file));
            assertEquals("Writing the access log " + file + " works again; the failed writes held 3 lines"
                    + " (the first lines of a write cut short may be in the file)", warnings(captured).get(1));
        }
    }

    /** A line cut in the old file does not put an empty line at the start of the new one a rotation made. */
    @Test
    void aLineCutBeforeARotationLeavesTheNewFileAsItWas(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.log");
        String a = entry("/a").commonFormat();
        FillingDisk full = new FillingDisk(file, a.length() / 2);
        List<OutputStream> opened = new ArrayList<>(List.of(full));
        AccessLogWriter.Opener opener = f -> opened.isEmpty() ? new FillingDisk(f, Long.MAX_VALUE) : opened.removeFirst();
        try (LogCapture captured = LogCapture.from(Level.WARNING);
             AccessLog log = new AccessLogWriter(file, opener, AccessLogFormat.COMMON, 0, Duration.ZERO)) {
            log.log(entry("/a")); // cut short
            Path rotated = dir.resolve("access.log.1");
            Files.move(file, rotated);
            log.reopen();
            log.log(entry("/b"));
            assertEquals(List.of(a.substring(0, a.length() / 2)), lines(rotated));
            assertEquals(List.of(entry("/b").commonFormat()), lines(file));
        }
    }

    /** Writes into {@link #written}, unless {@link #broken} is set: then every write fails (a full disk). */
    private static final class FlakyStream extends OutputStream {
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        boolean broken;

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (broken) throw new IOException("No space left on device");
            written.write(b, off, len);
        }
    }

    /**
     * A PrintStream's error stays set from its first failure on, whether later writes work or not:
     * the log warns once, and says that no later failure will be warned of (it said the lines were
     * lost until it worked again, which it cannot tell). The stream goes on writing the lines.
     */
    @Test
    void aPrintStreamThatFailsIsWarnedOfOnceSayingNoLaterFailureCanBeTold() {
        FlakyStream flaky = new FlakyStream();
        try (LogCapture captured = LogCapture.from(Level.WARNING)) {
            AccessLog log = AccessLog.to(new PrintStream(flaky, false, StandardCharsets.US_ASCII), AccessLogFormat.COMMON);
            log.log(entry("/a"));
            flaky.broken = true;
            log.log(entry("/lost"));
            flaky.broken = false;
            log.log(entry("/b"));
            flaky.broken = true;
            log.log(entry("/lost-too"));
            assertEquals(1, captured.records().size(), captured.messages().toString());
            assertTrue(captured.messages().get(0).contains("lines may be lost from now on, with no further warning"),
                    captured.messages().get(0));
            assertEquals(entry("/a").commonFormat() + "\n" + entry("/b").commonFormat() + "\n",
                    flaky.written.toString(StandardCharsets.US_ASCII));
        }
    }

    /** A PrintStream that clears its error once it reported it (a subclass may) is warned of each time its writes start failing. */
    @Test
    void aStreamThatClearsItsErrorIsWarnedOfEachTimeItStartsFailing() {
        FlakyStream flaky = new FlakyStream();
        PrintStream clearing = new PrintStream(flaky, false, StandardCharsets.US_ASCII) {
            @Override
            public boolean checkError() {
                boolean error = super.checkError();
                clearError();
                return error;
            }
        };
        try (LogCapture captured = LogCapture.from(Level.WARNING)) {
            AccessLog log = AccessLog.to(clearing, AccessLogFormat.COMMON);
            for (int episode = 0; episode < 2; episode++) {
                log.log(entry("/works"));
                flaky.broken = true;
                log.log(entry("/lost"));
                log.log(entry("/lost"));
                flaky.broken = false;
            }
            assertEquals(2, captured.records().size(), captured.messages().toString());
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void bufferedLinesWaitUntilTheBufferIsFull(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.log");
        String line = entry("/a").commonFormat();
        int bufferSize = 3 * (line.length() + 1); // three lines
        try (AccessLog log = AccessLog.toFile(file, AccessLogFormat.COMMON, bufferSize, Duration.ofHours(1))) {
            log.log(entry("/a"));
            log.log(entry("/b"));
            assertEquals(List.of(), lines(file));
            log.log(entry("/c")); // fills it: the three go out in one write
            assertEquals(List.of(line, entry("/b").commonFormat(), entry("/c").commonFormat()), lines(file));
            log.log(entry("/d"));
            log.log(entry("/e" + "x".repeat(bufferSize))); // longer than the buffer: /d first, then it alone
            assertEquals(5, lines(file).size());
            assertEquals(entry("/d").commonFormat(), lines(file).get(3));
        }
    }

    @Test
    void bufferedLinesAreWrittenOnceTheOldestHasWaitedTheFlushInterval(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.log");
        try (AccessLog log = AccessLog.toFile(file, AccessLogFormat.COMMON, 64 * 1024, Duration.ofMillis(200))) {
            long start = System.nanoTime();
            log.log(entry("/a"));
            log.log(entry("/b"));
            assertEquals(List.of(entry("/a").commonFormat(), entry("/b").commonFormat()),
                    Poll.until(() -> lines(file), l -> l.size() == 2, Duration.ofSeconds(10), "the flush thread's write"));
            assertTrue(System.nanoTime() - start >= Duration.ofMillis(200).toNanos(), "written no earlier than the interval");
            log.log(entry("/c")); // the thread waits again, for this one
            Poll.until(() -> lines(file), l -> l.size() == 3, Duration.ofSeconds(10), "the second flush");
        }
    }

    @Test
    void bufferedLinesGoToTheRotatedFileAtReopenAndAllAreWrittenAtClose(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.log");
        Path rotated = dir.resolve("access.log.1");
        Set<Thread> before = flushThreads();
        AccessLog log = AccessLog.toFile(file, AccessLogFormat.COMMON, 64 * 1024, Duration.ofHours(1));
        Set<Thread> ours = flushThreads();
        ours.removeAll(before);
        assertEquals(1, ours.size(), "one flush thread per buffered log");
        log.log(entry("/a"));
        Files.move(file, rotated);
        log.reopen(); // /a was logged before the rotation: it goes to the rotated file
        assertEquals(List.of(entry("/a").commonFormat()), lines(rotated));
        log.log(entry("/b"));
        assertEquals(List.of(), lines(file));
        log.close();
        assertEquals(List.of(entry("/b").commonFormat()), lines(file));
        Thread flusher = ours.iterator().next();
        flusher.join(Duration.ofSeconds(10));
        assertFalse(flusher.isAlive(), "the flush thread ends at close");
    }

    private static Set<Thread> flushThreads() {
        Set<Thread> threads = new HashSet<>(Thread.getAllStackTraces().keySet());
        threads.removeIf(t -> !t.getName().equals("wsgiserver-access-log-flush"));
        return threads;
    }

    @Test
    void aBufferedStreamGetsItsLinesAfterTheFlushIntervalAtReopenAndAtCloseAndIsNotClosed() throws Exception {
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        boolean[] closed = {false};
        PrintStream out = new PrintStream(new FilterOutputStream(written) {
            @Override
            public void close() {
                closed[0] = true;
            }
        }, false, StandardCharsets.US_ASCII);
        AccessLog log = AccessLog.to(out, AccessLogFormat.COMMON, 64 * 1024, Duration.ofMillis(100));
        log.log(entry("/a"));
        Poll.until(() -> written.toString(StandardCharsets.US_ASCII), w -> !w.isEmpty(), Duration.ofSeconds(10), "the flush thread's write");
        assertEquals(entry("/a").commonFormat() + "\n", written.toString(StandardCharsets.US_ASCII)); // flushed through the PrintStream
        AccessLog unflushed = AccessLog.to(out, AccessLogFormat.COMMON, 64 * 1024, Duration.ofHours(1));
        unflushed.log(entry("/b"));
        unflushed.reopen(); // SIGUSR1: a stream is not reopened, but its buffered lines are written
        assertEquals(entry("/a").commonFormat() + "\n" + entry("/b").commonFormat() + "\n", written.toString(StandardCharsets.US_ASCII));
        unflushed.log(entry("/c"));
        unflushed.close();
        log.close();
        assertEquals(entry("/a").commonFormat() + "\n" + entry("/b").commonFormat() + "\n" + entry("/c").commonFormat() + "\n",
                written.toString(StandardCharsets.US_ASCII));
        assertFalse(closed[0], "standard output is not the log's to close");
    }

    @Test
    void aBufferNeedsAFlushInterval(@TempDir Path dir) {
        Path file = dir.resolve("access.log");
        assertThrows(IllegalArgumentException.class, () -> AccessLog.toFile(file, AccessLogFormat.COMMON, 4096, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> AccessLog.toFile(file, AccessLogFormat.COMMON, 4096, null));
        assertThrows(IllegalArgumentException.class, () -> AccessLog.toFile(file, AccessLogFormat.COMMON, -1, Duration.ofSeconds(1)));
    }
}
