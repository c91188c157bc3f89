package org.minipylib.wsgiserver.http;

import org.minipylib.wsgiserver.testing.PieceTransport;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When a request body counts as read to its end: a Content-Length body as soon as its last byte
 * was read (the connection then reads nothing more to find the end, nor drains), a chunked body
 * only once its last chunk was read (which draining does).
 */
class RequestBodyEndTest {

    /** The bytes in pieces of at most 4, then end of stream; counts the reads asked of it. */
    private static PieceTransport transport(String data) {
        return new PieceTransport(data.getBytes(StandardCharsets.US_ASCII), new Random(7), 4);
    }

    private static ConnectionInput input(Transport transport) {
        return new ConnectionInput(transport, new ConnectionOutput(transport, 64), 64, 4096);
    }

    private static RequestBody fixed(ConnectionInput in, long length) {
        BodyInput source = new BodyInput(in, 1000);
        return new RequestBody(new FixedLengthInputStream(source, length), source, null);
    }

    @Test
    void contentLengthBodyReadExactlyIsFullyReadWithoutAnotherRead() throws IOException {
        var transport = transport("hello");
        RequestBody body = fixed(input(transport), 5);
        byte[] b = new byte[5];
        int got = 0;
        while (got < 5) got += body.read(b, got, 5 - got);
        assertEquals("hello", new String(b, StandardCharsets.US_ASCII));
        assertTrue(body.isFullyRead(), "the last byte of a Content-Length body ends it");
        assertEquals(0, body.remainingLength());
        int reads = transport.reads();
        assertTrue(body.drain(1024, System.nanoTime() + 1_000_000_000L), "nothing left to drain");
        assertEquals(reads, transport.reads(), "draining read nothing more");
        assertEquals(-1, body.read(b, 0, 1));
    }

    @Test
    void contentLengthBodyReadByteByByteEndsWithItsLastByte() throws IOException {
        RequestBody body = fixed(input(transport("ab")), 2);
        assertEquals('a', body.read());
        assertFalse(body.isFullyRead(), "one byte left");
        assertEquals(1, body.remainingLength());
        assertEquals('b', body.read());
        assertTrue(body.isFullyRead());
        assertEquals(-1, body.read());
    }

    @Test
    void emptyContentLengthBodyIsFullyReadAtOnce() {
        RequestBody body = fixed(input(transport("")), 0);
        assertTrue(body.isFullyRead());
        assertFalse(body.isStarted(), "no read needed to know it");
    }

    @Test
    void chunkedBodyEndsOnlyWithItsLastChunkWhichDrainingReads() throws IOException {
        var transport = transport("5\r\nhello\r\n0\r\n\r\n");
        BodyInput source = new BodyInput(input(transport), 1000);
        RequestBody body = new RequestBody(new ChunkedInputStream(source, HttpLimits.defaults()), source, null);
        byte[] b = new byte[5];
        int got = 0;
        while (got < 5) got += body.read(b, got, 5 - got);
        assertFalse(body.isFullyRead(), "the last chunk is not read yet");
        assertEquals(-1, body.remainingLength(), "unknown length");
        assertTrue(body.drain(1024, System.nanoTime() + 1_000_000_000L));
        assertTrue(body.isFullyRead());
    }
}
