package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** IP literals are read strictly: the forms every parser agrees on, and nothing that could be a name. */
class IpLiteralTest {

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "192.0.2.1", "255.255.255.255", "10.0.0.10"})
    void ipv4DottedQuads(String text) {
        assertEquals(text, IpLiteral.parse(text).getHostAddress());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "010.0.0.1", "1.2.3.04", "00.1.2.3",
        "1..2.3", ".1.2.3", "1.2.3.4.", "+1.2.3.4", "1.2.3.4 ", "0x7f.0.0.1", "2130706433", "1.2.3.1234",
        "localhost", "example.com", "a.b.c.d", "１.2.3.4"})
    void notIpv4(String text) {
        assertNull(IpLiteral.ipv4(text), text);
        if (text.indexOf(':') < 0) assertNull(IpLiteral.parse(text), text);
    }

    @Test
    void ipv6Forms() {
        assertArrayEquals(new byte[16], IpLiteral.parse("::").getAddress());
        assertEquals("2001:db8:0:0:0:0:0:1", IpLiteral.parse("2001:DB8::1").getHostAddress());
        assertEquals("0:0:0:0:0:0:102:304", IpLiteral.parse("::1.2.3.4").getHostAddress());
        assertEquals("1:2:3:4:5:6:7:8", IpLiteral.ipv6("1:2:3:4:5:6:7:8").getHostAddress());
    }

    @Test
    void anIpv4MappedAddressIsTheIpv4Address() throws Exception {
        assertEquals(InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 1}), IpLiteral.parse("::ffff:192.0.2.1"));
    }

    @ParameterizedTest
    @ValueSource(strings = {":", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "::g", "[::1]", "fe80::1%eth0",
        "fe80::1%25eth0", "::1.2.3.04", "::256.1.1.1", "1.2.3.4", "ab", "::1 "})
    void notIpv6(String text) {
        assertNull(IpLiteral.ipv6(text), text);
    }
}
