package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** HTTP-dates: IMF-fixdate out; all three forms of RFC 9110 section 5.6.7 in, anything else refused. */
class HttpDateTest {

    private static final Instant EXAMPLE = Instant.parse("1994-11-06T08:49:37Z");

    @Test
    void formatsImfFixdate() {
        assertEquals("Sun, 06 Nov 1994 08:49:37 GMT", HttpDate.format(EXAMPLE.getEpochSecond()));
        assertEquals("Tue, 02 Jan 2024 03:04:05 GMT", HttpDate.format(Instant.parse("2024-01-02T03:04:05Z").getEpochSecond()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
            " Sun, 06 Nov 1994 08:49:37 GMT "})
    void parsesTheThreeForms(String text) {
        assertEquals(EXAMPLE, HttpDate.parse(text));
    }

    @Test
    void aTwoDigitYearIsNeverMoreThanFiftyYearsAhead() {
        assertEquals(Instant.parse("2024-01-02T03:04:05Z"), HttpDate.parse("Tuesday, 02-Jan-24 03:04:05 GMT"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "yesterday", "Mon, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT", "1994-11-06T08:49:37Z", "Sun, 06 Nov 1994 25:49:37 GMT",
            // dates that do not exist, which a lenient parser moves to one that does (31 Feb to 3 Mar or 28 Feb)
            "Tue, 31 Feb 2026 08:49:37 GMT", "Sat, 29 Feb 2025 08:49:37 GMT", "Saturday, 31-Apr-27 08:49:37 GMT",
            "Sat Feb 31 08:49:37 2026", "Sun, 06 Nov 1994 24:00:00 GMT",
            // a year of other than four digits, signed or longer (found by HttpDateFuzzTest)
            "Thu, 04 Apr -947987 02:51:15 GMT", "Sat, 01 Jan +10000 00:00:00 GMT", "Sat, 01 Jan 10000 00:00:00 GMT",
            "Sat Jan  1 00:00:00 +10000", "Fri Jan  1 00:00:00 -0001", "Thu, 06 Nov 994 08:49:37 GMT", "Sat Jan  1 00:00:00 10000"})
    void refusesAnythingElse(String text) {
        assertNull(HttpDate.parse(text));
    }
}
