package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Foreign text quoted in a log message keeps printable ASCII, escapes the rest, and is cut to a length. */
class LogTextTest {

    @Test
    void printableAsciiIsKeptAsItIs() {
        String text = "GET /a?b=c HTTP/1.1 ~!\"#";
        assertSame(text, LogText.printable(text));
    }

    @Test
    void lineBreaksControlsAndTheBackslashAreEscaped() {
        assertEquals("a\\x0d\\x0ab\\x00\\x1b[31m\\x7f\\\\", LogText.printable("a\r\nb\u0000\u001b[31m\u007f\\"));
    }

    @Test
    void charactersBeyondAsciiAreEscaped() {
        assertEquals("caf\\xe9 \\u2028", LogText.printable("caf\u00e9 \u2028"));
    }

    @Test
    void longTextIsCutAfterTheLimit() {
        String cut = LogText.printable("x".repeat(LogText.MAX_LENGTH) + "\nforged");
        assertEquals("x".repeat(LogText.MAX_LENGTH) + "...", cut);
    }

    @Test
    void nullIsSaidSo() {
        assertEquals("null", LogText.printable(null));
    }
}
