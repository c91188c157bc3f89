package org.minipylib.wsgiserver.http;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes {@link PercentDecoder#decodePath} on any request path (characters are bytes, ISO-8859-1):
 * only its {@link BadRequestException} may come out; the result is no longer than the path, starts
 * with {@code /} when the path does, has no dot segment left, and is what dot-segment removal leaves
 * unchanged; in it a {@code %} with two hex digits is always {@code %2F} or {@code %25} (so no two
 * paths share a PATH_INFO); and the result, percent-encoded again, decodes to itself.
 * A normal build replays the seed corpus; {@code JAZZER_FUZZ=1} fuzzes (see docs/http-compliance.md).
 */
class PercentDecoderFuzzTest {

    @FuzzTest(maxDuration = "10s")
    @DictionaryEntries({"%2F", "%2f", "%25", "%2E", "%2e", "/./", "/../", "/..", "%", "%%", "/."})
    void decodePath(FuzzedDataProvider data) {
        String raw = new String(data.consumeRemainingAsBytes(), StandardCharsets.ISO_8859_1);
        String path;
        try {
            path = PercentDecoder.decodePath(raw);
        } catch (BadRequestException e) {
            assertEquals(400, e.status(), "status");
            assertTrue(e.violation() == ComplianceViolation.INVALID_PERCENT_ENCODING
                    || e.violation() == ComplianceViolation.DOT_SEGMENT_ABOVE_ROOT, String.valueOf(e.violation()));
            return;
        } catch (RuntimeException e) {
            throw new AssertionError("only BadRequestException may come out of the decoder", e);
        }
        assertTrue(path.length() <= raw.length(), "longer than the path: " + path);
        assertTrue(path.chars().allMatch(c -> c <= 0xff), "a character that is no byte");
        if (raw.startsWith("/")) {
            assertTrue(path.startsWith("/"), path);
            for (String segment : path.split("/", -1)) {
                assertTrue(!segment.equals(".") && !segment.equals(".."), "a dot segment left in " + path);
            }
        }
        try {
            assertEquals(path, PercentDecoder.removeDotSegments(path), "dot segments removed twice");
        } catch (BadRequestException e) {
            throw new AssertionError("dot segments removed again climb above the root: " + path, e);
        }
        for (int i = path.indexOf('%'); i >= 0; i = path.indexOf('%', i + 1)) {
            if (i + 2 < path.length() && hex(path.charAt(i + 1)) && hex(path.charAt(i + 2))) {
                String escape = path.substring(i, i + 3);
                assertTrue(escape.equals("%2F") || escape.equals("%25"), "an escape " + escape + " in " + path);
            }
        }
        String encoded = encode(path);
        try {
            assertEquals(path, PercentDecoder.decodePath(encoded), "encoded again: " + encoded);
        } catch (BadRequestException e) {
            throw new AssertionError("the result encoded again does not decode: " + encoded, e);
        }
    }

    private static boolean hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    /** A decoded path written as a request path: its escapes kept, every other byte but unreserved ones and '/' encoded. */
    private static String encode(String path) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '%' && i + 2 < path.length() && hex(path.charAt(i + 1)) && hex(path.charAt(i + 2))) {
                sb.append(path, i, i + 3); // %2F or %25: still that
                i += 2;
            } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~/".indexOf(c) >= 0) {
                sb.append(c);
            } else {
                sb.append('%').append(String.format("%02X", (int) c));
            }
        }
        return sb.toString();
    }
}
