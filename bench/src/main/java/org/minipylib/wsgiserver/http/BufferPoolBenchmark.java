package org.minipylib.wsgiserver.http;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;

/**
 * What the buffer pools cost a keep-alive request: a connection that waits for its next request
 * without a thread gives its input and output buffers back, and takes them again when the request
 * arrives. {@code keepAliveRequest} is that, on one thread; the others have two threads share the
 * pools, as two cores serving requests do: back to back (the worst case), and with other work
 * between (subtract {@code work} for the pools' part).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BufferPoolBenchmark {

    private static final long WORK_TOKENS = 250;

    private final BufferPool inputBuffers = new BufferPool(HttpConnection.INPUT_BUFFER_SIZE, 1024);
    private final BufferPool outputBuffers = new BufferPool(HttpConnection.OUTPUT_BUFFER_SIZE, 256);

    /** Take an input and an output buffer, give both back (the buffers a keep-alive request uses). */
    @Benchmark
    @Threads(1)
    public int keepAliveRequest() {
        return cycle();
    }

    /** The same, two threads at once on the same pools, with nothing else to do: the worst case. */
    @Benchmark
    @Threads(2)
    public int keepAliveRequestTwoThreads() {
        return cycle();
    }

    /**
     * Two threads on the same pools, each doing about half a microsecond of other work between
     * two requests, as a server does (a keep-alive request costs a few microseconds of CPU).
     */
    @Benchmark
    @Threads(2)
    public int keepAliveRequestTwoThreadsWithWork() {
        Blackhole.consumeCPU(WORK_TOKENS);
        return cycle();
    }

    /** The other work alone, for reference. */
    @Benchmark
    @Threads(2)
    public void work() {
        Blackhole.consumeCPU(WORK_TOKENS);
    }

    private int cycle() {
        byte[] in = inputBuffers.take();
        byte[] out = outputBuffers.take();
        int n = in.length + out.length;
        outputBuffers.give(out);
        inputBuffers.give(in);
        return n;
    }
}
