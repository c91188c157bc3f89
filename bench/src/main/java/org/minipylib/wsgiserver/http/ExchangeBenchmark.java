package org.minipylib.wsgiserver.http;

import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.wsgi.WsgiGateway;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Whole exchanges over an in-memory transport: the connection reads a request head, parses it,
 * builds the environ, calls a plaintext WSGI application, serialises and writes the response. With
 * {@code -prof gc}, {@code gc.alloc.rate.norm} is the bytes allocated per request.
 */
@State(Scope.Thread)
public class ExchangeBenchmark {

    private static final int PIPELINE_DEPTH = 16;
    private static final byte[] HELLO = "Hello, World!".getBytes(StandardCharsets.US_ASCII);
    private static final List<Header> TEXT = List.of(Header.of("Content-Type", "text/plain"));

    /** The benchmark contract's /plaintext. */
    static final WsgiApp PLAINTEXT = (environ, startResponse) -> {
        startResponse.start("200 OK", TEXT);
        return List.of(HELLO);
    };

    private HttpConnection keepAlive;
    private HttpConnection pipelined;
    private MemoryTransport pipelinedTransport;

    /** Write calls and requests: writes == requests is one system call per response; 1/16 of it, one per batch. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Writes {
        public long writes;
        public long requests;
    }

    @Setup(Level.Trial)
    public void setUp() {
        WsgiGateway gateway = new WsgiGateway(PLAINTEXT, null, "wsgiserver/bench");
        keepAlive = new HttpConnection(new MemoryTransport(SampleRequests.bytes(SampleRequests.WRK)), gateway,
                HttpSettings.defaults(), new IdleOwner());
        pipelinedTransport = new MemoryTransport(SampleRequests.repeated(SampleRequests.WRK, PIPELINE_DEPTH));
        pipelined = new HttpConnection(pipelinedTransport, gateway, HttpSettings.defaults(), new IdleOwner());
    }

    /** One keep-alive request: wait for it, serve it. */
    @Benchmark
    public boolean keepAliveRequest() {
        return keepAlive.awaitRequest() && keepAlive.serve();
    }

    /** Sixteen requests arriving in one read (HTTP pipelining), answered in order. */
    @Benchmark
    @OperationsPerInvocation(PIPELINE_DEPTH)
    public boolean pipelinedRequests(Writes counters) {
        long before = pipelinedTransport.writes();
        boolean open = pipelined.awaitRequest() && pipelined.serve();
        counters.writes += pipelinedTransport.writes() - before;
        counters.requests += PIPELINE_DEPTH;
        return open;
    }
}
