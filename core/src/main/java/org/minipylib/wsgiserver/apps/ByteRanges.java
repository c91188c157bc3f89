package org.minipylib.wsgiserver.apps;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A {@code Range: bytes=...} header field (RFC 9110 section 14.1.2) read against a representation of
 * a known length: the ranges to send, coalesced, in the order the client asked for them.
 *
 * <p>Guarded as section 14.2 allows and section 17.15 (denial of service using Range) advises, the
 * way Apache's {@code MaxRanges} and nginx's checks do: a field of more than {@link #MAX_RANGES}
 * ranges, or whose satisfiable ranges add up to more bytes than the representation has (the shape
 * of CVE-2011-3192's {@code bytes=0-,5-0,5-1,...}), is ignored, and the whole representation is sent
 * ({@code 200}): always a correct answer to a Range, where a {@code 416} would say that no range
 * could be satisfied. Overlapping and adjacent ranges are merged (section 14.2 allows it in any
 * order), so no byte is sent twice.
 *
 * <p>The grammar is section 14.1.2's: optional whitespace (SP, HTAB) only at the field's ends and
 * around the commas of the range set, empty list elements allowed (section 5.6.1). A range-spec with
 * whitespace inside ({@code 0 - 9}, which nginx takes) or right after {@code bytes=} makes the field
 * invalid, and it is ignored like any other.
 */
final class ByteRanges {

    /** The most ranges one field may ask for; beyond it the field is ignored. */
    static final int MAX_RANGES = 32;

    /** One satisfiable range, {@code first} to {@code last} inclusive. */
    record Range(long first, long last) {

        long length() {
            return last - first + 1;
        }

        /** The {@code Content-Range} value of this range of a representation of {@code size} bytes. */
        String contentRange(long size) {
            return "bytes " + first + "-" + last + "/" + size;
        }
    }

    /** A range with where its first range-spec stood in the field, to keep the client's order through merging. */
    private record Asked(Range range, int order) {
    }

    private ByteRanges() {
    }

    /**
     * The ranges {@code field} asks of a representation of {@code length} bytes: overlapping and
     * adjacent ones merged, unsatisfiable ones left out, in the order the client named them (a
     * merged range where its first member stood). An empty list if none can be satisfied ({@code
     * 416}); null if the field is to be ignored and the whole representation sent: not a valid
     * {@code bytes} range set, too many ranges or too many bytes (see the class comment), or an
     * empty representation.
     */
    static List<Range> parse(String field, long length) {
        String f = withoutOws(field);
        if (!f.regionMatches(true, 0, "bytes=", 0, 6) || length == 0) return null;
        List<Asked> asked = new ArrayList<>();
        int specs = 0;
        long total = 0;
        String[] elements = f.substring(6).split(",", -1);
        for (int i = 0; i < elements.length; i++) {
            String spec = withoutOws(elements[i]);
            if (spec.isEmpty()) continue; // an empty list element (section 5.6.1)
            if (i == 0 && isOws(elements[0].charAt(0))) return null; // "bytes= 0-9": OWS goes only around commas
            if (++specs > MAX_RANGES) return null;
            long[] span = span(spec, length);
            if (span == null) return null; // one invalid range-spec: the field is invalid
            if (span.length == 0) continue; // unsatisfiable, others may be
            Range range = new Range(span[0], span[1]);
            if (range.length() > length - total) return null; // total + length() > length, which could overflow
            total += range.length();
            asked.add(new Asked(range, asked.size()));
        }
        if (specs == 0) return null;
        return merged(asked);
    }

    /**
     * One range-spec against {@code length} bytes: {@code {first, last}}; an empty array if it
     * cannot be satisfied; null if it is not a valid range-spec.
     */
    private static long[] span(String spec, long length) {
        int dash = spec.indexOf('-');
        if (dash < 0) return null;
        String before = spec.substring(0, dash); // no whitespace inside a range-spec: "0 - 9" is invalid
        String after = spec.substring(dash + 1);
        if (before.isEmpty()) { // suffix-range: the last bytes
            long suffix = digits(after);
            if (suffix < 0) return null;
            return suffix == 0 ? new long[0] : new long[] {Math.max(0, length - suffix), length - 1};
        }
        long first = digits(before);
        long last = after.isEmpty() ? Long.MAX_VALUE : digits(after);
        if (first < 0 || last < 0 || last < first) return null;
        // both saturated at Long.MAX_VALUE: last may still be below first, an invalid range-spec (not an unsatisfiable one)
        if (first == Long.MAX_VALUE && !after.isEmpty() && decimalOrder(after, before) < 0) return null;
        if (first >= length) return new long[0];
        return new long[] {first, Math.min(last, length - 1)};
    }

    /** The ranges merged where they overlap or touch, each merged one at the first place any of its members was asked. */
    private static List<Range> merged(List<Asked> asked) {
        List<Asked> byStart = new ArrayList<>(asked);
        byStart.sort(Comparator.comparingLong(a -> a.range().first()));
        List<Asked> merged = new ArrayList<>();
        for (Asked next : byStart) {
            Asked last = merged.isEmpty() ? null : merged.getLast();
            if (last != null && next.range().first() <= last.range().last() + 1) {
                Range joined = new Range(last.range().first(), Math.max(last.range().last(), next.range().last()));
                merged.set(merged.size() - 1, new Asked(joined, Math.min(last.order(), next.order())));
            } else {
                merged.add(next);
            }
        }
        merged.sort(Comparator.comparingInt(Asked::order));
        return merged.stream().map(Asked::range).toList();
    }

    /** {@code s} without the optional whitespace (SP and HTAB, RFC 9110 section 5.6.3) at its ends. */
    private static String withoutOws(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isOws(s.charAt(start))) start++;
        while (end > start && isOws(s.charAt(end - 1))) end--;
        return s.substring(start, end);
    }

    private static boolean isOws(char c) {
        return c == ' ' || c == '\t';
    }

    /** The order of two strings of digits by their values, however many digits (leading zeros included). */
    private static int decimalOrder(String a, String b) {
        String x = a.substring(leadingZeros(a));
        String y = b.substring(leadingZeros(b));
        return x.length() != y.length() ? Integer.compare(x.length(), y.length()) : x.compareTo(y);
    }

    private static int leadingZeros(String digits) {
        int i = 0;
        while (i < digits.length() && digits.charAt(i) == '0') i++;
        return i;
    }

    /** The value of an unsigned decimal (saturated at {@code Long.MAX_VALUE}), or -1 if {@code s} is not one. */
    private static long digits(String s) {
        if (s.isEmpty()) return -1;
        long value = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') return -1;
            int digit = c - '0';
            value = value > (Long.MAX_VALUE - digit) / 10 ? Long.MAX_VALUE : value * 10 + digit; // exact up to the saturation
        }
        return value;
    }
}
