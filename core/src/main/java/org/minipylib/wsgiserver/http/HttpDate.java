package org.minipylib.wsgiserver.http;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.time.format.TextStyle;
import java.time.temporal.ChronoField;
import java.util.Locale;

/**
 * HTTP-dates (RFC 9110 section 5.6.7): the {@code Date} response header line, formatted once a
 * second and shared by all connections (section 6.6.1, IMF-fixdate); {@link #format} for other
 * header fields ({@code Last-Modified}), and {@link #parse} for request fields such as
 * {@code If-Modified-Since}.
 */
public final class HttpDate {

    // STRICT: a date that does not exist (31 Feb, 24:00:00) is no date, not moved to one that does
    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM uuuu HH:mm:ss 'GMT'", Locale.ROOT).withZone(ZoneOffset.UTC)
                    .withResolverStyle(ResolverStyle.STRICT);

    /**
     * IMF-fixdate to parse: as {@link #IMF_FIXDATE}, but the year exactly four digits ({@code uuuu} also
     * reads a signed year of any length, {@code -947987} or {@code +10000}, which no form has).
     */
    private static final DateTimeFormatter IMF_FIXDATE_IN = new DateTimeFormatterBuilder().appendPattern("EEE, dd MMM ")
            .appendValue(ChronoField.YEAR, 4).appendPattern(" HH:mm:ss 'GMT'").toFormatter(Locale.ROOT).withZone(ZoneOffset.UTC)
            .withResolverStyle(ResolverStyle.STRICT);

    /** The obsolete RFC 850 form after its day name, {@code 06-Nov-94 08:49:37 GMT} (years 2000 to 2099 here, see {@link #parse}). */
    private static final DateTimeFormatter RFC_850 = DateTimeFormatter.ofPattern("dd-MMM-uu HH:mm:ss 'GMT'", Locale.ROOT)
            .withResolverStyle(ResolverStyle.STRICT);
    /** C's asctime() form, {@code Sun Nov  6 08:49:37 1994} (a four-digit year, as in {@link #IMF_FIXDATE_IN}). */
    private static final DateTimeFormatter ASCTIME =
            new DateTimeFormatterBuilder().appendPattern("EEE MMM ppd HH:mm:ss ").appendValue(ChronoField.YEAR, 4).toFormatter(Locale.ROOT)
                    .withZone(ZoneOffset.UTC).withResolverStyle(ResolverStyle.STRICT);

    private record Cached(long second, String date, byte[] line) {
    }

    private static volatile Cached cached = new Cached(-1, "", new byte[0]);

    private HttpDate() {
    }

    /** {@code "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"} for the current second, as bytes. */
    public static byte[] headerLine() {
        return current().line;
    }

    /** The current second as an IMF-fixdate, the value of {@link #headerLine()}. */
    public static String now() {
        return current().date;
    }

    private static Cached current() {
        long second = System.currentTimeMillis() / 1000;
        Cached c = cached;
        if (c.second != second) {
            String date = format(second);
            c = new Cached(second, date, ("Date: " + date + "\r\n").getBytes(StandardCharsets.US_ASCII));
            cached = c;
        }
        return c;
    }

    /** {@code epochSecond} as an IMF-fixdate, {@code Sun, 06 Nov 1994 08:49:37 GMT}. */
    public static String format(long epochSecond) {
        return IMF_FIXDATE.format(Instant.ofEpochSecond(epochSecond));
    }

    /**
     * An HTTP-date in any of its three forms (IMF-fixdate, and the obsolete RFC 850 and asctime forms,
     * which recipients must accept), or null if {@code text} is none of them (whose day of the week
     * does not match its date included). A two-digit RFC 850 year more than 50 years ahead of now is
     * the last such year in the past, as section 5.6.7 says.
     */
    public static Instant parse(String text) {
        if (text == null) return null;
        String t = text.trim();
        try {
            if (t.length() > 3 && t.charAt(3) == ',') return IMF_FIXDATE_IN.parse(t, Instant::from);
            int comma = t.indexOf(',');
            if (comma > 0) { // the day name is checked once the century is known
                LocalDateTime time = LocalDateTime.parse(t.substring(comma + 1).trim(), RFC_850);
                if (time.isAfter(LocalDateTime.now(ZoneOffset.UTC).plusYears(50))) time = time.minusYears(100);
                boolean dayMatches = t.substring(0, comma).equals(time.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US));
                return dayMatches ? time.toInstant(ZoneOffset.UTC) : null;
            }
            return ASCTIME.parse(t, Instant::from);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
