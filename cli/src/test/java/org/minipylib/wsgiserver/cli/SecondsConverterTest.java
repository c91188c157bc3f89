package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Reading seconds for {@code --timeout} and {@code --shutdown-timeout}. */
class SecondsConverterTest {

    @ParameterizedTest
    @CsvSource({"0, 0", "30, 30000", "2.5, 2500", "0.001, 1", " 7 , 7000", "86400, 86400000"})
    void parsesWholeAndDecimalSeconds(String value, long millis) {
        assertEquals(Duration.ofMillis(millis), new SecondsConverter().convert(value));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-1", "-0.5", "ten", "1s", "PT30S", "1e300"})
    void refusesNegativesAndNonNumbers(String value) {
        assertThrows(TypeConversionException.class, () -> new SecondsConverter().convert(value));
    }
}
