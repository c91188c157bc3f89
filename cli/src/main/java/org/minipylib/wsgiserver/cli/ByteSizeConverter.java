package org.minipylib.wsgiserver.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Locale;

/**
 * Reads a number of bytes, not negative: a whole number, optionally with a binary suffix {@code k},
 * {@code m} or {@code g} (KiB, MiB, GiB, in either case): {@code 8192}, {@code 64k}, {@code 1m}.
 */
final class ByteSizeConverter implements ITypeConverter<Long> {

    @Override
    public Long convert(String value) {
        return parse(value);
    }

    /** The number of bytes {@code value} says; see the class comment. */
    static long parse(String value) {
        String text = value.trim().toLowerCase(Locale.ROOT);
        int shift = switch (text.isEmpty() ? ' ' : text.charAt(text.length() - 1)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        String digits = shift == 0 ? text : text.substring(0, text.length() - 1);
        long number;
        try {
            number = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a number of bytes (like 8192, 64k or 1m)");
        }
        if (number < 0) throw new TypeConversionException("'" + value + "': bytes must not be negative");
        if (number > Long.MAX_VALUE >> shift) throw new TypeConversionException("'" + value + "' bytes is too many");
        return number << shift;
    }

    /** {@code bytes} as {@link #parse} reads it, with the largest suffix that divides it: {@code 64k}, {@code 100}. */
    static String format(long bytes) {
        if (bytes == 0) return "0";
        for (int shift = 30; shift > 0; shift -= 10) {
            if (bytes % (1L << shift) == 0) return (bytes >> shift) + "kmg".substring(shift / 10 - 1, shift / 10);
        }
        return Long.toString(bytes);
    }
}
