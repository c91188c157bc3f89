package org.minipylib.wsgiserver.http;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes {@link RequestParser}: on any bytes it must return a consistent head or throw its own
 * {@link BadRequestException} with one of the statuses it documents, strict or with every relaxable
 * rule relaxed, and never anything else. A head keeps to the grammar (a token method, a target
 * without whitespace or control bytes, token field names, field values trimmed and free of control
 * characters but HTAB) and its framing to its fields; what strict parsing accepts, relaxed parsing
 * reads the same. A parser that parsed the head before (a second head behind the first, as a
 * pipelining client sends it) reads a head as a new parser does, though it reuses what it remembers.
 * A connection's {@link RequestHeadScanner}, the bytes arriving in two pieces, finds the end of every
 * head the parser accepts and refuses none of them early.
 * In a normal build this replays the seed corpus (resources, {@code RequestParserFuzzTestInputs});
 * {@code JAZZER_FUZZ=1} fuzzes for real (see docs/http-compliance.md).
 */
class RequestParserFuzzTest {

    private static final HttpLimits STRICT = HttpLimits.defaults().withMaxRequestLineLength(512).withMaxHeaderSectionSize(2048)
            .withMaxHeaderCount(20);
    private static final HttpLimits RELAXED = STRICT.withCompliance(new HttpCompliance(relaxable()));
    /** The statuses {@link RequestParser#parse} documents. */
    private static final Set<Integer> STATUSES = Set.of(400, 413, 414, 417, 431, 501, 505);

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
        Object strict = outcome(new RequestParser(STRICT), b, 0, end);
        Object relaxed = outcome(new RequestParser(RELAXED), b, 0, end);
        if (strict instanceof RequestHead head) {
            check(head, true);
            assertEquals(describe(strict), describe(relaxed), "what strict parsing accepts, relaxed parsing reads the same");
        }
        if (relaxed instanceof RequestHead head) check(head, false);
        if (relaxed instanceof RequestHead) assertScannerFindsTheEnd(b, cut, end);
        // a second head behind the first: a parser that parsed the first reads it as a new parser does
        int second = RequestParser.findHeadEnd(b, end, end, b.length);
        if (second < 0) return;
        for (HttpLimits limits : new HttpLimits[] {STRICT, RELAXED}) {
            RequestParser used = new RequestParser(limits);
            outcome(used, b, 0, end);
            assertEquals(describe(outcome(new RequestParser(limits), b, end, second)), describe(outcome(used, b, end, second)),
                    "the second head, by the parser of the first");
        }
    }

    /**
     * A connection's scanner, given the bytes in two pieces (as two reads bring them), finds the end
     * of a head the parser accepts and never refuses it early: its refusals before the end (limits,
     * a first line no request can have) must all be heads the parser refuses too.
     */
    private static void assertScannerFindsTheEnd(byte[] b, int cut, int end) {
        RequestHeadScanner scanner = new RequestHeadScanner(RELAXED);
        try {
            int found = cut > 0 ? scanner.findEnd(b, 0, cut) : -1;
            if (found < 0) found = scanner.findEnd(b, 0, b.length);
            assertEquals(end, found, "the scanner's end");
        } catch (BadRequestException e) {
            throw new AssertionError("the scanner refused a head the parser accepts: " + e.getMessage(), e);
        }
    }

    /** The parser's answer: a head or its exception (with a documented status); nothing else may come out. */
    private static Object outcome(RequestParser parser, byte[] b, int start, int end) {
        try {
            return parser.parse(b, start, end);
        } catch (BadRequestException e) {
            assertTrue(STATUSES.contains(e.status()), "status " + e.status() + ": " + e.getMessage());
            return e;
        } catch (RuntimeException e) {
            throw new AssertionError("only BadRequestException may come out of the parser", e);
        }
    }

    /** Everything a head says, or the status, rule and message of a refusal. */
    private static String describe(Object outcome) {
        if (outcome instanceof BadRequestException e) return e.status() + " " + e.violation() + " " + e.getMessage();
        RequestHead h = (RequestHead) outcome;
        return String.join("|", h.method(), h.target(), h.rawPath(), h.path(), String.valueOf(h.query()), h.protocol(),
                String.valueOf(h.host()), h.framing().name(), Long.toString(h.contentLength()), Boolean.toString(h.keepAlive()),
                Boolean.toString(h.expectContinue()), h.headers().toString());
    }

    private static void check(RequestHead h, boolean strict) {
        assertTrue(!h.method().isEmpty() && h.method().chars().allMatch(HttpChars::isTokenChar), "method " + h.method());
        assertTrue(!h.target().isEmpty(), "an empty target");
        for (char c : h.target().toCharArray()) {
            assertTrue(c > 0x20 && c != 0x7f && c <= 0xff, "a whitespace or control byte in the target " + h.target());
            if (strict) assertTrue(c < 0x7f && "\"<>\\^`{|}#".indexOf(c) < 0, "strict parsing let " + c + " into the target");
        }
        assertTrue(h.path() != null && !h.path().isEmpty());
        assertTrue(h.minorVersion() == 0 || h.minorVersion() == 1, "minor version " + h.minorVersion());
        HeaderFields fields = h.headers();
        assertTrue(fields.size() <= STRICT.maxHeaderCount(), fields.size() + " fields");
        for (int i = 0; i < fields.size(); i++) {
            String name = fields.name(i);
            String value = fields.value(i);
            assertTrue(!name.isEmpty() && name.chars().allMatch(HttpChars::isTokenChar), "field name " + name);
            assertTrue(value.chars().allMatch(c -> c == '\t' || (c >= 0x20 && c != 0x7f && c <= 0xff)), "field value " + value);
            assertTrue(value.isEmpty() || (value.charAt(0) > ' ' && value.charAt(value.length() - 1) > ' '), "untrimmed value [" + value + "]");
        }
        if (h.host() != null) assertTrue(RequestParser.isValidHost(h.host()), "host " + h.host());
        if (h.minorVersion() == 1 && strict) assertEquals(1, fields.count("Host"), "strict HTTP/1.1 takes exactly one Host");
        boolean transferEncoding = fields.count("Transfer-Encoding") > 0;
        boolean contentLength = fields.count("Content-Length") > 0;
        assertTrue(!(transferEncoding && contentLength), "both Transfer-Encoding and Content-Length accepted");
        switch (h.framing()) {
            case NONE -> assertTrue(!transferEncoding && h.contentLength() <= 0);
            case CONTENT_LENGTH -> assertTrue(contentLength && h.contentLength() > 0);
            case CHUNKED -> assertTrue(transferEncoding && h.contentLength() == -1);
        }
        if (contentLength && h.framing() != RequestHead.BodyFraming.CHUNKED) {
            long declared = Long.parseLong(fields.get("Content-Length").split(",")[0].trim()); // repeats must agree (relaxed)
            assertEquals(declared, h.contentLength(), "Content-Length against its field");
        }
    }
}
