package org.minipylib.wsgiserver.proxy;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.minipylib.wsgiserver.HostAddress;
import org.minipylib.wsgiserver.http.ProxiedTls;
import org.minipylib.wsgiserver.http.Transport;
import org.minipylib.wsgiserver.testing.PieceTransport;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes {@link ProxyProtocolParser} (v1 text, v2 binary with TLVs) and {@link ProxyProtocolSetup},
 * which reads the header from the first bytes of every connection: only
 * {@link ProxyProtocolException} may come out of the parser; {@code null} (wait for more) only while
 * the bytes can still grow into a header within the protocol's bounds (107 bytes for v1, the declared
 * length for v2); a prefix of the bytes never gives another answer than the whole (a header, or
 * {@code null}); a header is the same with any bytes behind it, and the same when its bytes arrive in
 * random pieces through the setup step, which then hands on exactly the bytes after it; the addresses a
 * header gives, written again as v1 and as v2, read back the same; what a TLV says about TLS keeps to
 * its documented character sets. Half of the runs build a valid header (v1 or v2, with TLVs and a
 * CRC32C) from the fuzzer's bytes and check that exactly its values are read.
 * A normal build replays the seed corpus; {@code JAZZER_FUZZ=1} fuzzes (see docs/http-compliance.md).
 */
class ProxyProtocolParserFuzzTest {

    private static final byte[] SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    private static final InetSocketAddress SOCKET_REMOTE = new InetSocketAddress("127.0.0.9", 5000);
    private static final InetSocketAddress SOCKET_LOCAL = new InetSocketAddress("127.0.0.8", 80);

    @FuzzTest(maxDuration = "10s")
    // libFuzzer dictionary syntax: \xNN escapes
    @DictionaryEntries({"PROXY ", "TCP4 ", "TCP6 ", "UNKNOWN", "\\x0D\\x0A", " 65535", "::ffff:", "127.0.0.1", "::1",
            "\\x0D\\x0A\\x0D\\x0A\\x00\\x0D\\x0A\\x51\\x55\\x49\\x54\\x0A", "\\x21\\x11", "\\x21\\x21", "\\x21\\x31", "\\x20\\x00",
            "\\x20\\x00\\x05\\x07\\x00\\x00\\x00\\x00", "\\x03\\x00\\x04", "\\x02\\x00", "\\x21\\x00", "\\x22\\x00"})
    void parse(FuzzedDataProvider data) {
        Random random = new Random(data.consumeLong());
        byte[] wire = data.consumeBoolean() ? built(data, random) : data.consumeRemainingAsBytes();
        Object whole = outcome(wire, wire.length);
        boolean v1 = wire.length > 0 && wire[0] == 'P';
        if (whole == null) {
            int bound = v1 ? ProxyProtocolParser.V1_MAX_LENGTH
                    : wire.length < ProxyProtocolParser.V2_FIXED_LENGTH ? ProxyProtocolParser.V2_FIXED_LENGTH
                    : ProxyProtocolParser.v2Length(wire, wire.length);
            assertTrue(wire.length < bound, "waits for more than the header can be: " + wire.length + " bytes, bound " + bound);
        }
        if (whole instanceof ProxyHeader header) {
            int length = header.length();
            assertTrue(length > 0 && length <= wire.length, "length " + length + " of " + wire.length);
            if (v1) {
                assertTrue(length <= ProxyProtocolParser.V1_MAX_LENGTH);
                assertEquals('\n', wire[length - 1]);
            } else {
                assertEquals(ProxyProtocolParser.v2Length(wire, wire.length), length);
            }
            assertEquals(header.source() == null, header.destination() == null, "both addresses or none");
            checkAddress(header.source());
            checkAddress(header.destination());
            checkTls(header.tls());
            for (int i = 0; i < 3 && length + i <= wire.length; i++) {
                int more = length + i + random.nextInt(wire.length - length - i + 1);
                assertEquals(header, outcome(wire, more), "the header with " + (more - length) + " bytes behind it");
            }
            writtenAgain(header);
        }
        // a prefix: "more needed", or the same answer (then every longer prefix gives it too)
        int prefix = wire.length <= 200 ? 0 : wire.length - 200 - random.nextInt(wire.length - 199);
        boolean answered = false;
        for (; prefix < wire.length; prefix += 1 + (prefix < 200 ? 0 : random.nextInt(64))) {
            Object early = outcome(wire, prefix);
            if (answered) assertNotNull(early, "an answer at fewer bytes, none at " + prefix);
            if (early == null) continue;
            answered = true;
            if (whole instanceof ProxyHeader) assertEquals(whole, early, "the answer at " + prefix + " bytes");
            else assertTrue(whole instanceof ProxyProtocolException && early instanceof ProxyProtocolException,
                    "at " + prefix + " bytes: " + early + ", at all " + wire.length + ": " + whole);
        }
        inPieces(wire, whole, random);
    }

    /** The parser's answer: a header, null, or its exception; nothing else may come out. */
    private static Object outcome(byte[] b, int len) {
        try {
            return ProxyProtocolParser.parse(b, len);
        } catch (ProxyProtocolException e) {
            return e;
        } catch (RuntimeException e) {
            throw new AssertionError("only ProxyProtocolException may come out of the parser", e);
        }
    }

    private static void checkAddress(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            assertTrue(!inet.isUnresolved() && inet.getPort() >= 0 && inet.getPort() <= 0xffff, String.valueOf(inet));
        } else {
            assertTrue(address == null || address instanceof UnixDomainSocketAddress, String.valueOf(address));
        }
    }

    private static void checkTls(ProxiedTls tls) {
        if (tls == null) return;
        for (String name : new String[] {tls.protocol(), tls.cipher(), tls.signatureAlgorithm(), tls.keyAlgorithm()}) {
            assertTrue(name == null || name.matches("[\\x21-\\x7e]*"), name);
        }
        assertTrue(tls.serverName() == null || tls.serverName().matches("[A-Za-z0-9._-]+"), tls.serverName());
        assertTrue(tls.clientCertificate() || !tls.clientVerified(), "verified without a certificate");
        if (tls.clientCommonName() != null) {
            assertTrue(tls.clientVerified(), "a common name of a certificate not verified");
            assertTrue(tls.clientCommonName().chars().noneMatch(c -> c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)),
                    "control characters in " + tls.clientCommonName());
        }
    }

    /** The addresses of {@code header}, written as v1 and as v2, read back the same. */
    private static void writtenAgain(ProxyHeader header) {
        if (!(header.source() instanceof InetSocketAddress source) || !(header.destination() instanceof InetSocketAddress destination)) {
            return;
        }
        boolean ipv4 = source.getAddress() instanceof Inet4Address && destination.getAddress() instanceof Inet4Address;
        String line = "PROXY " + (ipv4 ? "TCP4 " : "TCP6 ") + v1Text(source.getAddress(), ipv4) + " " + v1Text(destination.getAddress(), ipv4)
                + " " + source.getPort() + " " + destination.getPort() + "\r\n";
        ProxyHeader v1 = (ProxyHeader) outcome(line.getBytes(StandardCharsets.US_ASCII), line.length());
        assertEquals(source, v1.source(), line);
        assertEquals(destination, v1.destination(), line);
        ByteArrayOutputStream addresses = new ByteArrayOutputStream();
        addresses.writeBytes(v2Bytes(source.getAddress(), ipv4));
        addresses.writeBytes(v2Bytes(destination.getAddress(), ipv4));
        u16(addresses, source.getPort());
        u16(addresses, destination.getPort());
        byte[] v2 = v2(0x21, ipv4 ? 0x11 : 0x21, addresses.toByteArray());
        ProxyHeader again = (ProxyHeader) outcome(v2, v2.length);
        assertEquals(source, again.source());
        assertEquals(destination, again.destination());
        assertEquals(v2.length, again.length());
    }

    private static String v1Text(InetAddress address, boolean ipv4) {
        String text = HostAddress.text(address);
        return !ipv4 && address instanceof Inet4Address ? "::ffff:" + text : text;
    }

    private static byte[] v2Bytes(InetAddress address, boolean ipv4) {
        byte[] b = address.getAddress();
        if (ipv4 || b.length == 16) return b;
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(b, 0, mapped, 12, 4);
        return mapped;
    }

    /**
     * The setup step reading {@code wire} in random pieces: the same header as the parser read from
     * the whole, then exactly the bytes behind it; or the parser's exception; or, for bytes that never
     * make a whole header, the end of the stream.
     */
    private static void inPieces(byte[] wire, Object whole, Random random) {
        PieceTransport socket = new PieceTransport(wire, random, random.nextBoolean() ? 1 + random.nextInt(8) : 1 + random.nextInt(600),
                SOCKET_LOCAL, SOCKET_REMOTE);
        Transport t;
        try {
            t = new ProxyProtocolSetup().setUp(socket, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
        } catch (ProxyProtocolException e) {
            assertTrue(whole instanceof ProxyProtocolException, "in pieces: " + e + ", whole: " + whole);
            return;
        } catch (EOFException e) {
            assertNull(whole, "in pieces: end of stream, whole: " + whole);
            return;
        } catch (IOException | RuntimeException e) {
            throw new AssertionError("the setup step ended with " + e, e);
        }
        assertTrue(whole instanceof ProxyHeader, "in pieces: a header, whole: " + whole);
        ProxyHeader header = (ProxyHeader) whole;
        boolean network = header.source() instanceof InetSocketAddress;
        assertEquals(network ? header.source() : SOCKET_REMOTE, t.remoteAddress());
        assertEquals(network ? header.destination() : SOCKET_LOCAL, t.localAddress());
        assertEquals(header.tls(), t.proxiedTls());
        ByteArrayOutputStream rest = new ByteArrayOutputStream();
        byte[] buf = new byte[1 + random.nextInt(100)];
        try {
            for (int n; (n = t.read(buf, 0, buf.length, 1000)) >= 0; ) rest.write(buf, 0, n);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertArrayEquals(Arrays.copyOfRange(wire, header.length(), wire.length), rest.toByteArray(), "the bytes behind the header");
    }

    // ---- valid headers built from the fuzzer's bytes ----

    /** A valid header with the fuzzer's values and some bytes behind it; checks that exactly these values are read. */
    private static byte[] built(FuzzedDataProvider data, Random random) {
        byte[] after = data.consumeBytes(data.consumeInt(0, 40));
        byte[] header;
        ProxyHeader expected;
        int kind = data.consumeInt(0, 5);
        int sourcePort = data.consumeInt(0, 0xffff);
        int destinationPort = data.consumeInt(0, 0xffff);
        if (kind <= 1) { // v1 TCP4 / TCP6
            InetAddress source = address(bytes(data, kind == 0 ? 4 : 16));
            InetAddress destination = address(bytes(data, kind == 0 ? 4 : 16));
            String line = "PROXY " + (kind == 0 ? "TCP4 " : "TCP6 ") + v1Address(source, kind == 0, data) + " "
                    + v1Address(destination, kind == 0, data) + " " + sourcePort + " " + destinationPort + "\r\n";
            header = line.getBytes(StandardCharsets.US_ASCII);
            expected = new ProxyHeader(new InetSocketAddress(source, sourcePort), new InetSocketAddress(destination, destinationPort),
                    header.length);
        } else if (kind == 2) { // v1 UNKNOWN, anything up to the CRLF
            String rest = data.consumeAsciiString(80).replaceAll("[\r\n]", "");
            String line = "PROXY UNKNOWN" + (rest.isEmpty() ? "" : " " + rest) + "\r\n";
            header = line.getBytes(StandardCharsets.US_ASCII);
            expected = new ProxyHeader(null, null, header.length, null, false); // a client, not the proxy
        } else if (kind == 3) { // v2 LOCAL, or UNSPEC: whatever follows the fixed part is ignored
            boolean local = data.consumeBoolean();
            header = v2(local ? 0x20 : 0x21, local ? data.consumeInt(0, 255) : data.consumeInt(0, 15), data.consumeBytes(60));
            expected = new ProxyHeader(null, null, header.length, null, local);
        } else { // v2 PROXY INET / INET6 with TLVs
            boolean ipv4 = kind == 4;
            byte[] sourceBytes = bytes(data, ipv4 ? 4 : 16);
            byte[] destinationBytes = bytes(data, ipv4 ? 4 : 16);
            InetAddress source = address(sourceBytes); // an IPv4-mapped IPv6 address is its IPv4 address
            InetAddress destination = address(destinationBytes);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.writeBytes(sourceBytes);
            body.writeBytes(destinationBytes);
            u16(body, sourcePort);
            u16(body, destinationPort);
            ProxiedTls tls = tlvs(data, body);
            boolean crc = data.consumeBoolean();
            if (crc) tlv(body, ProxyProtocolParser.PP2_TYPE_CRC32C, new byte[4]);
            header = v2(0x21, ipv4 ? 0x11 : 0x21, body.toByteArray());
            if (crc) {
                CRC32C c = new CRC32C();
                c.update(header);
                int value = (int) c.getValue();
                for (int i = 0; i < 4; i++) header[header.length - 4 + i] = (byte) (value >>> (24 - 8 * i));
            }
            expected = new ProxyHeader(new InetSocketAddress(source, sourcePort), new InetSocketAddress(destination, destinationPort),
                    header.length, tls);
        }
        byte[] wire = Arrays.copyOf(header, header.length + after.length);
        System.arraycopy(after, 0, wire, header.length, after.length);
        assertEquals(expected, outcome(wire, wire.length), "a built header");
        return wire;
    }

    private static byte[] bytes(FuzzedDataProvider data, int length) {
        return Arrays.copyOf(data.consumeBytes(length), length);
    }

    private static InetAddress address(byte[] b) {
        try {
            return InetAddress.getByAddress(b); // an IPv4-mapped IPv6 address is its IPv4 address
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** The text of an address in a v1 header: canonical, or (TCP6) in full or upper case, as other proxies may write it. */
    private static String v1Address(InetAddress address, boolean tcp4, FuzzedDataProvider data) {
        if (tcp4) return address.getHostAddress();
        if (address instanceof Inet4Address) return (data.consumeBoolean() ? "::ffff:" : "::FFFF:") + address.getHostAddress();
        return switch (data.consumeInt(0, 2)) {
            case 0 -> HostAddress.text(address);
            case 1 -> HostAddress.text(address).toUpperCase(java.util.Locale.ROOT);
            default -> address.getHostAddress(); // 0:0:0:0:0:0:0:1, the JDK's form
        };
    }

    /** TLVs of the fuzzer's choice into {@code body}; what the parser should make of them. */
    private static ProxiedTls tlvs(FuzzedDataProvider data, ByteArrayOutputStream body) {
        String authority = null;
        ProxiedTls tls = null;
        for (int i = data.consumeInt(0, 4); i > 0; i--) {
            switch (data.consumeInt(0, 2)) {
                case 0 -> { // types the parser skips: ALPN, NOOP, UNIQUE_ID, NETNS, custom
                    int type = data.pickValue(new int[] {0x01, 0x04, 0x05, 0x30, 0xe0, 0xee});
                    tlv(body, type, data.consumeBytes(30));
                }
                case 1 -> {
                    if (authority != null) continue; // once (the last one would count)
                    authority = data.consumeAsciiString(40);
                    tlv(body, ProxyProtocolParser.PP2_TYPE_AUTHORITY, authority.getBytes(StandardCharsets.US_ASCII));
                }
                default -> {
                    if (tls != null) continue;
                    tls = ssl(data, body);
                }
            }
        }
        if (tls == null || tls == NO_TLS) return null;
        String sni = authority != null && authority.matches("[A-Za-z0-9._-]+") ? authority : null;
        return new ProxiedTls(tls.protocol(), tls.cipher(), tls.signatureAlgorithm(), tls.keyAlgorithm(), sni, tls.clientCertificate(),
                tls.clientVerified(), tls.clientCommonName());
    }

    /** What {@link #ssl} returns for an SSL TLV without {@code PP2_CLIENT_SSL}: the client did not use TLS. */
    private static final ProxiedTls NO_TLS = new ProxiedTls(null, null, null, null, null, false, false, null);

    /** A {@code PP2_TYPE_SSL} TLV with sub-TLVs into {@code body}; what it says (its server name left to the caller). */
    private static ProxiedTls ssl(FuzzedDataProvider data, ByteArrayOutputStream body) {
        int client = data.consumeInt(0, 7);
        int verify = data.consumeBoolean() ? 0 : data.consumeInt();
        ByteArrayOutputStream value = new ByteArrayOutputStream();
        value.write(client);
        for (int i = 24; i >= 0; i -= 8) value.write(verify >>> i);
        boolean certificate = (client & 6) != 0;
        boolean verified = certificate && verify == 0;
        String[] texts = new String[5]; // version, CN, cipher, sig alg, key alg: the last of each counts
        for (int i = data.consumeInt(0, 6); i > 0; i--) {
            int subtype = data.consumeInt(0x21, 0x26); // 0x26: one the parser does not know
            String text = subtype == 0x22 ? data.consumeString(30) : data.consumeAsciiString(30);
            tlv(value, subtype, text.getBytes(StandardCharsets.UTF_8));
            if (subtype < 0x26) texts[subtype - 0x21] = text;
        }
        tlv(body, ProxyProtocolParser.PP2_TYPE_SSL, value.toByteArray());
        if ((client & 1) == 0) return NO_TLS;
        // what the parser decodes (a lone surrogate became '?')
        String cn = texts[1] == null ? null : new String(texts[1].getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        boolean cnClean = cn != null && cn.chars().noneMatch(c -> c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0));
        return new ProxiedTls(visible(texts[0]), visible(texts[2]), visible(texts[3]), visible(texts[4]), null, certificate, verified,
                verified && cnClean ? cn : null);
    }

    private static String visible(String text) {
        return text != null && text.matches("[\\x21-\\x7e]*") ? text : null;
    }

    private static byte[] v2(int versionCommand, int familyTransport, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(SIGNATURE);
        out.write(versionCommand);
        out.write(familyTransport);
        u16(out, body.length);
        out.writeBytes(body);
        return out.toByteArray();
    }

    private static void tlv(ByteArrayOutputStream out, int type, byte[] value) {
        out.write(type);
        u16(out, value.length);
        out.writeBytes(value);
    }

    private static void u16(ByteArrayOutputStream out, int value) {
        out.write(value >> 8);
        out.write(value);
    }
}
