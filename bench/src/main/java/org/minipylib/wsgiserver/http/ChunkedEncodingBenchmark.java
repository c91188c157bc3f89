package org.minipylib.wsgiserver.http;

import org.minipylib.wsgiserver.Header;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Chunked transfer coding both ways: a streamed response body written as chunks, and a chunked
 * request body decoded through the connection's input buffer.
 */
@State(Scope.Thread)
public class ChunkedEncodingBenchmark {

    private static final List<Header> HEADERS = List.of(Header.of("Content-Type", "application/octet-stream"));

    /** Size of each chunk, in bytes. */
    @Param({"64", "4096", "65536"})
    public int chunkSize;

    private static final int CHUNKS = 16;

    private MemoryTransport sink;
    private HttpConnection connection;
    private ConnectionOutput output;
    private RequestHead request;
    private byte[] chunk;
    private byte[] readBuffer;
    private ConnectionInput chunkedInput;

    @Setup
    public void setUp() throws BadRequestException {
        byte[] wrk = SampleRequests.bytes(SampleRequests.WRK);
        sink = new MemoryTransport(wrk);
        connection = new HttpConnection(sink, exchange -> { }, HttpSettings.defaults(), new IdleOwner());
        output = new ConnectionOutput(sink, 16 * 1024);
        request = new RequestParser(HttpLimits.defaults()).parse(wrk, 0, wrk.length);
        chunk = new byte[chunkSize];
        readBuffer = new byte[8192];

        StringBuilder body = new StringBuilder();
        String data = "x".repeat(chunkSize);
        for (int i = 0; i < CHUNKS; i++) body.append(Integer.toHexString(chunkSize)).append("\r\n").append(data).append("\r\n");
        body.append("0\r\n\r\n");
        MemoryTransport source = new MemoryTransport(body.toString().getBytes(StandardCharsets.ISO_8859_1));
        chunkedInput = new ConnectionInput(source, new ConnectionOutput(source, 1024), 8 * 1024, 40 * 1024);
    }

    /** A response of 16 chunks: head, chunk-size lines, data, last chunk, as the server writes them. */
    @Benchmark
    public long encodeResponse() throws IOException {
        HttpResponse response = new HttpResponse(connection, request, output, "wsgiserver/0.1.0");
        response.begin(200, "OK", HEADERS, -1);
        for (int i = 0; i < CHUNKS; i++) {
            response.write(chunk, 0, chunk.length);
            response.flush();
        }
        response.finish();
        output.flush();
        return sink.written();
    }

    /** A request body of 16 chunks read to its end (trailers included). */
    @Benchmark
    public long decodeRequestBody() throws IOException {
        ChunkedInputStream in = new ChunkedInputStream(chunkedInput, HttpLimits.defaults(), 0);
        long total = 0;
        for (int n; (n = in.read(readBuffer, 0, readBuffer.length)) >= 0; ) total += n;
        return total;
    }
}
