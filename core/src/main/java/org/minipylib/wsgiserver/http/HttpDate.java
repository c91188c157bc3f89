package org.minipylib.wsgiserver.http;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The {@code Date} response header line, formatted once a second and shared by all connections
 * (RFC 9110 section 6.6.1, IMF-fixdate).
 */
public final class HttpDate {

    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT).withZone(ZoneOffset.UTC);

    private record Cached(long second, byte[] line) {
    }

    private static volatile Cached cached = new Cached(-1, new byte[0]);

    private HttpDate() {
    }

    /** {@code "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"} for the current second, as bytes. */
    public static byte[] headerLine() {
        long now = System.currentTimeMillis();
        long second = now / 1000;
        Cached c = cached;
        if (c.second != second) {
            String line = "Date: " + IMF_FIXDATE.format(Instant.ofEpochSecond(second)) + "\r\n";
            c = new Cached(second, line.getBytes(StandardCharsets.US_ASCII));
            cached = c;
        }
        return c.line;
    }
}
