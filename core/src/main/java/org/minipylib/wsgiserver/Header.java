package org.minipylib.wsgiserver;

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

    /** True if this header's name is {@code other}, ignoring case. */
    public boolean is(String other) {
        return name.equalsIgnoreCase(other);
    }
}
