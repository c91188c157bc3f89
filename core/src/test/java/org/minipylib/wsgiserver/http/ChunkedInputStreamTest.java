package org.minipylib.wsgiserver.http;

import org.minipylib.wsgiserver.testing.PieceTransport;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * The request body decoders over in-memory bytes: {@link ChunkedInputStream} (RFC 9112 section 7.1)
 * and {@link FixedLengthInputStream}. Every case runs many times with the input arriving in
 * random-sized pieces and read with random-sized reads, so that every boundary (inside a size
 * line, between CR and LF, inside a trailer) is crossed.
 */
class ChunkedInputStreamTest {

    private static final int ROUNDS = 25;

    /** What decoding produced: the body, the trailers, and the bytes left on the connection after it. */
    record Decoded(String body, HeaderFields trailers, String rest) { }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static ConnectionInput connectionInput(byte[] wire, Random random) {
        PieceTransport transport = new PieceTransport(wire, random, 1 + random.nextInt(9));
        // a small buffer, so that large reads bypass it and small ones go through it
        return new ConnectionInput(transport, new ConnectionOutput(transport, 64), 16, 4096);
    }

    /** Reads {@code in} to its end with reads of random sizes (some single-byte {@code read()}). */
    private static byte[] readAll(InputStream in, Random random) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[64];
        while (true) {
            if (random.nextInt(5) == 0) {
                int c = in.read();
                if (c < 0) break;
                out.write(c);
            } else {
                int off = random.nextInt(8);
                int n = in.read(buf, off, 1 + random.nextInt(buf.length - off));
                if (n < 0) break;
                out.write(buf, off, n);
            }
        }
        return out.toByteArray();
    }

    /** Reads whatever the connection still holds after the body. */
    private static String remaining(ConnectionInput in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int c; (c = in.read(1000)) >= 0; ) out.write(c);
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    /**
     * Decodes {@code wire} as a body ({@code newStream} wraps the connection input) in many rounds,
     * checks that every round agrees, and returns the result.
     */
    private static Decoded decode(String wire, Function<ConnectionInput, InputStream> newStream) throws IOException {
        Decoded first = null;
        for (int round = 0; round < ROUNDS; round++) {
            Random random = new Random(round);
            ConnectionInput in = connectionInput(bytes(wire), random);
            InputStream body = newStream.apply(in);
            String text = new String(readAll(body, random), StandardCharsets.ISO_8859_1);
            assertEquals(-1, body.read(), "end of body is sticky");
            assertEquals(0, body.available());
            HeaderFields trailers = body instanceof ChunkedInputStream c ? c.trailers() : null;
            Decoded d = new Decoded(text, trailers, remaining(in));
            if (first == null) {
                first = d;
            } else {
                assertEquals(first.body(), d.body(), "round " + round);
                assertEquals(first.rest(), d.rest(), "round " + round);
            }
        }
        return first;
    }

    private static Decoded chunked(HttpLimits limits, String wire) throws IOException {
        return decode(wire, in -> new ChunkedInputStream(in, limits, 1000));
    }

    private static Decoded chunked(String wire) throws IOException {
        return chunked(HttpLimits.defaults(), wire);
    }

    /** Asserts that reading {@code wire} to its end fails with {@code status}, however it arrives. */
    private static void assertFails(int status, Function<ConnectionInput, InputStream> newStream, String wire) {
        for (int round = 0; round < ROUNDS; round++) {
            Random random = new Random(round);
            InputStream body = newStream.apply(connectionInput(bytes(wire), random));
            BadRequestException e = assertThrows(BadRequestException.class, () -> readAll(body, random),
                    () -> "no error for " + wire.replace("\r", "\\r").replace("\n", "\\n"));
            assertEquals(status, e.status(), () -> "status for " + wire.replace("\r", "\\r").replace("\n", "\\n")
                    + " (message: " + e.getMessage() + ")");
        }
    }

    private static void assertChunkedFails(int status, HttpLimits limits, String wire) {
        assertFails(status, in -> new ChunkedInputStream(in, limits, 1000), wire);
    }

    // ---------------------------------------------------------------------------------------------
    @Nested
    class ValidChunkedBodies {

        @Test
        void singleChunk() throws Exception {
            assertEquals("hello", chunked("5\r\nhello\r\n0\r\n\r\n").body());
        }

        @Test
        void emptyBody() throws Exception {
            Decoded d = chunked("0\r\n\r\n");
            assertEquals("", d.body());
            assertEquals(0, d.trailers().size());
        }

        @Test
        void multipleChunksAreConcatenated() throws Exception {
            assertEquals("hello world", chunked("5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n").body());
        }

        @Test
        void hexSizesInUpperAndLowerCase() throws Exception {
            String a = "0123456789";
            String b = "x".repeat(0x1f);
            String c = "y".repeat(0xab);
            Decoded d = chunked("A\r\n" + a + "\r\n1f\r\n" + b + "\r\naB\r\n" + c + "\r\n0\r\n\r\n");
            assertEquals(a + b + c, d.body());
        }

        @Test
        void leadingZerosInChunkSizes() throws Exception {
            assertEquals("hello", chunked("0005\r\nhello\r\n000\r\n\r\n").body());
        }

        @Test
        void manyLeadingZerosAreNotAnOverflow() throws Exception {
            // chunk-size = 1*HEXDIG (RFC 9112 section 7.1): leading zeros do not make a size large
            assertEquals("hello", chunked("00000000000000000005\r\nhello\r\n0\r\n\r\n").body());
        }

        @Test
        void chunkDataMayContainCrlfAndAnyByte() throws Exception {
            String data = "a\r\n0\r\n\r\n\u0000\u00ff";
            assertEquals(data, chunked(Integer.toHexString(data.length()) + "\r\n" + data + "\r\n0\r\n\r\n").body());
        }

        @Test
        void chunkLargerThanEveryBuffer() throws Exception {
            String data = "0123456789abcdef".repeat(700);
            assertEquals(data, chunked(Integer.toHexString(data.length()) + "\r\n" + data + "\r\n0\r\n\r\n").body());
        }

        @ParameterizedTest
        @ValueSource(strings = {";name", ";name=token", ";a=b;c=d", " ;a=b", "; a = b", ";a=\"quoted value\"",
                ";a=\"with \\\"escaped\\\" quotes; and semicolons\"", ";a=\"\"", ";a=\"caf\u00e9\"", "\t;a\t=\tb",
                ";!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~"})
        void chunkExtensionsAreAcceptedAndSkipped(String extension) throws Exception {
            Decoded d = chunked("5" + extension + "\r\nhello\r\n0" + extension + "\r\n\r\n");
            assertEquals("hello", d.body());
            assertEquals("", d.rest());
        }

        @Test
        void trailersAreReadAndExposed() throws Exception {
            Decoded d = chunked("5\r\nhello\r\n0\r\nX-Checksum: abc123\r\nX-Other:   spaced \r\nx-checksum: again\r\n\r\n");
            assertEquals("hello", d.body());
            assertEquals(3, d.trailers().size());
            assertEquals("abc123", d.trailers().get("X-Checksum"));
            assertEquals("spaced", d.trailers().get("x-other"));
            assertEquals(List.of("abc123", "again"), d.trailers().getAll("X-Checksum"));
            assertNull(d.trailers().get("Missing"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"Content-Length: 5", "Transfer-Encoding: chunked", "Host: evil.example", "Trailer: X-A",
                "content-type: text/html", "Authorization: Basic Zm9vOmJhcg==", "Connection: close", "Expect: 100-continue",
                "TE: trailers", "Cookie: a=b", "If-None-Match: \"x\"", "Range: bytes=0-1", "Content-Encoding: gzip"})
        void fieldsForbiddenInTrailersAreDropped(String forbidden) throws Exception {
            String next = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";
            Decoded d = chunked("5\r\nhello\r\n0\r\nX-Before: 1\r\n" + forbidden + "\r\nX-After: 2\r\n\r\n" + next);
            assertEquals("hello", d.body());
            assertEquals(2, d.trailers().size(), d.trailers().toString());
            assertEquals("1", d.trailers().get("X-Before"));
            assertEquals("2", d.trailers().get("X-After"));
            assertEquals(next, d.rest(), "the connection is positioned at the next request");
        }

        @Test
        void streamEndsExactlyAfterTheLastChunkWithoutTrailers() throws Exception {
            String next = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";
            assertEquals(next, chunked("3\r\nabc\r\n0\r\n\r\n" + next).rest());
        }

        @Test
        void streamEndsExactlyAfterTheTrailers() throws Exception {
            String next = "POST /next HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nZ";
            Decoded d = chunked("3\r\nabc\r\n0;ext=1\r\nX-T: 1\r\n\r\n" + next);
            assertEquals("abc", d.body());
            assertEquals("1", d.trailers().get("X-T"));
            assertEquals(next, d.rest());
        }

        @Test
        void bodyOfExactlyTheLimitIsAccepted() throws Exception {
            assertEquals("helloworld", chunked(HttpLimits.defaults().withMaxBodySize(10),
                    "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n").body());
        }

        @Test
        void zeroLengthReadReturnsZero() throws Exception {
            ConnectionInput in = connectionInput(bytes("1\r\na\r\n0\r\n\r\n"), new Random(1));
            ChunkedInputStream body = new ChunkedInputStream(in, HttpLimits.defaults(), 1000);
            assertEquals(0, body.read(new byte[4], 0, 0));
            assertEquals('a', body.read());
            assertEquals(-1, body.read());
        }

        @Test
        void oneBytePerChunkIsAcceptedHoweverLong() throws Exception {
            // five bytes of framing per byte of data: fair for a client that streams
            String data = "x".repeat(5_000);
            StringBuilder wire = new StringBuilder();
            for (char c : data.toCharArray()) wire.append("1\r\n").append(c).append("\r\n");
            assertEquals(data, chunked(wire + "0\r\n\r\n").body());
        }

        @Test
        void extensionsAreAcceptedWhileTheDataPaysForThem() throws Exception {
            // 1 KiB of extensions per 1 KiB chunk: within the 16 bytes plus twice the data each chunk may carry
            String ext = ";a=" + "v".repeat(1000);
            String data = "d".repeat(1024);
            String wire = ("400" + ext + "\r\n" + data + "\r\n").repeat(40) + "0\r\n\r\n";
            assertEquals(40 * 1024, chunked(wire).body().length());
        }

        @Test
        void extensionOfExactlyTheLimitIsAccepted() throws Exception {
            String ext = ";a=" + "v".repeat(13); // 16 characters
            assertEquals("hello", chunked(HttpLimits.defaults().withMaxChunkExtensionLength(16),
                    "5" + ext + "\r\nhello\r\n0\r\n\r\n").body());
        }
    }

    // ---------------------------------------------------------------------------------------------
    @Nested
    class InvalidChunkedBodies {

        @Test
        void droppedTrailerFieldsStillCountAgainstTheFieldLimit() throws Exception {
            assertFails(431, in -> new ChunkedInputStream(in, HttpLimits.defaults().withMaxHeaderCount(2), 1000),
                    "1\r\na\r\n0\r\nHost: a\r\nHost: b\r\nHost: c\r\n\r\n");
        }

        static Stream<Arguments> malformed() {
            return Stream.of(
                    // chunk size
                    arguments("non-hex size", "z\r\nhello\r\n0\r\n\r\n"),
                    arguments("0x prefix", "0x5\r\nhello\r\n0\r\n\r\n"),
                    arguments("negative size", "-5\r\nhello\r\n0\r\n\r\n"),
                    arguments("plus sign", "+5\r\nhello\r\n0\r\n\r\n"),
                    arguments("leading whitespace", " 5\r\nhello\r\n0\r\n\r\n"),
                    arguments("empty size line", "\r\nhello\r\n0\r\n\r\n"),
                    arguments("two numbers", "5 5\r\nhello\r\n0\r\n\r\n"),
                    arguments("size overflowing a long", "10000000000000000\r\nhello\r\n0\r\n\r\n"),
                    arguments("sixteen hex digits", "ffffffffffffffff\r\nhello\r\n0\r\n\r\n"),
                    // line ends and chunk data framing
                    arguments("bare LF after size", "5\nhello\r\n0\r\n\r\n"),
                    arguments("bare CR after size", "5\rhello\r\n0\r\n\r\n"),
                    arguments("bare LF after data", "5\r\nhello\n0\r\n\r\n"),
                    arguments("bare LF after the last chunk", "5\r\nhello\r\n0\n\r\n"),
                    arguments("data longer than its size", "5\r\nhelloX\r\n0\r\n\r\n"),
                    arguments("data shorter than its size", "5\r\nhell\r\n0\r\n\r\n"),
                    arguments("no CRLF between data and next size", "5\r\nhello0\r\n\r\n"),
                    arguments("LF CR instead of CRLF after data", "5\r\nhello\n\r0\r\n\r\n"),
                    // chunk extensions
                    arguments("semicolon without a name", "5;\r\nhello\r\n0\r\n\r\n"),
                    arguments("extension without a name", "5;=v\r\nhello\r\n0\r\n\r\n"),
                    arguments("extension with empty value", "5;a=\r\nhello\r\n0\r\n\r\n"),
                    arguments("unterminated quoted value", "5;a=\"open\r\nhello\r\n0\r\n\r\n"),
                    arguments("quoted value ending in a backslash", "5;a=\"open\\\r\nhello\r\n0\r\n\r\n"),
                    arguments("control character in quoted value", "5;a=\"x\u0001\"\r\nhello\r\n0\r\n\r\n"),
                    arguments("space inside extension name", "5;a b\r\nhello\r\n0\r\n\r\n"),
                    arguments("space inside extension value", "5;a=b c\r\nhello\r\n0\r\n\r\n"),
                    arguments("garbage after size", "5 x\r\nhello\r\n0\r\n\r\n"),
                    arguments("separator in extension name", "5;a@b=c\r\nhello\r\n0\r\n\r\n"),
                    arguments("extension longer than the line buffer", "5;a=" + "v".repeat(4000) + "\r\nhello\r\n0\r\n\r\n"),
                    // trailers
                    arguments("bare LF in trailer section", "0\r\nX: y\n\r\n"),
                    arguments("bare LF ending trailer section", "0\r\n\n"),
                    arguments("bare CR in trailer", "0\r\nX: y\rz\r\n\r\n"),
                    arguments("obs-fold in trailer", "0\r\nX: y\r\n z\r\n\r\n"),
                    arguments("whitespace before colon in trailer", "0\r\nX : y\r\n\r\n"),
                    arguments("trailer without colon", "0\r\nNoColon\r\n\r\n"),
                    arguments("control character in trailer value", "0\r\nX: a\u0000b\r\n\r\n"),
                    // truncated input
                    arguments("nothing at all", ""),
                    arguments("EOF inside size", "5"),
                    arguments("EOF between CR and LF of size line", "5\r"),
                    arguments("EOF inside data", "5\r\nhel"),
                    arguments("EOF right after data", "5\r\nhello"),
                    arguments("EOF between CR and LF after data", "5\r\nhello\r"),
                    arguments("EOF before the last chunk", "5\r\nhello\r\n"),
                    arguments("EOF inside extension", "5;a=\"x"),
                    arguments("EOF after the last chunk", "5\r\nhello\r\n0\r\n"),
                    arguments("EOF inside a trailer", "0\r\nX-T: 1"),
                    arguments("EOF after a trailer", "0\r\nX-T: 1\r\n"),
                    arguments("EOF inside the final CRLF", "0\r\n\r"));
        }

        @ParameterizedTest(name = "400 for {0}")
        @MethodSource("malformed")
        void isRefusedWith400(String description, String wire) {
            assertChunkedFails(400, HttpLimits.defaults(), wire);
        }

        @Test
        void extensionOverTheLimitIs400() {
            HttpLimits limits = HttpLimits.defaults().withMaxChunkExtensionLength(16);
            assertChunkedFails(400, limits, "5;a=" + "v".repeat(14) + "\r\nhello\r\n0\r\n\r\n");
            assertChunkedFails(400, limits, "0;a=" + "v".repeat(100) + "\r\n\r\n");
        }

        @Test
        void sizeLinesPaddedWithExtensionsOutgrowingTheirDataAre400() {
            // each chunk: 1 byte of data, over 1000 bytes of framing; refused once the excess passes 16 KiB
            String chunk = "1;e=" + "v".repeat(1000) + "\r\nx\r\n";
            int chunks = ChunkedInputStream.MAX_FRAMING_EXCESS / 1000 + 2;
            assertChunkedFails(400, HttpLimits.defaults(), chunk.repeat(chunks) + "0\r\n\r\n");
        }

        @Test
        void bodyOverTheLimitIs413() {
            HttpLimits limits = HttpLimits.defaults().withMaxBodySize(8);
            assertChunkedFails(413, limits, "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n");
            assertChunkedFails(413, limits, "9\r\n123456789\r\n0\r\n\r\n");
        }

        @Test
        void hugeDeclaredChunkIs413BeforeAnyDataIsRead() {
            assertChunkedFails(413, HttpLimits.defaults(), "fffffffffffffff\r\nhello");
        }

        @Test
        void trailerSectionOverTheLimitIs431() {
            HttpLimits limits = HttpLimits.defaults().withMaxHeaderSectionSize(32);
            assertChunkedFails(431, limits, "5\r\nhello\r\n0\r\nX-Big: " + "v".repeat(40) + "\r\n\r\n");
            assertChunkedFails(431, limits, "0\r\nA: 1234567890\r\nB: 1234567890\r\nC: 1234567890\r\n\r\n");
        }

        @Test
        void tooManyTrailerFieldsIs431() {
            assertChunkedFails(431, HttpLimits.defaults().withMaxHeaderCount(2), "0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n");
        }
    }

    // ---------------------------------------------------------------------------------------------
    @Nested
    class FixedLengthBodies {

        private Decoded fixed(long length, String wire) throws IOException {
            return decode(wire, in -> new FixedLengthInputStream(in, length, 1000));
        }

        @Test
        void readsExactlyTheDeclaredLengthAndLeavesTheRest() throws Exception {
            Decoded d = fixed(11, "hello world" + "GET / HTTP/1.1\r\n\r\n");
            assertEquals("hello world", d.body());
            assertEquals("GET / HTTP/1.1\r\n\r\n", d.rest());
        }

        @Test
        void bodyLargerThanEveryBuffer() throws Exception {
            String data = "0123456789".repeat(1000);
            assertEquals(data, fixed(data.length(), data + "NEXT").body());
        }

        @Test
        void zeroLengthIsImmediatelyAtItsEnd() throws Exception {
            Decoded d = fixed(0, "NEXT");
            assertEquals("", d.body());
            assertEquals("NEXT", d.rest());
        }

        @Test
        void earlyEndOfStreamIs400() {
            assertFails(400, in -> new FixedLengthInputStream(in, 10, 1000), "short");
            assertFails(400, in -> new FixedLengthInputStream(in, 1, 1000), "");
        }

        @Test
        void availableNeverReachesPastTheBody() throws Exception {
            ConnectionInput in = connectionInput(bytes("abcNEXT"), new Random(7));
            in.fill(1000);
            while (in.available() < 7) in.fill(1000);
            FixedLengthInputStream body = new FixedLengthInputStream(in, 3, 1000);
            assertEquals(3, body.available());
            byte[] b = new byte[10];
            assertEquals(3, body.read(b, 0, 10));
            assertArrayEquals(bytes("abc"), Arrays.copyOf(b, 3));
            assertEquals(0, body.available());
            assertEquals(-1, body.read(b, 0, 10));
        }
    }

    /**
     * {@link ChunkedInputStream#dataLeftIfArrived}: whether the rest of a body is in a buffer already,
     * as the connection asks before it promises keep-alive for a response to a request whose body
     * the application has not read (the bytes after the body, the next request, are not counted).
     */
    @Nested
    class WhetherTheRestHasArrived {

        private static final String BODY = "5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\n";
        private static final String NEXT = "GET /next HTTP/1.1\r\n";

        private static byte[] ascii(String s) {
            return s.getBytes(StandardCharsets.US_ASCII);
        }

        /** A decoder that has read nothing (its input is never used). */
        private static ChunkedInputStream unread() {
            return new ChunkedInputStream(connectionInput(new byte[0], new Random(1)), HttpLimits.defaults(), 1000);
        }

        @Test
        void aWholeBodyIsSeenWithItsDataSizeWhateverFollowsIt() {
            byte[] both = ascii(BODY + NEXT);
            assertEquals(8, unread().dataLeftIfArrived(both, 0, both.length));
            assertEquals(8, unread().dataLeftIfArrived(both, 0, BODY.length()));
        }

        @Test
        void aBodyCutAnywhereShortOfItsEndHasNotArrived() {
            byte[] body = ascii(BODY);
            for (int cut = 0; cut < body.length; cut++) {
                assertEquals(-1, unread().dataLeftIfArrived(body, 0, cut), "cut after " + cut + " bytes");
            }
        }

        @Test
        void bareLineFeedsAndNoTrailersAndAnEmptyBody() {
            byte[] bare = ascii("2\nab\n0\n\n");
            assertEquals(2, unread().dataLeftIfArrived(bare, 0, bare.length));
            byte[] empty = ascii("0\r\n\r\n");
            assertEquals(0, unread().dataLeftIfArrived(empty, 0, empty.length));
        }

        /**
         * A chunk size with 15 or more leading zeros (the reader takes any number) is read whole: its
         * first 15 digits alone read as the last chunk, so a body of any size seemed arrived and
         * empty, and keep-alive was promised for a body the drain then could not take.
         */
        @Test
        void aChunkSizeWithManyLeadingZerosIsReadWhole() {
            byte[] whole = ascii("0000000000000000005\r\nhello\r\n0\r\n\r\n");
            assertEquals(5, unread().dataLeftIfArrived(whole, 0, whole.length));
            byte[] cut = ascii("0000000000000000400\r\n" + "x".repeat(100) + "\r\n0\r\n\r\n");
            assertEquals(-1, unread().dataLeftIfArrived(cut, 0, cut.length), "1024 data bytes, 100 arrived");
        }

        @Test
        void whatIsNotAChunkedBodyHasNotArrived() {
            for (String wire : List.of("zz\r\n\r\n", "\r\n0\r\n\r\n", "ffffffffffffffffff\r\n")) {
                byte[] b = ascii(wire);
                assertEquals(-1, unread().dataLeftIfArrived(b, 0, b.length), wire);
            }
        }

        /** After the reader took some of it (inside a chunk, at a chunk's end before its CRLF), the rest is seen from there. */
        @Test
        void afterPartOfItWasReadTheRestIsSeenFromWhereTheReaderIs() throws IOException {
            for (int taken : new int[] {1, 4, 5, 6, 8}) {
                byte[] wire = ascii(BODY + NEXT);
                PieceTransport transport = new PieceTransport(wire, new Random(taken), wire.length); // may come in pieces
                ConnectionInput in = new ConnectionInput(transport, new ConnectionOutput(transport, 64), 4096, 4096);
                ChunkedInputStream body = new ChunkedInputStream(in, HttpLimits.defaults(), 1000);
                byte[] data = new byte[taken];
                for (int n = 0; n < taken; ) n += body.read(data, n, taken - n); // a read stops at its chunk's end
                while (in.fill(1000) > 0) {
                    // everything else into the buffer: the question is then only where the reader is
                }
                assertEquals(8 - taken, body.dataLeftIfArrived(in.buf, in.pos, in.limit), "after " + taken + " data bytes");
            }
        }
    }
}
