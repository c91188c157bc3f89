package org.minipylib.wsgiserver;

import java.time.Instant;
import java.time.format.DateTimeFormatter;

/**
 * An access log's time field to the second, formatted once a second: a busy server writes thousands
 * of lines a second with the same text there, and formatting it anew took about as long as the rest
 * of the line. The text of the last second formatted is kept (lines from different seconds in turn
 * only format again).
 */
final class LogTimeText {

    private record Formatted(long epochSecond, String text) {
    }

    private final DateTimeFormatter formatter;
    private volatile Formatted last = new Formatted(Long.MIN_VALUE, "");

    /** Formats with {@code formatter}, which must show no fraction of a second. */
    LogTimeText(DateTimeFormatter formatter) {
        this.formatter = formatter;
    }

    /** {@code time} formatted, its fraction of a second left out. */
    String format(Instant time) {
        long second = time.getEpochSecond();
        Formatted f = last;
        if (f.epochSecond() != second) {
            f = new Formatted(second, formatter.format(Instant.ofEpochSecond(second)));
            last = f;
        }
        return f.text();
    }
}
