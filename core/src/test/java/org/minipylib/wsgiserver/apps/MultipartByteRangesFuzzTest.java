package org.minipylib.wsgiserver.apps;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.minipylib.wsgiserver.FileBody;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes {@link MultipartByteRanges} over a temporary file of fuzzed content and size (up to a few
 * blocks), with any ranges in any order (overlapping ones too: it sends what it is given). The bytes
 * {@link MultipartByteRanges#buffers()} produce number exactly {@link MultipartByteRanges#length()},
 * the same on a second pass, and read back with a multipart parser (RFC 2046 section 5.1.1) written
 * here: the delimiter {@code --boundary} occurs nowhere but at the start of each part and in the close
 * delimiter, each part has exactly its Content-Type, Content-Encoding and a Content-Range naming its
 * range, and its content is the file's bytes at that range. A file cut shorter after the body was
 * measured gives the same bytes up to the first one it lacks, and nothing after.
 * A normal build replays the seed corpus; {@code JAZZER_FUZZ=1} fuzzes (see docs/http-compliance.md).
 */
class MultipartByteRangesFuzzTest {

    private static final int BLOCK = FileBody.DEFAULT_BLOCK_SIZE;
    private static final String[] TYPES = {"text/plain; charset=utf-8", "application/octet-stream", "image/png"};
    private static final String[] CODINGS = {null, "gzip", "br"};
    private static final Path FILE = temporaryFile();

    @FuzzTest(maxDuration = "10s")
    void body(FuzzedDataProvider data) throws IOException {
        int size = data.consumeBoolean() ? data.consumeInt(1, 300) : data.consumeInt(1, 3 * BLOCK + 100);
        String type = TYPES[data.consumeInt(0, TYPES.length - 1)];
        String coding = CODINGS[data.consumeInt(0, CODINGS.length - 1)];
        int count = data.consumeInt(1, ByteRanges.MAX_RANGES + 2);
        List<ByteRanges.Range> ranges = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long a = data.consumeInt(0, size - 1);
            long b = data.consumeBoolean() ? data.consumeInt(0, size - 1) : Math.min(size - 1, a + data.consumeInt(0, 40));
            ranges.add(new ByteRanges.Range(Math.min(a, b), Math.max(a, b)));
        }
        int cutTo = data.consumeBoolean() ? data.consumeInt(0, size - 1) : -1;
        byte[] content = content(data.consumeRemainingAsBytes(), size);
        Files.write(FILE, content);

        try (FileChannel channel = FileChannel.open(FILE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MultipartByteRanges body = MultipartByteRanges.of(channel, ranges, size, type, coding);
            String contentType = body.contentType();
            assertTrue(contentType.matches("multipart/byteranges; boundary=[0-9a-f]{32}"), contentType);
            String boundary = contentType.substring(contentType.indexOf('=') + 1);

            byte[] whole = produced(body);
            assertEquals(body.length(), whole.length, "length() against the bytes produced");
            List<Integer> contentStarts = readBack(whole, boundary, ranges, content, size, type, coding);
            assertArrayEquals(whole, produced(body), "a second pass");

            if (cutTo >= 0) { // the file shrinks after the body was measured
                channel.truncate(cutTo);
                int end = whole.length;
                for (int i = 0; i < ranges.size(); i++) {
                    ByteRanges.Range r = ranges.get(i);
                    if (r.last() >= cutTo) {
                        end = contentStarts.get(i) + (int) Math.max(0, cutTo - r.first());
                        break;
                    }
                }
                assertArrayEquals(Arrays.copyOf(whole, end), produced(body), "cut to " + cutTo + " bytes");
            }
        }
    }

    /** Reads the body as a multipart/byteranges recipient would; where each part's content starts. */
    private static List<Integer> readBack(byte[] body, String boundary, List<ByteRanges.Range> ranges, byte[] content, long size,
            String type, String coding) {
        String text = new String(body, StandardCharsets.ISO_8859_1); // one char a byte
        String dashBoundary = "--" + boundary;
        List<Integer> delimiters = new ArrayList<>();
        for (int i = text.indexOf(dashBoundary); i >= 0; i = text.indexOf(dashBoundary, i + 1)) delimiters.add(i);
        assertEquals(ranges.size() + 1, delimiters.size(), "delimiters: one per part and the close delimiter");
        assertEquals(0, delimiters.getFirst(), "the body starts with the first delimiter");
        List<Integer> starts = new ArrayList<>();
        for (int i = 0; i < ranges.size(); i++) {
            ByteRanges.Range r = ranges.get(i);
            int headStart = delimiters.get(i) + dashBoundary.length();
            int headEnd = text.indexOf("\r\n\r\n", headStart);
            assertTrue(headEnd > 0, "a part without the blank line after its header fields");
            String expectedHead = "\r\nContent-Type: " + type + "\r\n" + (coding == null ? "" : "Content-Encoding: " + coding + "\r\n")
                    + "Content-Range: bytes " + r.first() + "-" + r.last() + "/" + size;
            assertEquals(expectedHead, text.substring(headStart, headEnd), "part " + i);
            int start = headEnd + 4;
            int end = delimiters.get(i + 1) - 2; // the CRLF before a delimiter is the delimiter's
            assertEquals("\r\n", text.substring(end, end + 2), "CRLF before the delimiter after part " + i);
            assertArrayEquals(Arrays.copyOfRange(content, (int) r.first(), (int) r.last() + 1), Arrays.copyOfRange(body, start, end),
                    "the content of part " + i + ", " + r);
            starts.add(start);
        }
        assertEquals(dashBoundary + "--\r\n", text.substring(delimiters.getLast()), "the close delimiter ends the body");
        return starts;
    }

    private static byte[] produced(MultipartByteRanges body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Iterator<ByteBuffer> it = body.buffers(); it.hasNext(); ) {
            ByteBuffer b = it.next();
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            out.writeBytes(bytes);
        }
        return out.toByteArray();
    }

    /** {@code size} bytes: the fuzzed ones, then (if they are fewer) random ones seeded by them. */
    private static byte[] content(byte[] fuzzed, int size) {
        byte[] content = Arrays.copyOf(fuzzed, size);
        if (fuzzed.length < size) {
            byte[] rest = new byte[size - fuzzed.length];
            new Random(Arrays.hashCode(fuzzed)).nextBytes(rest);
            System.arraycopy(rest, 0, content, fuzzed.length, rest.length);
        }
        return content;
    }

    private static Path temporaryFile() {
        try {
            Path file = Files.createTempFile("multipart-byteranges-fuzz", ".bin");
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
