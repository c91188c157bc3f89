package org.minipylib.wsgiserver.http;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.util.EnumSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes {@link RequestParser}: on any bytes it must return a consistent head or throw its own
 * {@link BadRequestException}, strict or with every relaxable rule relaxed, and never anything else.
 * In a normal build this replays the seed corpus (resources, {@code RequestParserFuzzTestInputs});
 * {@code JAZZER_FUZZ=1} fuzzes for real (see docs/http-compliance.md).
 */
class RequestParserFuzzTest {

    private static final HttpLimits STRICT = HttpLimits.defaults().withMaxRequestLineLength(512).withMaxHeaderSectionSize(2048)
            .withMaxHeaderCount(20);
    private static final HttpLimits RELAXED = STRICT.withCompliance(new HttpCompliance(relaxable()));

    private static EnumSet<ComplianceViolation> relaxable() {
        EnumSet<ComplianceViolation> all = EnumSet.noneOf(ComplianceViolation.class);
        for (ComplianceViolation v : ComplianceViolation.values()) if (v.relaxable()) all.add(v);
        return all;
    }

    @FuzzTest(maxDuration = "10s")
    // libFuzzer dictionary syntax: \xNN escapes
    @DictionaryEntries({"GET ", "POST ", "OPTIONS ", "CONNECT ", " HTTP/1.1\\x0D\\x0A", " HTTP/1.0\\x0D\\x0A", "\\x0D\\x0A", "\\x0D\\x0A\\x0D\\x0A", "Host: ",
            "Content-Length: ", "Transfer-Encoding: ", "chunked", "gzip, ", "Connection: close", "Expect: 100-continue",
            "http://", "[::1]", "%2F", "#", "*", ": ", " \\x09", ","})
    void parseHead(FuzzedDataProvider data) {
        int split = data.consumeInt(0, 4096);
        byte[] b = data.consumeRemainingAsBytes();
        int end = RequestParser.findHeadEnd(b, 0, 0, b.length);
        // scanning in two steps (as bytes arrive) finds the same end as one scan
        int cut = Math.min(split, b.length);
        int firstPart = RequestParser.findHeadEnd(b, 0, 0, cut);
        int resumed = firstPart >= 0 ? firstPart : RequestParser.findHeadEnd(b, 0, Math.max(0, cut - 2), b.length);
        assertEquals(end, resumed, "incremental scan");
        if (end < 0) return;
        RequestHead strict = parseOrNull(STRICT, b, end);
        RequestHead relaxed = parseOrNull(RELAXED, b, end);
        if (strict != null) {
            check(strict);
            assertTrue(relaxed != null, "what strict parsing accepts, relaxed parsing accepts too");
            assertEquals(strict.framing(), relaxed.framing());
            assertEquals(strict.contentLength(), relaxed.contentLength());
        }
        if (relaxed != null) check(relaxed);
    }

    private static RequestHead parseOrNull(HttpLimits limits, byte[] b, int end) {
        try {
            return new RequestParser(limits).parse(b, 0, end);
        } catch (BadRequestException e) {
            assertTrue(e.status() >= 400 && e.status() < 600, "status " + e.status());
            return null;
        }
    }

    private static void check(RequestHead h) {
        assertTrue(!h.method().isEmpty());
        assertTrue(h.path() != null && !h.path().isEmpty());
        switch (h.framing()) {
            case NONE -> assertTrue(h.contentLength() <= 0);
            case CONTENT_LENGTH -> assertTrue(h.contentLength() > 0);
            case CHUNKED -> assertEquals(-1, h.contentLength());
        }
    }
}
