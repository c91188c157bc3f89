package org.minipylib.wsgiserver.server;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

import java.util.concurrent.TimeUnit;

/**
 * What the always-on statistics cost one request: the updates a keep-alive request makes (its
 * head read, its response written, its status and latency counted) and the two clock reads that
 * time it, against the clock reads alone. Two threads update one {@link ServerStatistics}, as two
 * cores serving requests do.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(2)
public class StatisticsBenchmark {

    private final ServerStatistics statistics = new ServerStatistics();

    /** The baseline: timing a request without counting it. */
    @Benchmark
    public long clockOnly() {
        long start = System.nanoTime();
        return System.nanoTime() - start;
    }

    /** One request as the server counts it: bytes in, bytes out, status and latency. */
    @Benchmark
    public long countedRequest() {
        long start = System.nanoTime();
        statistics.read(78);
        statistics.written(150);
        long nanos = System.nanoTime() - start;
        statistics.served(200, nanos);
        return nanos;
    }
}
