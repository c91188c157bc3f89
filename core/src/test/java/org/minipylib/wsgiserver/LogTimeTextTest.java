package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The log's time field, formatted once a second, reads as the formatter would write it every time. */
class LogTimeTextTest {

    private static final DateTimeFormatter CLF =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneId.of("Europe/Berlin"));

    @Test
    void timesWithinOneSecondShareOneText() {
        LogTimeText text = new LogTimeText(CLF);
        String first = text.format(Instant.parse("2026-12-07T12:00:00.001Z"));
        assertEquals("07/Dec/2026:13:00:00 +0100", first);
        assertSame(first, text.format(Instant.parse("2026-12-07T12:00:00.999Z")));
        assertEquals("07/Dec/2026:13:00:01 +0100", text.format(Instant.parse("2026-12-07T12:00:01Z")));
    }

    @Test
    void everySecondReadsAsTheFormatterWritesIt() {
        LogTimeText text = new LogTimeText(CLF);
        // across a change of the zone's offset (summer time ended 2026-10-25 01:00 UTC), and back and forth
        Instant start = Instant.parse("2026-10-25T00:59:58.500Z");
        for (int i = 0; i < 5; i++) {
            Instant t = start.plusMillis(700L * i);
            assertEquals(CLF.format(t), text.format(t), t.toString());
            assertEquals(CLF.format(start), text.format(start), "an earlier second again");
        }
        assertEquals("25/Oct/2026:02:59:59 +0200", text.format(Instant.parse("2026-10-25T00:59:59Z")));
        assertEquals("25/Oct/2026:02:00:00 +0100", text.format(Instant.parse("2026-10-25T01:00:00Z")));
    }

    @Test
    void jsonTimesKeepTheirMilliseconds() {
        for (String time : new String[] {"2026-12-07T12:00:00.005Z", "2026-12-07T12:00:00.050Z", "2026-12-07T12:00:00.500Z",
                "2026-12-07T12:00:00Z", "1969-12-31T23:59:59.999Z"}) {
            AccessLogEntry entry = new AccessLogEntry(null, Instant.parse(time), null, 200, 0, null, null, 0);
            String expected = time.length() == 20 ? time.replace("Z", ".000Z") : time;
            assertEquals("{\"time\":\"" + expected + "\"", entry.jsonFormat().substring(0, 10 + expected.length()), time);
        }
    }
}
