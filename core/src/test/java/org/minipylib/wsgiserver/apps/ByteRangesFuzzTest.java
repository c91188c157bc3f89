package org.minipylib.wsgiserver.apps;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes {@link ByteRanges#parse} on any {@code Range} value (characters are bytes, ISO-8859-1)
 * against representations of any length, small and near {@code Long.MAX_VALUE}. Nothing may come
 * out but a list or null. A list: every range within {@code [0, length)}, no two overlapping or
 * adjacent, at most {@link ByteRanges#MAX_RANGES} of them, no more bytes than the representation has.
 * The same value with optional whitespace added around its commas (and empty list elements) reads
 * the same. The answer is exactly that of a model written from section 14.1.2 and the class comment:
 * null for a value to ignore (not in the grammar, whose only whitespace is SP/HTAB at the ends and
 * around commas; more than 32 range-specs; more bytes asked than there are; an empty representation),
 * else the union of the satisfiable ranges, merged by a pairwise fixpoint (not a sort and sweep), each
 * merged range where its first member was asked.
 * A normal build replays the seed corpus; {@code JAZZER_FUZZ=1} fuzzes (see docs/http-compliance.md).
 */
class ByteRangesFuzzTest {

    private static final Pattern RANGE = Pattern.compile("([0-9]+)-([0-9]*)");
    private static final Pattern SUFFIX = Pattern.compile("-([0-9]+)");

    @FuzzTest(maxDuration = "10s")
    @DictionaryEntries({"bytes=", "BYTES=", "-", ",", ", ", "\\x09", "0-", "-0", "0-0", "9223372036854775807", "9223372036854775806",
            "18446744073709551616"})
    void parse(FuzzedDataProvider data) {
        long length = switch (data.consumeInt(0, 3)) {
            case 0 -> data.consumeLong(0, 100);
            case 1 -> data.consumeLong(0, 1 << 20);
            case 2 -> Long.MAX_VALUE - data.consumeLong(0, 100);
            default -> data.consumeLong(0, Long.MAX_VALUE);
        };
        Random random = new Random(data.consumeLong());
        String field = new String(data.consumeRemainingAsBytes(), StandardCharsets.ISO_8859_1);

        List<ByteRanges.Range> ranges = parse(field, length);
        if (ranges != null) checkRanges(ranges, length, field);
        else if (!Model.strip(field).regionMatches(true, 0, "bytes=", 0, 6)) assertNull(ranges);

        assertEquals(Model.of(field, length), ranges, "the model's answer to " + field + " of " + length + " bytes");

        String spaced = withWhitespace(field, random);
        if (spaced != null) assertEquals(ranges, parse(spaced, length), "with whitespace: " + spaced);
    }

    private static List<ByteRanges.Range> parse(String field, long length) {
        try {
            return ByteRanges.parse(field, length);
        } catch (RuntimeException e) {
            throw new AssertionError("ByteRanges.parse threw on " + field + " of " + length + " bytes", e);
        }
    }

    private static void checkRanges(List<ByteRanges.Range> ranges, long length, String field) {
        assertTrue(ranges.size() <= ByteRanges.MAX_RANGES, "more than the limit: " + ranges);
        long total = 0;
        for (ByteRanges.Range r : ranges) {
            assertTrue(0 <= r.first() && r.first() <= r.last() && r.last() < length, r + " not within " + length + " bytes: " + field);
            total += r.length();
            assertTrue(total <= length, "more bytes than the representation has: " + ranges);
        }
        for (int i = 0; i < ranges.size(); i++) {
            for (int j = i + 1; j < ranges.size(); j++) {
                ByteRanges.Range a = ranges.get(i);
                ByteRanges.Range b = ranges.get(j);
                assertTrue(a.last() + 1 < b.first() || b.last() + 1 < a.first(), a + " and " + b + " overlap or touch: " + field);
            }
        }
    }

    /**
     * The field with SP/HTAB added at its ends and around each comma of the range-set, and now and
     * then an empty list element: null if it is no {@code bytes=} field (nothing to compare).
     */
    private static String withWhitespace(String field, Random random) {
        String f = Model.strip(field);
        if (!f.regionMatches(true, 0, "bytes=", 0, 6)) return null;
        StringBuilder sb = new StringBuilder(ows(random)).append(f, 0, 6);
        String[] elements = f.substring(6).split(",", -1);
        for (int i = 0; i < elements.length; i++) {
            if (i > 0) sb.append(ows(random)).append(',').append(ows(random));
            if (i > 0 && random.nextInt(4) == 0) sb.append(',').append(ows(random)); // an empty element
            sb.append(elements[i]);
        }
        return sb.append(ows(random)).toString();
    }

    /** Optional whitespace (RFC 9110 section 5.6.3), none to three characters of SP and HTAB; AcceptEncodingFuzzTest's too. */
    static String ows(Random random) {
        return switch (random.nextInt(4)) {
            case 0 -> "";
            case 1 -> " ";
            case 2 -> "\t";
            default -> " \t ";
        };
    }

    /** The answer by the RFC: the ranges, or null for a field to ignore. */
    private static final class Model {

        /** A range asked for, at the position of its first member. */
        private record Asked(BigInteger first, BigInteger last, int order) {
        }

        static List<ByteRanges.Range> of(String field, long length) {
            String f = strip(field);
            if (!f.regionMatches(true, 0, "bytes=", 0, 6) || length == 0) return null;
            BigInteger size = BigInteger.valueOf(length);
            List<Asked> asked = new ArrayList<>();
            int specs = 0;
            boolean invalid = false;
            BigInteger total = BigInteger.ZERO;
            String set = f.substring(6);
            // 1#range-spec read as section 5.6.1 has recipients read it: [ element ] *( OWS "," OWS [ element ] )
            String[] elements = set.split(",", -1);
            for (int i = 0; i < elements.length; i++) {
                String spec = strip(elements[i]);
                if (spec.isEmpty()) continue; // an empty list element
                if (i == 0 && !elements[i].startsWith(spec)) invalid = true; // OWS before the first element: not next to a comma
                specs++;
                Matcher range = RANGE.matcher(spec);
                Matcher suffix = SUFFIX.matcher(spec);
                BigInteger first;
                BigInteger last;
                if (range.matches()) {
                    first = new BigInteger(range.group(1));
                    last = range.group(2).isEmpty() ? null : new BigInteger(range.group(2));
                    if (last != null && last.compareTo(first) < 0) {
                        invalid = true;
                        continue;
                    }
                    if (first.compareTo(size) >= 0) continue; // unsatisfiable
                    last = last == null ? size.subtract(BigInteger.ONE) : last.min(size.subtract(BigInteger.ONE));
                } else if (suffix.matches()) {
                    BigInteger n = new BigInteger(suffix.group(1));
                    if (n.signum() == 0) continue; // unsatisfiable
                    first = size.subtract(n).max(BigInteger.ZERO);
                    last = size.subtract(BigInteger.ONE);
                } else {
                    invalid = true; // whitespace inside too: "0 - 5"
                    continue;
                }
                total = total.add(last.subtract(first).add(BigInteger.ONE));
                asked.add(new Asked(first, last, asked.size()));
            }
            if (invalid || specs == 0 || specs > ByteRanges.MAX_RANGES || total.compareTo(size) > 0) return null;
            return merged(asked);
        }

        /** Merges any two ranges that overlap or touch until none do; then in the order asked. */
        private static List<ByteRanges.Range> merged(List<Asked> asked) {
            List<Asked> ranges = new ArrayList<>(asked);
            boolean changed = true;
            while (changed) {
                changed = false;
                search:
                for (int i = 0; i < ranges.size(); i++) {
                    for (int j = i + 1; j < ranges.size(); j++) {
                        Asked a = ranges.get(i);
                        Asked b = ranges.get(j);
                        boolean apart = a.last().add(BigInteger.ONE).compareTo(b.first()) < 0
                                || b.last().add(BigInteger.ONE).compareTo(a.first()) < 0;
                        if (!apart) {
                            ranges.set(i, new Asked(a.first().min(b.first()), a.last().max(b.last()), Math.min(a.order(), b.order())));
                            ranges.remove(j);
                            changed = true;
                            break search;
                        }
                    }
                }
            }
            ranges.sort((a, b) -> Integer.compare(a.order(), b.order()));
            return ranges.stream().map(a -> new ByteRanges.Range(a.first().longValueExact(), a.last().longValueExact())).toList();
        }

        /** Without the SP and HTAB at its ends (a field value's OWS). */
        static String strip(String s) {
            int start = 0;
            int end = s.length();
            while (start < end && (s.charAt(start) == ' ' || s.charAt(start) == '\t')) start++;
            while (end > start && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) end--;
            return s.substring(start, end);
        }
    }
}
