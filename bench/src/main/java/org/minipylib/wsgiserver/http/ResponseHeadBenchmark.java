package org.minipylib.wsgiserver.http;

import org.minipylib.wsgiserver.Header;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Serialising a response: status line, the application's headers, Date, Server, framing, and a
 * small body, into the connection's output buffer and out in one write.
 */
@State(Scope.Thread)
public class ResponseHeadBenchmark {

    private static final List<Header> HEADERS = List.of(Header.of("Content-Type", "text/plain"));
    private static final byte[] BODY = "Hello, World!".getBytes(StandardCharsets.US_ASCII);

    private MemoryTransport transport;
    private HttpConnection connection;
    private ConnectionOutput output;
    private RequestHead request;

    @Setup
    public void setUp() throws BadRequestException {
        byte[] wrk = SampleRequests.bytes(SampleRequests.WRK);
        transport = new MemoryTransport(wrk);
        connection = new HttpConnection(transport, exchange -> { }, HttpSettings.defaults(), new IdleOwner());
        output = new ConnectionOutput(transport, 16 * 1024);
        request = new RequestParser(HttpLimits.defaults()).parse(wrk, 0, wrk.length);
    }

    @Benchmark
    public long plaintextResponse() throws IOException {
        HttpResponse response = new HttpResponse(connection, request, output, "wsgiserver/0.1.0");
        response.begin(200, "OK", HEADERS, BODY.length);
        response.write(BODY, 0, BODY.length);
        response.finish();
        output.flush();
        return transport.written();
    }
}
