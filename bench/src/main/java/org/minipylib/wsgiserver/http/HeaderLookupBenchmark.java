package org.minipylib.wsgiserver.http;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/** Looking up request headers by name (case-insensitive), present and absent. */
@State(Scope.Thread)
public class HeaderLookupBenchmark {

    private HeaderFields headers;

    @Setup
    public void parse() throws BadRequestException {
        byte[] browser = SampleRequests.bytes(SampleRequests.BROWSER);
        headers = new RequestParser(HttpLimits.defaults()).parse(browser, 0, browser.length).headers();
    }

    @Benchmark
    public void presentAndAbsent(Blackhole bh) {
        bh.consume(headers.get("host"));
        bh.consume(headers.get("User-Agent"));
        bh.consume(headers.get("Cookie"));
        bh.consume(headers.get("Content-Length"));
    }

    @Benchmark
    public int countRepeated() {
        return headers.count("Accept");
    }
}
