package org.minipylib.wsgiserver.proxy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The PROXY protocol parser over byte arrays: v1 and v2, every family, strictness, partial input. */
class ProxyProtocolParserTest {

    private static final String SIGNATURE = "0d0a0d0a000d0a515549540a";

    private static ProxyHeader parse(byte[] b) throws ProxyProtocolException {
        return ProxyProtocolParser.parse(b, b.length);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    void v1Tcp4() throws Exception {
        byte[] b = ascii("PROXY TCP4 192.168.0.1 10.0.0.2 56324 443\r\nGET / HTTP/1.1\r\n");
        ProxyHeader h = parse(b);
        assertEquals(new InetSocketAddress("192.168.0.1", 56324), h.source());
        assertEquals(new InetSocketAddress("10.0.0.2", 443), h.destination());
        assertEquals("PROXY TCP4 192.168.0.1 10.0.0.2 56324 443\r\n".length(), h.length());
    }

    @Test
    void v1Tcp6() throws Exception {
        ProxyHeader h = parse(ascii("PROXY TCP6 2001:db8::1 ::1 65535 0\r\n"));
        assertEquals(new InetSocketAddress("2001:db8::1", 65535), h.source());
        assertEquals(new InetSocketAddress("::1", 0), h.destination());
    }

    @Test
    void v1Tcp6WithIpv4MappedAddresses() throws Exception {
        // what HAProxy sends for IPv4 clients of a dual-stack (v4v6) listener
        ProxyHeader h = parse(ascii("PROXY TCP6 ::ffff:203.0.113.7 ::ffff:10.0.0.2 40000 443\r\n"));
        assertEquals(new InetSocketAddress("203.0.113.7", 40000), h.source());
        assertEquals(new InetSocketAddress("10.0.0.2", 443), h.destination());
    }

    @Test
    void v1UnknownKeepsTheSocketsAddresses() throws Exception {
        ProxyHeader h = parse(ascii("PROXY UNKNOWN\r\n"));
        assertFalse(h.hasAddresses());
        assertEquals(15, h.length());
        assertFalse(parse(ascii("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n")).hasAddresses());
    }

    @Test
    void incompleteHeadersWaitForMore() throws Exception {
        String full = "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n";
        for (int i = 0; i < full.length(); i++) {
            byte[] b = ascii(full.substring(0, i));
            assertNull(ProxyProtocolParser.parse(b, b.length), "prefix of " + i);
        }
        byte[] v2 = hex(SIGNATURE + "21 11 000c 7f000001 7f000002 0050 1f90");
        for (int i = 0; i < v2.length; i++) assertNull(ProxyProtocolParser.parse(v2, i), "prefix of " + i);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET / HTTP/1.1\r\n\r\n",                       // no header at all
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",              // bare LF
        "PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n",           // double space
        "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",              // missing port
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",          // extra field
        "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",            // unknown protocol
        "PROXY TCP4 ::1 5.6.7.8 1 2\r\n",                // IPv6 under TCP4
        "PROXY TCP6 1.2.3.4 ::1 1 2\r\n",                // IPv4 under TCP6
        "PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n",          // not an address
        "PROXY TCP4 256.2.3.4 5.6.7.8 1 2\r\n",          // not an address (and never a name to look up)
        "PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n",           // leading zero: octal to some parsers
        "PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n",      // nine groups
        "PROXY TCP4 example.com 5.6.7.8 1 2\r\n",        // a name, not a literal
        "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",        // port out of range
        "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",           // leading zero
        "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",           // sign
        "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",            // lower case
    })
    void malformedV1IsRefused(String header) {
        assertThrows(ProxyProtocolException.class, () -> parse(ascii(header)));
    }

    @Test
    void v1LongerThan107BytesIsRefused() {
        assertThrows(ProxyProtocolException.class, () -> parse(ascii("PROXY UNKNOWN " + "x".repeat(100))));
    }

    @Test
    void v2Inet() throws Exception {
        ProxyHeader h = parse(hex(SIGNATURE + "21 11 000c c0a80001 0a000002 dc04 01bb"));
        assertEquals(new InetSocketAddress("192.168.0.1", 56324), h.source());
        assertEquals(new InetSocketAddress("10.0.0.2", 443), h.destination());
        assertEquals(28, h.length());
    }

    @Test
    void v2Inet6WithTlvsSkipped() throws Exception {
        String src = "20010db8000000000000000000000001";
        String dst = "00000000000000000000000000000001";
        String tlvs = "01 0002 6832" + "04 0000"; // ALPN "h2", NOOP
        int length = 36 + 5 + 3;
        ProxyHeader h = parse(hex(SIGNATURE + "21 21 " + String.format("%04x", length) + src + dst + "1f90 0050" + tlvs
                + "474554")); // "GET" follows
        assertEquals(new InetSocketAddress("2001:db8::1", 8080), h.source());
        assertEquals(new InetSocketAddress("::1", 80), h.destination());
        assertEquals(16 + length, h.length());
    }

    @Test
    void v2Unix() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(hex(SIGNATURE + "21 31 00d8"));
        out.writeBytes(java.util.Arrays.copyOf(ascii("/run/client.sock"), 108));
        out.writeBytes(java.util.Arrays.copyOf(ascii("/run/haproxy.sock"), 108));
        ProxyHeader h = parse(out.toByteArray());
        assertEquals(UnixDomainSocketAddress.of("/run/client.sock"), h.source());
        assertEquals(UnixDomainSocketAddress.of("/run/haproxy.sock"), h.destination());
    }

    @Test
    void v2LocalAndUnspecKeepTheSocketsAddresses() throws Exception {
        ProxyHeader local = parse(hex(SIGNATURE + "20 00 0000"));
        assertFalse(local.hasAddresses());
        assertEquals(16, local.length());
        // LOCAL may still carry an address block, which is ignored
        assertFalse(parse(hex(SIGNATURE + "20 11 000c 7f000001 7f000002 0050 1f90")).hasAddresses());
        assertFalse(parse(hex(SIGNATURE + "21 00 0003 000000")).hasAddresses());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "11 11 000c 7f000001 7f000002 0050 1f90", // version 1 in the v2 format
        "22 11 000c 7f000001 7f000002 0050 1f90", // unknown command
        "21 12 000c 7f000001 7f000002 0050 1f90", // DGRAM
        "21 41 000c 7f000001 7f000002 0050 1f90", // unknown family
        "21 11 0008 7f000001 7f000002",           // INET with a short address block
        "21 21 000c 7f000001 7f000002 0050 1f90", // INET6 with an INET-sized block
    })
    void malformedV2IsRefused(String rest) {
        assertThrows(ProxyProtocolException.class, () -> parse(hex(SIGNATURE + rest)));
    }
}
