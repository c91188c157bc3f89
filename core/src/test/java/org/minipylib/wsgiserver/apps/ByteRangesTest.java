package org.minipylib.wsgiserver.apps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link ByteRanges#parse} on strings, against a representation of 100 bytes. */
class ByteRangesTest {

    /** The parse written as {@code first-last} ranges joined by {@code ,}; {@code 416} for none; {@code whole} for null. */
    private static String parsed(String field, long length) {
        List<ByteRanges.Range> ranges = ByteRanges.parse(field, length);
        if (ranges == null) return "whole";
        if (ranges.isEmpty()) return "416";
        return ranges.stream().map(r -> r.first() + "-" + r.last()).collect(Collectors.joining(","));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "bytes=0-9 | 0-9", "bytes=90- | 90-99", "bytes=-10 | 90-99", "bytes=-200 | 0-99", "bytes=95-200 | 95-99",
            "BYTES = 0-9 | whole", "Bytes=0-9 | 0-9",
            "bytes=0-9,20-29 | 0-9,20-29", "bytes=20-29,0-9 | 20-29,0-9", "bytes=0-9,10-19 | 0-19", "bytes=0-9,5-14 | 0-14",
            "bytes=50-59,0-9,55-64 | 50-64,0-9", "bytes=10-19,0-4,5-9 | 0-19", "bytes=20-29,0-4,5-9 | 20-29,0-9", "bytes=0-9,,20-29, | 0-9,20-29",
            "bytes=0-9,100-,-0 | 0-9", "bytes=100- | 416", "bytes=-0 | 416", "bytes=100-,200-300 | 416",
            "bytes=0-,0- | whole", "bytes=0-59,40-99 | whole", "bytes=0-49,50-99 | 0-99",
            "bytes=9-0 | whole", "bytes=0-9,x | whole", "bytes=, | whole", "bytes= | whole", "items=0-9 | whole", "bytes=1-2-3 | whole",
            "bytes=99999999999999999999999- | 416", "bytes=0-99999999999999999999999 | 0-99",
            // first and last both beyond a long, last below first: an invalid range-spec, not an unsatisfiable one (found by ByteRangesFuzzTest)
            "bytes=99999999999999999999999-99999999999999999999998,-5 | whole", "bytes=099999999999999999999-99999999999999999999 | 416"})
    void parses(String field, String expected) {
        assertEquals(expected, parsed(field, 100), field);
    }

    /**
     * Optional whitespace only at the ends and around the commas (RFC 9110 sections 14.1.2 and 5.6.1):
     * inside a range-spec, or before the first one, it makes the field invalid, ignored (nginx 1.22
     * takes {@code 0 - 9}; the grammar does not).
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "' bytes=0-9 ' | 0-9", "'bytes=0-9 , 20-29' | 0-9,20-29", "'bytes=0-9,\t20-29\t,' | 0-9,20-29", "'bytes= ,0-9' | 0-9",
            "'bytes=0 - 9' | whole", "'bytes=0 -9' | whole", "'bytes=0- 9' | whole", "'bytes=- 10' | whole", "'bytes=0-\t9' | whole",
            "'bytes= 0-9' | whole", "'bytes=\t-10' | whole", "'bytes=0-9, 2 0-29' | whole", "'bytes=0-9,\u000b' | whole"})
    void whitespaceOnlyAroundCommas(String field, String expected) {
        assertEquals(expected, parsed(field, 100), field);
    }

    @Test
    void limitsTheNumberOfRanges() {
        String atTheLimit = "bytes=" + java.util.stream.IntStream.range(0, ByteRanges.MAX_RANGES)
                .mapToObj(i -> (i * 3) + "-" + (i * 3)).collect(Collectors.joining(","));
        assertEquals(ByteRanges.MAX_RANGES, ByteRanges.parse(atTheLimit, 1000).size());
        assertEquals("whole", parsed(atTheLimit + ",999-999", 1000));
        assertEquals("whole", parsed("bytes=0-0", 0), "an empty file: no ranges");
    }

    /** Found by ByteRangesFuzzTest: the running total overflowed and went negative, under the limit again. */
    @Test
    void limitsTheTotalOfAHugeRepresentation() {
        long huge = Long.MAX_VALUE - 51;
        assertEquals("whole", parsed("bytes=0-99,1-,2-", huge));
        assertEquals("whole", parsed("bytes=-100,0-", huge));
        assertEquals("0-" + (huge - 1), parsed("bytes=0-", huge));
    }

    /** Found by ByteRangesFuzzTest: a position of 19 digits just below Long.MAX_VALUE was read as Long.MAX_VALUE. */
    @Test
    void positionsJustBelowTheLargestLongAreExact() {
        long max = Long.MAX_VALUE;
        assertEquals((max - 1) + "-" + (max - 1), parsed("bytes=9223372036854775806-18446744073709551616", max));
        assertEquals("whole", parsed("bytes=9223372036854775806-18446744073709551616,-99999999999999999999", max),
                "one byte and all of them add up to more than there is");
        assertEquals((max - 2) + "-" + (max - 2), parsed("bytes=9223372036854775805-9223372036854775805", max));
    }
}
