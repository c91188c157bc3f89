package org.minipylib.wsgiserver;

import org.minipylib.wsgiserver.http.HttpChars;

import java.util.Objects;

/**
 * One response (or request) header field: a name and a value, both as sent on the wire.
 *
 * @param name  the field name, e.g. {@code Content-Type}; compared case-insensitively
 * @param value the field value, ISO-8859-1 text without CR or LF
 */
public record Header(String name, String value) {

    public Header {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
    }

    /** Shorthand for {@code new Header(name, value)}. */
    public static Header of(String name, String value) {
        return new Header(name, value);
    }

    /**
     * True if {@code text} may go out as a field value (or a reason phrase): ISO-8859-1 characters
     * without controls other than HTAB, so no CR or LF can start another line.
     */
    public static boolean isValidValue(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f || c > 0xff) return false;
        }
        return true;
    }

    /** True if {@code text} may go out as a field name: one or more token characters (RFC 9110 section 5.1). */
    public static boolean isValidName(String text) {
        if (text.isEmpty()) return false;
        for (int i = 0; i < text.length(); i++) {
            if (!HttpChars.isTokenChar(text.charAt(i))) return false;
        }
        return true;
    }

    /** True if this header's name is {@code other}, ignoring case. */
    public boolean is(String other) {
        return name.equalsIgnoreCase(other);
    }
}
