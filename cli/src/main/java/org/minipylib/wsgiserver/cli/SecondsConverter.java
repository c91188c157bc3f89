package org.minipylib.wsgiserver.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;

/** Reads a number of seconds, whole or decimal ({@code 30}, {@code 2.5}), not negative, as a {@link Duration}. */
final class SecondsConverter implements ITypeConverter<Duration> {

    @Override
    public Duration convert(String value) {
        BigDecimal seconds;
        try {
            seconds = new BigDecimal(value.trim());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a number of seconds");
        }
        if (seconds.signum() < 0) throw new TypeConversionException("'" + value + "': seconds must not be negative");
        try {
            return Duration.ofNanos(seconds.movePointRight(9).setScale(0, RoundingMode.HALF_UP).longValueExact());
        } catch (ArithmeticException e) {
            throw new TypeConversionException("'" + value + "' seconds is too long");
        }
    }

    /** {@code d} as this converter reads it: {@code 10} for ten seconds, {@code 0.25} for a quarter of one. */
    static String format(Duration d) {
        return BigDecimal.valueOf(d.toNanos(), 9).stripTrailingZeros().toPlainString();
    }
}
