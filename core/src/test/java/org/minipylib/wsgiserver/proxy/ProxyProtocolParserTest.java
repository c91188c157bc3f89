package org.minipylib.wsgiserver.proxy;

import org.minipylib.wsgiserver.http.ProxiedTls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        assertFalse(h.local(), "a client of the proxy's, not the proxy itself");
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
        ProxyHeader h = parse(v2Unix(ascii("/run/client.sock"), ascii("/run/haproxy.sock")));
        assertEquals(UnixDomainSocketAddress.of("/run/client.sock"), h.source());
        assertEquals(UnixDomainSocketAddress.of("/run/haproxy.sock"), h.destination());
    }

    private static byte[] v2Unix(byte[] source, byte[] destination) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(hex(SIGNATURE + "21 31 00d8"));
        out.writeBytes(java.util.Arrays.copyOf(source, 108));
        out.writeBytes(java.util.Arrays.copyOf(destination, 108));
        return out.toByteArray();
    }

    /**
     * A path with a byte beyond ASCII, under a POSIX locale (containers, systemd units without
     * LANG), where the JDK's file names are ASCII only: before, {@code Path.of} threw an
     * InvalidPathException out of the parser (found by ProxyProtocolParserFuzzTest). Runs in a
     * child JVM, since the file-name charset is fixed at JVM start.
     */
    @Test
    void aUnixPathThePlatformCannotNameKeepsItsAscii() throws Exception {
        Path out = Files.createTempFile("proxy-unix-path", ".txt");
        try {
            String javaCommand = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder builder = new ProcessBuilder(javaCommand, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                    NonAsciiUnixPath.class.getName()).redirectErrorStream(true).redirectOutput(out.toFile());
            builder.environment().keySet().removeIf(name -> name.startsWith("LC_") || name.equals("LANG"));
            builder.environment().put("LC_ALL", "POSIX");
            Process child = builder.start();
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child JVM did not finish");
            String output = Files.readString(out);
            assertEquals(0, child.exitValue(), output);
            assertTrue(output.contains("source=/run/caf?.sock destination=/run/x.sock"), output);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** The child JVM of the test above: parses a v2 UNIX header whose source path has a non-ASCII byte. */
    static final class NonAsciiUnixPath {
        public static void main(String[] args) throws Exception {
            System.out.println("file names: " + System.getProperty("sun.jnu.encoding"));
            ProxyHeader h = parse(v2Unix("/run/caf\u00e9.sock".getBytes(StandardCharsets.UTF_8), ascii("/run/x.sock")));
            System.out.println("source=" + h.source() + " destination=" + h.destination());
        }
    }

    @Test
    void v2LocalAndUnspecKeepTheSocketsAddresses() throws Exception {
        ProxyHeader local = parse(hex(SIGNATURE + "20 00 0000"));
        assertFalse(local.hasAddresses());
        assertTrue(local.local());
        assertEquals(16, local.length());
        assertFalse(parse(hex(SIGNATURE + "21 00 0000")).local(), "UNSPEC: a client whose address is not given");
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

    // ---- v2 TLVs ----

    /** A v2 PROXY TCP4 header from 192.168.0.1:56324 to 10.0.0.2:443 with {@code tlvs} (hex) after the addresses. */
    private static byte[] inetWithTlvs(String tlvs) {
        byte[] t = hex(tlvs);
        return hex(SIGNATURE + "21 11 " + String.format("%04x", 12 + t.length) + "c0a80001 0a000002 dc04 01bb" + tlvs);
    }

    /** A TLV of {@code type} with {@code value} (hex). */
    private static String tlv(int type, String value) {
        return String.format("%02x%04x", type, hex(value).length) + value.replace(" ", "");
    }

    private static String text(String s) {
        return HexFormat.of().formatHex(s.getBytes(StandardCharsets.UTF_8));
    }

    /** PP2_TYPE_SSL with {@code client} flags, {@code verify} and sub-TLVs, as HAProxy's send-proxy-v2-ssl-cn sends it. */
    private static String ssl(int client, int verify, String subTlvs) {
        return tlv(0x20, String.format("%02x%08x", client, verify) + subTlvs);
    }

    private static final String HAPROXY_SUB_TLVS = tlv(0x21, text("TLSv1.3")) + tlv(0x22, text("client.example"))
            + tlv(0x23, text("TLS_AES_256_GCM_SHA384")) + tlv(0x24, text("sha256WithRSAEncryption"))
            + tlv(0x25, text("RSA2048"));

    @Test
    void v2SslTlvWithSubTlvsAndAuthority() throws Exception {
        // client flags: PP2_CLIENT_SSL | PP2_CLIENT_CERT_CONN | PP2_CLIENT_CERT_SESS; verify 0: verified
        byte[] b = inetWithTlvs(tlv(0x02, text("app.example")) + ssl(0x07, 0, HAPROXY_SUB_TLVS));
        ProxyHeader h = parse(b);
        assertEquals(new InetSocketAddress("192.168.0.1", 56324), h.source());
        assertEquals(b.length, h.length());
        assertEquals(new ProxiedTls("TLSv1.3", "TLS_AES_256_GCM_SHA384", "sha256WithRSAEncryption", "RSA2048",
                "app.example", true, true, "client.example"), h.tls());
    }

    /** Text TLVs with control characters (the SNI comes from the internet client through the proxy) never reach the environ. */
    @Test
    void v2TextTlvsWithControlCharactersAreDropped() throws Exception {
        String subTlvs = tlv(0x21, text("TLS\r\nX: 1")) + tlv(0x22, text("client\u0000.example"))
                + tlv(0x23, text("TLS_AES_256_GCM_SHA384")) + tlv(0x24, text("sha256 RSA"));
        ProxiedTls tls = parse(inetWithTlvs(tlv(0x02, text("evil\r\nSet-Cookie: a=b")) + ssl(0x07, 0, subTlvs))).tls();
        assertNull(tls.protocol(), "CR LF in the version");
        assertNull(tls.clientCommonName(), "NUL in the common name");
        assertNull(tls.serverName(), "not a host name");
        assertNull(tls.signatureAlgorithm(), "a space in an algorithm name");
        assertEquals("TLS_AES_256_GCM_SHA384", tls.cipher(), "the clean ones stay");
        ProxiedTls spaced = parse(inetWithTlvs(ssl(0x07, 0, tlv(0x22, text("Jane Do\u00e9"))))).tls();
        assertEquals("Jane Do\u00e9", spaced.clientCommonName(), "a common name may have spaces and non-ASCII letters");
    }

    @Test
    void v2SslTlvWithoutAClientCertificate() throws Exception {
        ProxiedTls tls = parse(inetWithTlvs(ssl(0x01, 0, tlv(0x21, text("TLSv1.2"))
                + tlv(0x23, text("ECDHE-RSA-AES128-GCM-SHA256"))))).tls();
        assertEquals(new ProxiedTls("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", null, null, null, false, false, null), tls);
    }

    @Test
    void v2UnverifiedClientCertificateGivesNoCommonName() throws Exception {
        ProxiedTls tls = parse(inetWithTlvs(ssl(0x03, 20, HAPROXY_SUB_TLVS))).tls(); // 20: X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        assertTrue(tls.clientCertificate());
        assertFalse(tls.clientVerified());
        assertNull(tls.clientCommonName());
        assertEquals("TLSv1.3", tls.protocol());
    }

    @Test
    void v2SslTlvOfAPlainConnectionSaysNothing() throws Exception {
        // send-proxy-v2-ssl sends the SSL TLV for every connection; without PP2_CLIENT_SSL it was plain TCP
        assertNull(parse(inetWithTlvs(ssl(0x00, 0, "") + tlv(0x02, text("app.example")))).tls());
        assertNull(parse(inetWithTlvs(tlv(0x02, text("app.example")))).tls(), "an authority alone is no TLS");
    }

    @Test
    void v2UnknownTlvsAreSkipped() throws Exception {
        ProxyHeader h = parse(inetWithTlvs(tlv(0xe0, "0102030405") + tlv(0x05, "") + ssl(0x01, 0, tlv(0x26, text("X25519"))
                + tlv(0x21, text("TLSv1.3"))) + tlv(0x04, "000000")));
        assertEquals("TLSv1.3", h.tls().protocol());
        assertEquals(new InetSocketAddress("10.0.0.2", 443), h.destination());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "02 0005 6170",                 // a TLV longer than what is left of the header
        "04 00",                        // a TLV header cut short
        "20 0004 01000000",             // an SSL TLV without room for client and verify
        "20 000b 0100000000 21 0004 544c53", // a sub-TLV overrunning its SSL TLV (but not the header)
        "20 0007 0100000000 21 00",     // a sub-TLV header cut short
        "03 0002 0000",                 // a CRC32C that is not 4 bytes long
    })
    void v2OverrunningTlvsAreRefused(String tlvs) {
        byte[] b = inetWithTlvs(tlvs);
        ProxyProtocolException e = assertThrows(ProxyProtocolException.class, () -> parse(b));
        assertTrue(e.getMessage().startsWith("PROXY v2"), e.getMessage());
    }

    @Test
    void v2SubTlvOverrunningItsSslTlvIsRefusedEvenIfInsideTheHeader() {
        // the SSL TLV says 8 bytes; its sub-TLV claims 4 more, which the header has (a NOOP follows)
        byte[] b = inetWithTlvs("20 0008 0100000000 21 0004" + "04 0001 00");
        assertThrows(ProxyProtocolException.class, () -> parse(b));
    }

    @Test
    void v2Crc32cIsVerified() throws Exception {
        byte[] b = inetWithTlvs(ssl(0x01, 0, tlv(0x21, text("TLSv1.3"))) + tlv(0x03, "00000000"));
        int at = b.length - 4; // the CRC is over the whole header, with its own value as zeros
        CRC32C crc = new CRC32C();
        crc.update(b);
        int value = (int) crc.getValue();
        b[at] = (byte) (value >>> 24);
        b[at + 1] = (byte) (value >>> 16);
        b[at + 2] = (byte) (value >>> 8);
        b[at + 3] = (byte) value;
        assertEquals("TLSv1.3", parse(b).tls().protocol());
        b[at + 3] ^= 1;
        assertThrows(ProxyProtocolException.class, () -> parse(b));
        b[at + 3] ^= 1;
        b[20] ^= 1; // another byte of the header
        assertThrows(ProxyProtocolException.class, () -> parse(b));
    }

    @Test
    void v2LocalTlvsAreNotLookedInto() throws Exception {
        // a health check of HAProxy's: LOCAL; even a broken TLV area is ignored with the addresses
        ProxyHeader h = parse(hex(SIGNATURE + "20 11 0010 7f000001 7f000002 0050 1f90 02 0009 61"));
        assertFalse(h.hasAddresses());
        assertNull(h.tls());
    }
}
