package org.minipylib.wsgiserver.cli;

import org.minipylib.wsgiserver.http.MinDataRate;
import picocli.CommandLine.ITypeConverter;

import java.time.Duration;

/**
 * Reads a minimum data rate, {@code BYTES_PER_SECOND[/GRACE_SECONDS]}: {@code 240/5}, {@code 1k/2.5},
 * or {@code 500} (the library's default grace period); a rate of 0 is {@link MinDataRate#NONE}.
 */
final class MinDataRateConverter implements ITypeConverter<MinDataRate> {

    @Override
    public MinDataRate convert(String value) {
        int slash = value.indexOf('/');
        long bytesPerSecond = ByteSizeConverter.parse(slash < 0 ? value : value.substring(0, slash));
        Duration grace = slash < 0 ? MinDataRate.defaults().grace() : new SecondsConverter().convert(value.substring(slash + 1));
        return bytesPerSecond == 0 ? MinDataRate.NONE : new MinDataRate(bytesPerSecond, grace);
    }

    /** {@code rate} as this converter reads it: {@code 240/5}, or {@code 0}. */
    static String format(MinDataRate rate) {
        if (!rate.isEnabled()) return "0";
        return ByteSizeConverter.format(rate.bytesPerSecond()) + "/" + SecondsConverter.format(rate.grace());
    }
}
