package org.minipylib.wsgiserver;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * What an access-log line costs a request: the entry formatted (combined and JSON), and formatted
 * and written to a file ({@code /dev/null}: the write system call without a disk), as the server
 * does for every request when it logs, one write per line or gathered in a 64 KiB buffer
 * ({@code --access-log-buffer 64k}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AccessLogBenchmark {

    private AccessLog log;
    private AccessLog bufferedLog;

    @Setup
    public void open() throws IOException {
        log = AccessLog.toFile(Path.of("/dev/null"));
        bufferedLog = AccessLog.toFile(Path.of("/dev/null"), AccessLogFormat.COMBINED, 64 * 1024, Duration.ofSeconds(1));
    }

    @TearDown
    public void close() throws Exception {
        log.close();
        bufferedLog.close();
    }

    /** A typical entry, made now (the time changes as a server's do). */
    private static AccessLogEntry entry() {
        return new AccessLogEntry("127.0.0.1", Instant.now(), "GET /plaintext HTTP/1.1", 200, 13, null,
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
                41_000, "localhost:8080");
    }

    @Benchmark
    public String combinedFormat() {
        return entry().combinedFormat();
    }

    @Benchmark
    public String jsonFormat() {
        return entry().jsonFormat();
    }

    @Benchmark
    public void combinedLineWritten() {
        log.log(entry());
    }

    @Benchmark
    public void combinedLineBuffered() {
        bufferedLog.log(entry());
    }
}
