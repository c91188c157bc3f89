package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Addresses are written in their canonical text form (RFC 5952 for IPv6). */
class HostAddressTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "127.0.0.1,                       127.0.0.1",
            "0:0:0:0:0:0:0:1,                 ::1",
            "0:0:0:0:0:0:0:0,                 ::",
            "2001:db8:0:0:0:0:2:1,            2001:db8::2:1",
            "2001:db8:0:1:1:1:1:1,            2001:db8:0:1:1:1:1:1",
            "2001:0:0:1:0:0:0:1,              2001:0:0:1::1",
            "2001:db8:0:0:1:0:0:1,            2001:db8::1:0:0:1",
            "fe80:0:0:0:0:0:0:0,              fe80::",
            "2001:DB8:AAAA:BBBB:CCCC:DDDD:EEEE:1, 2001:db8:aaaa:bbbb:cccc:dddd:eeee:1",
            "0:0:0:0:0:ffff:c000:280,         192.0.2.128", // Java maps IPv4-mapped addresses to IPv4
    })
    void canonicalText(String input, String expected) throws Exception {
        assertEquals(expected, HostAddress.text(InetAddress.getByName(input)));
    }

    /** A socket address as a URL writes it: {@code ::1:8080} would itself be an IPv6 address. */
    @ParameterizedTest(name = "{0} port {1} -> {2}")
    @CsvSource({
            "127.0.0.1,       8080, 127.0.0.1:8080",
            "0:0:0:0:0:0:0:1, 8080, [::1]:8080",
            "::,              443,  [::]:443",
    })
    void socketAddressText(String host, int port, String expected) throws Exception {
        assertEquals(expected, HostAddress.text(new InetSocketAddress(InetAddress.getByName(host), port)));
    }

    @Test
    void unixSocketAndUnresolvedAddressText() {
        assertEquals("unix:/run/app.sock", HostAddress.text(UnixDomainSocketAddress.of("/run/app.sock")));
        assertEquals("no.such.host.invalid:80", HostAddress.text(InetSocketAddress.createUnresolved("no.such.host.invalid", 80)));
    }
}
