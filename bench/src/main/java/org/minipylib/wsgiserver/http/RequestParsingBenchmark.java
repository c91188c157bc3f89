package org.minipylib.wsgiserver.http;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * Parsing a request head from bytes: the line, the fields, the framing decisions. The {@code *Request}
 * benchmarks reuse one parser, as a keep-alive connection does, so repeated field values come from
 * its memory of the previous head; the {@code first*} ones parse with a new parser every time (the
 * first request on a connection).
 */
@State(Scope.Thread)
public class RequestParsingBenchmark {

    private final RequestParser parser = new RequestParser(HttpLimits.defaults());
    private final byte[] wrk = SampleRequests.bytes(SampleRequests.WRK);
    private final byte[] browser = SampleRequests.bytes(SampleRequests.BROWSER);

    @Benchmark
    public RequestHead wrkRequest() throws BadRequestException {
        return parser.parse(wrk, 0, wrk.length);
    }

    @Benchmark
    public RequestHead browserRequest() throws BadRequestException {
        return parser.parse(browser, 0, browser.length);
    }

    @Benchmark
    public RequestHead firstBrowserRequest() throws BadRequestException {
        return new RequestParser(HttpLimits.defaults()).parse(browser, 0, browser.length);
    }

    /** Finding where a head ends, as the connection does before parsing it. */
    @Benchmark
    public int findBrowserHeadEnd() {
        return RequestParser.findHeadEnd(browser, 0, 0, browser.length);
    }
}
