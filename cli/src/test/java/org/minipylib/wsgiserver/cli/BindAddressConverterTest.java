package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

import java.net.InetAddress;
import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Reading {@code --bind} values. */
class BindAddressConverterTest {

    @ParameterizedTest
    @CsvSource({
        "127.0.0.1:8080,   127.0.0.1,       8080",
        "0.0.0.0:0,        0.0.0.0,         0",
        "[::1]:8080,       ::1,             8080",
        "[::]:65535,       ::,              65535",
        "[fe80::1]:1,      fe80::1,         1",
        "localhost:80,     localhost,       80",
    })
    void parsesHostAndPort(String value, String host, int port) throws Exception {
        InetSocketAddress address = BindAddressConverter.parse(value);
        assertEquals(InetAddress.getByName(host), address.getAddress());
        assertEquals(port, address.getPort());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "8080", ":8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:-1",
        "127.0.0.1:65536", "127.0.0.1:123456", "::1", "::1:8080", "[::1]", "[::1]8080", "[::1:8080", "[]:80"})
    void refusesWhatIsNotHostColonPort(String value) {
        assertThrows(TypeConversionException.class, () -> BindAddressConverter.parse(value));
    }
}
