package org.minipylib.wsgiserver.http;

import org.minipylib.wsgiserver.testing.PieceTransport;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes {@link ChunkedInputStream} with the bytes arriving in random pieces and read with random
 * read sizes: it must end with a body or its own {@link BadRequestException}, never anything else,
 * never hang, never read past its body, and the outcome must not depend on how the bytes arrived.
 * Half of the runs encode the fuzzer's bytes as a valid chunked body (leading zeros, extensions,
 * trailers, bytes behind it), which must decode to exactly those bytes. Of a body that decodes, the
 * connection's guess made before reading ({@link ChunkedInputStream#dataLeftIfArrived}) must be its
 * data length.
 * A normal build replays the seed corpus; {@code JAZZER_FUZZ=1} fuzzes (see docs/http-compliance.md).
 */
class ChunkedInputStreamFuzzTest {

    private static final HttpLimits LIMITS = HttpLimits.defaults().withMaxBodySize(4096).withMaxChunkExtensionLength(64)
            .withMaxHeaderSectionSize(512).withMaxHeaderCount(8);

    /** What one decoding ended with. */
    private record Outcome(byte[] body, int status, int rest) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Outcome other && Arrays.equals(body, other.body) && status == other.status && rest == other.rest;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(body) * 31 + status;
        }

        @Override
        public String toString() {
            return "status " + status + ", " + (body == null ? "no body" : body.length + " body bytes") + ", rest " + rest;
        }
    }

    @FuzzTest(maxDuration = "10s")
    // libFuzzer dictionary syntax: \xNN escapes, \" and \\
    @DictionaryEntries({"\\x0D\\x0A", "0\\x0D\\x0A\\x0D\\x0A", ";", "=", "\\\"", "\\\\", "ffffffffffffffff", "7fffffffffffffff",
            "X-T: v\\x0D\\x0A"})
    void decode(FuzzedDataProvider data) {
        long seed = data.consumeLong();
        Random random = new Random(seed);
        Outcome expected = null;
        byte[] wire;
        if (data.consumeBoolean()) {
            Encoded encoded = encoded(data, random);
            wire = encoded.wire;
            expected = new Outcome(encoded.payload, 0, wire.length - encoded.bodyLength);
        } else {
            wire = data.consumeRemainingAsBytes();
        }
        Outcome first = run(wire, new Random(seed), 1);
        Outcome second = run(wire, new Random(~seed), 7);
        assertEquals(first, second, "the outcome depends on how the bytes arrived");
        if (expected != null) assertEquals(expected, first, "a valid chunked encoding of known data");
        if (first.body != null) {
            assertTrue(first.body.length <= LIMITS.maxBodySize());
            assertTrue(first.rest >= 0 && first.body.length <= wire.length);
            // the connection's guess, made before reading, of the data left in a body that has all arrived
            ChunkedInputStream unread = new ChunkedInputStream(input(new byte[0], random, 1), LIMITS, 1000);
            assertEquals(first.body.length, unread.dataLeftIfArrived(wire, 0, wire.length), "the data left in a body all arrived");
        }
    }

    /** A chunked body of {@code bodyLength} bytes carrying {@code payload}, and other bytes behind it. */
    private record Encoded(byte[] wire, int bodyLength, byte[] payload) { }

    /**
     * A valid chunked body carrying up to 4096 of the fuzzer's bytes:
     * chunk sizes in either letter case with any number of leading zeros, extensions with and without
     * values (tokens and quoted strings) around whitespace, and trailer fields; the fuzzer's other
     * bytes behind it.
     */
    private static Encoded encoded(FuzzedDataProvider data, Random random) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        for (int chunks = data.consumeInt(0, 8); chunks >= 0; chunks--) {
            byte[] chunk = chunks == 0 ? new byte[0] : data.consumeBytes(data.consumeInt(1, 512));
            if (chunks > 0 && chunk.length == 0) continue; // an empty chunk is the last one
            String size = Integer.toHexString(chunk.length);
            out.writeBytes(("0".repeat(data.consumeInt(0, 24))
                    + (data.consumeBoolean() ? size.toUpperCase(java.util.Locale.ROOT) : size)).getBytes(StandardCharsets.US_ASCII));
            for (int e = data.consumeInt(0, 2); e > 0; e--) {
                String name = "x" + random.nextInt(100);
                String value = switch (random.nextInt(3)) {
                    case 0 -> "";
                    case 1 -> "=v" + random.nextInt(1000);
                    default -> " = \"q \\\" " + random.nextInt(100) + "\"";
                };
                out.writeBytes((" ".repeat(random.nextInt(2)) + ";" + " ".repeat(random.nextInt(2)) + name + value)
                        .getBytes(StandardCharsets.US_ASCII));
            }
            out.writeBytes(CRLF);
            if (chunk.length == 0) break;
            out.writeBytes(chunk);
            out.writeBytes(CRLF);
            payload.writeBytes(chunk);
        }
        for (int t = data.consumeInt(0, 3); t > 0; t--) {
            out.writeBytes(("X-T" + t + ":" + " ".repeat(random.nextInt(2)) + "v\t" + random.nextInt(1000)).getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(CRLF);
        }
        out.writeBytes(CRLF);
        int bodyLength = out.size();
        out.writeBytes(data.consumeRemainingAsBytes());
        return new Encoded(out.toByteArray(), bodyLength, payload.toByteArray());
    }

    private static final byte[] CRLF = {'\r', '\n'};

    private static ConnectionInput input(byte[] wire, Random random, int maxPiece) {
        PieceTransport transport = new PieceTransport(wire, random, maxPiece);
        return new ConnectionInput(transport, new ConnectionOutput(transport, 64), 16, 4096);
    }

    private static Outcome run(byte[] wire, Random random, int maxPiece) {
        ConnectionInput in = input(wire, random, maxPiece);
        ChunkedInputStream body = new ChunkedInputStream(in, LIMITS, 1000);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[32];
        try {
            // bounded: every read either returns data from the finite wire, ends, or throws
            for (int reads = 0; reads <= wire.length + 2; reads++) {
                int n = random.nextBoolean() ? single(body, buf) : body.read(buf, 0, 1 + random.nextInt(buf.length));
                if (n < 0) {
                    assertEquals(-1, body.read(), "end of body is sticky");
                    return new Outcome(out.toByteArray(), 0, remaining(in));
                }
                assertTrue(n > 0, "a read of at least one byte returns at least one byte or -1");
                out.write(buf, 0, n);
            }
            throw new AssertionError("more reads than bytes on the wire: the decoder makes no progress");
        } catch (BadRequestException e) {
            assertTrue(e.status() == 400 || e.status() == 413 || e.status() == 431, "status " + e.status());
            return new Outcome(null, e.status(), 0);
        } catch (IOException e) {
            throw new AssertionError("only BadRequestException may come out of the decoder", e);
        }
    }

    private static int single(InputStream in, byte[] buf) throws IOException {
        int c = in.read();
        if (c < 0) return -1;
        buf[0] = (byte) c;
        return 1;
    }

    private static int remaining(ConnectionInput in) throws IOException {
        int n = 0;
        while (in.read(1000) >= 0) n++;
        return n;
    }
}
