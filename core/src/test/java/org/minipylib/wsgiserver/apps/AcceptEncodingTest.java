package org.minipylib.wsgiserver.apps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** {@link AcceptEncoding} on strings: weights, the server's preferred coding, whether gzip is accepted. */
class AcceptEncodingTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "gzip | gzip | 1000", "gzip;q=0.5 | gzip | 500", "gzip;q=0.25 | gzip | 250", "gzip;q=1 | gzip | 1000",
            "gzip;q=1.000 | gzip | 1000", "gzip;q=1.001 | gzip | 0", "gzip;q=0. | gzip | 0", "gzip;Q=0.3 | gzip | 300",
            "gzip;q=abc | gzip | 0", "gzip;q | gzip | 0", "gzip;q =0.5 | gzip | 0", "gzip;qq=0.5 | gzip | 1000",
            "gzip;q=-1 | gzip | 0", "x-gzip;q=0.4 | gzip | 400", "br | gzip | -1",
            "*;q=0.2 | gzip | 200", "*;q=0.2, gzip;q=0.1 | gzip | 100", "gzip;q=0.1, gzip;q=0.6 | gzip | 600",
            "' gzip ; q=0.7 ' | gzip | 700", "'' | gzip | -1"})
    void weights(String field, String coding, int weight) {
        assertEquals(weight, AcceptEncoding.weight(field, coding), field);
    }

    @Test
    void theServersOrderBreaksTies() {
        assertEquals("br", AcceptEncoding.preferred("gzip, br", List.of("br", "gzip")));
        assertEquals("gzip", AcceptEncoding.preferred("gzip, br", List.of("gzip", "br")));
        assertEquals("gzip", AcceptEncoding.preferred("gzip, br", List.of("gzip")), "only the codings there are");
        assertNull(AcceptEncoding.preferred(null, List.of("br", "gzip")));
        assertNull(AcceptEncoding.preferred("br, gzip", List.of()));
    }

    @ParameterizedTest(name = "[{0}] -> {1}")
    @CsvSource(delimiter = '|', nullValues = "NULL", value = {
            "NULL | false",
            "'' | false",
            "gzip | true",
            "GZip | true",
            "x-gzip | true",
            "gzip, deflate, br | true",
            "br;q=1.0, gzip;q=0.8, *;q=0.1 | true",
            "deflate, br | false",
            "identity | false",
            "* | true",
            "*;q=0 | false",
            "gzip;q=0 | false",
            "gzip;q=0.000 | false",
            "gzip;q=0, * | false",
            "*, gzip;q=0 | false",
            "gzip;Q=0.5 | true",
            "gzip ; q=0.001 | true",
            "gzip;q=1.001 | false",
            "gzip;q=abc | false",
            "gzip;level=1 | true",
            "identity;q=0 | false",
            "identity;q=0, *;q=0.5 | true",
            ", , gzip | true",
            "gzip;q=0.1, identity;q=1 | false", // the client's preference: not compressed (as StaticFilesApp's variants)
            "gzip;q=0.5, *;q=1 | false", // * covers identity, weighted higher
            "gzip;q=0.5, identity;q=0.5 | true", // equals: the coding
            "gzip, identity | true",
    })
    void acceptsGzip(String field, boolean expected) {
        assertEquals(expected, AcceptEncoding.acceptsGzip(field));
    }
}
