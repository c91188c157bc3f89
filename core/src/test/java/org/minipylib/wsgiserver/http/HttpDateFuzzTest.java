package org.minipylib.wsgiserver.http;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes {@link HttpDate#parse} on any text (characters are bytes, ISO-8859-1) and
 * {@link HttpDate#format} on any second of the years 0000 to 9999. {@code format} writes an
 * IMF-fixdate that {@code parse} reads back to the same second. {@code parse} throws nothing, and
 * answers what a model of RFC 9110 section 5.6.7 written with regular expressions answers (the three
 * forms exactly; days that do not exist and day names that do not match refused; a two-digit year
 * more than 50 years ahead a century back), allowing for what {@code parse} tolerates: whitespace
 * around the text and after the comma of the RFC 850 form. Any date it reads formats to an
 * IMF-fixdate that reads back the same; and an IMF-fixdate it reads, {@code java.time}'s
 * {@link DateTimeFormatter#RFC_1123_DATE_TIME} reads to the same instant (one way only: RFC 1123
 * takes forms IMF-fixdate does not, a one-digit day, no day name, other zones).
 * A normal build replays the seed corpus; {@code JAZZER_FUZZ=1} fuzzes (see docs/http-compliance.md).
 */
class HttpDateFuzzTest {

    private static final long MIN = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
    private static final long MAX = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
    private static final String TIME = "([0-9]{2}):([0-9]{2}):([0-9]{2})";
    private static final String MONTH = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
    private static final Pattern IMF_FIXDATE =
            Pattern.compile("(Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) " + MONTH + " ([0-9]{4}) " + TIME + " GMT");
    private static final Pattern RFC_850 = Pattern.compile(
            "(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), ([0-9]{2})-" + MONTH + "-([0-9]{2}) " + TIME + " GMT");
    private static final Pattern ASCTIME = Pattern.compile("(Mon|Tue|Wed|Thu|Fri|Sat|Sun) " + MONTH + " ([0-9]{2}| [0-9]) " + TIME + " ([0-9]{4})");
    private static final List<String> MONTHS = List.of("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec");
    private static final List<String> DAYS = List.of("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday");

    @FuzzTest(maxDuration = "10s")
    @DictionaryEntries({"Sun, ", "Sunday, ", " GMT", "Feb", "29", "31", "1994", "-94", " 6 ", "23:59:59", "24:00:00", ":60", "+1", "-0",
            "Thursday", "Thu Jan  1"})
    void parse(FuzzedDataProvider data) {
        long second = data.consumeLong(MIN, MAX);
        String text = new String(data.consumeRemainingAsBytes(), StandardCharsets.ISO_8859_1);

        String formatted = HttpDate.format(second);
        assertTrue(IMF_FIXDATE.matcher(formatted).matches(), "formatted " + second + " as " + formatted);
        assertEquals(Instant.ofEpochSecond(second), parse(formatted), formatted + " read back");

        Instant parsed = parse(text);
        assertEquals(model(tolerated(text)), parsed, "the model's reading of " + text);
        if (parsed == null) return;
        String again = HttpDate.format(parsed.getEpochSecond());
        assertTrue(IMF_FIXDATE.matcher(again).matches(), text + " formatted as " + again);
        assertEquals(parsed, parse(again), again + " read back");
        String t = text.trim();
        if (t.length() > 3 && t.charAt(3) == ',') {
            Instant rfc1123;
            try {
                rfc1123 = DateTimeFormatter.RFC_1123_DATE_TIME.parse(t, Instant::from);
            } catch (DateTimeParseException e) {
                throw new AssertionError("RFC_1123_DATE_TIME refuses " + t + ", which HttpDate reads as " + parsed, e);
            }
            assertEquals(rfc1123, parsed, "RFC_1123_DATE_TIME against HttpDate: " + t);
        }
    }

    private static Instant parse(String text) {
        try {
            return HttpDate.parse(text);
        } catch (RuntimeException e) {
            throw new AssertionError("HttpDate.parse threw on " + text, e);
        }
    }

    /** The text as {@link HttpDate#parse} takes it: without whitespace around, and in the RFC 850 form one space after the comma. */
    private static String tolerated(String text) {
        String t = text.trim();
        int comma = t.indexOf(',');
        if (comma > 3) t = t.substring(0, comma + 1) + " " + t.substring(comma + 1).trim();
        return t;
    }

    /** The instant of an HTTP-date in one of the three forms exactly, or null. */
    private static Instant model(String text) {
        Matcher m;
        if ((m = IMF_FIXDATE.matcher(text)).matches()) {
            return instant(m.group(1), Integer.parseInt(m.group(4)), m.group(3), m.group(2), m.group(5), m.group(6), m.group(7));
        }
        if ((m = RFC_850.matcher(text)).matches()) {
            int year = 2000 + Integer.parseInt(m.group(4));
            Instant instant = instant(null, year, m.group(3), m.group(2), m.group(5), m.group(6), m.group(7));
            if (instant == null) return null;
            // section 5.6.7: a two-digit year more than 50 years in the future is the most recent past year with those digits
            if (LocalDateTime.ofInstant(instant, ZoneOffset.UTC).isAfter(LocalDateTime.now(ZoneOffset.UTC).plusYears(50))) year -= 100;
            return instant(m.group(1).substring(0, 3), year, m.group(3), m.group(2), m.group(5), m.group(6), m.group(7));
        }
        if ((m = ASCTIME.matcher(text)).matches()) {
            return instant(m.group(1), Integer.parseInt(m.group(7)), m.group(2), m.group(3).trim(), m.group(4), m.group(5), m.group(6));
        }
        return null;
    }

    /** The instant, or null if there is no such date or time, or the day name (if any, 3 letters) is not that date's. */
    private static Instant instant(String dayName, int year, String month, String day, String hour, String minute, String second) {
        LocalDate date;
        try {
            date = LocalDate.of(year, MONTHS.indexOf(month) + 1, Integer.parseInt(day));
        } catch (DateTimeException e) {
            return null;
        }
        int h = Integer.parseInt(hour);
        int min = Integer.parseInt(minute);
        int s = Integer.parseInt(second);
        if (h > 23 || min > 59 || s > 59) return null;
        if (dayName != null && !DAYS.get(date.getDayOfWeek().ordinal()).startsWith(dayName)) return null;
        return date.atTime(h, min, s).toInstant(ZoneOffset.UTC);
    }
}
