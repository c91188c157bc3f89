package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Byte sizes on the command line: plain numbers and binary suffixes (k, m, g, either case,
 * surrounding blanks ignored) are read; anything else, negative or overflowing included, is
 * refused; a size is formatted with the largest suffix that divides it and reads back the same.
 */
class ByteSizeConverterTest {

    @Test
    void readsPlainNumbersAndBinarySuffixes() {
        assertEquals(0, ByteSizeConverter.parse("0"));
        assertEquals(8192, ByteSizeConverter.parse("8192"));
        assertEquals(64 * 1024, ByteSizeConverter.parse("64k"));
        assertEquals(64 * 1024, ByteSizeConverter.parse(" 64K "));
        assertEquals(1 << 20, ByteSizeConverter.parse("1m"));
        assertEquals(2L << 30, ByteSizeConverter.parse("2G"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "k", "-1", "1.5k", "12kb", "lots", "9223372036854775807k"})
    void refusesWhatIsNotAByteSize(String value) {
        assertThrows(TypeConversionException.class, () -> ByteSizeConverter.parse(value));
    }

    @Test
    void formatsWithTheLargestSuffixThatDividesAndReadsBack() {
        assertEquals("0", ByteSizeConverter.format(0));
        assertEquals("100", ByteSizeConverter.format(100));
        assertEquals("1k", ByteSizeConverter.format(1024));
        assertEquals("1025", ByteSizeConverter.format(1025));
        assertEquals("64m", ByteSizeConverter.format(64L << 20));
        assertEquals("3g", ByteSizeConverter.format(3L << 30));
        for (long n : new long[] {1, 1000, 4096, 3L << 20, 5L << 30}) {
            assertEquals(n, ByteSizeConverter.parse(ByteSizeConverter.format(n)));
        }
    }
}
