package org.minipylib.wsgiserver.proxy;

import org.minipylib.wsgiserver.http.IpLiteral;
import org.minipylib.wsgiserver.http.LogText;
import org.minipylib.wsgiserver.http.ProxiedTls;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Parses the PROXY protocol header (HAProxy's specification, versions 1 and 2) at the start of a
 * byte array; no I/O. Strict: anything but a well-formed header is refused.
 *
 * <ul>
 *   <li>v1: one text line, at most 107 bytes: {@code PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n}, or
 *       {@code PROXY UNKNOWN ...\r\n}; single spaces, literal addresses of the named family, ports
 *       0-65535 without leading zeros.</li>
 *   <li>v2: the 12-byte signature, version 2, command {@code LOCAL} or {@code PROXY}, family
 *       {@code UNSPEC}, {@code INET}, {@code INET6} or {@code UNIX} over {@code STREAM}; the address
 *       block, then TLVs, each wholly inside the header. {@code PP2_TYPE_CRC32C} is verified;
 *       {@code PP2_TYPE_SSL} (with its sub-TLVs) and {@code PP2_TYPE_AUTHORITY} become
 *       {@link ProxyHeader#tls()} when the client connected to the proxy over TLS; other types are
 *       skipped. {@code LOCAL} and {@code UNSPEC} headers are not looked into past the fixed part.</li>
 * </ul>
 */
public final class ProxyProtocolParser {

    /** Longest v1 header, CRLF included. */
    public static final int V1_MAX_LENGTH = 107;
    /** The fixed part of a v2 header. */
    public static final int V2_FIXED_LENGTH = 16;

    private static final byte[] V1_PREFIX = "PROXY ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    private ProxyProtocolParser() {
    }

    /**
     * Parses the header at {@code b[0, len)}.
     *
     * @return the header, or {@code null} if the bytes so far are a valid beginning but not yet a whole header
     * @throws ProxyProtocolException if they cannot be the start of a valid header
     */
    public static ProxyHeader parse(byte[] b, int len) throws ProxyProtocolException {
        if (len == 0) return null;
        if (startsWith(b, len, V1_PREFIX)) {
            if (len < V1_PREFIX.length) return null;
            return parseV1(b, len);
        }
        if (startsWith(b, len, V2_SIGNATURE)) {
            if (len < V2_FIXED_LENGTH) return null;
            return parseV2(b, len);
        }
        throw new ProxyProtocolException("the connection does not start with a PROXY protocol header");
    }

    /**
     * How many bytes the v2 header at {@code b} is long in total, once its fixed part is there;
     * -1 if not known yet (or not v2).
     */
    public static int v2Length(byte[] b, int len) {
        if (len < V2_FIXED_LENGTH || !startsWith(b, len, V2_SIGNATURE)) return -1;
        return V2_FIXED_LENGTH + (((b[14] & 0xff) << 8) | (b[15] & 0xff));
    }

    /** True if the first min(len, prefix.length) bytes agree with {@code prefix}. */
    private static boolean startsWith(byte[] b, int len, byte[] prefix) {
        int n = Math.min(len, prefix.length);
        return Arrays.equals(b, 0, n, prefix, 0, n);
    }

    // ---- version 1 ----

    private static ProxyHeader parseV1(byte[] b, int len) throws ProxyProtocolException {
        int end = -1;
        for (int i = 0; i < Math.min(len, V1_MAX_LENGTH); i++) {
            if (b[i] == '\n') {
                end = i;
                break;
            }
        }
        if (end < 0) {
            if (len >= V1_MAX_LENGTH) throw new ProxyProtocolException("PROXY v1 header longer than 107 bytes");
            return null;
        }
        if (end == 0 || b[end - 1] != '\r') throw new ProxyProtocolException("PROXY v1 header not ended by CRLF");
        String line = new String(b, 0, end - 1, StandardCharsets.US_ASCII);
        int length = end + 1;
        String[] parts = line.split(" ", -1);
        if (parts.length >= 2 && parts[1].equals("UNKNOWN")) return ProxyHeader.unknownClient(length);
        if (parts.length != 6) throw new ProxyProtocolException("malformed PROXY v1 header: " + LogText.printable(line));
        int addressLength = switch (parts[1]) {
            case "TCP4" -> 4;
            case "TCP6" -> 16;
            default -> throw new ProxyProtocolException("unknown PROXY v1 protocol: " + LogText.printable(parts[1]));
        };
        InetAddress source = literal(parts[2], addressLength);
        InetAddress destination = literal(parts[3], addressLength);
        return new ProxyHeader(new InetSocketAddress(source, port(parts[4])), new InetSocketAddress(destination, port(parts[5])),
                length);
    }

    /**
     * An IPv4 dotted quad (TCP4) or an IPv6 literal (TCP6), never a name (no lookups). A TCP6
     * address may be IPv4-mapped ({@code ::ffff:192.0.2.1}, what HAProxy sends for IPv4 clients of a
     * dual-stack listener): it is that IPv4 address.
     */
    private static InetAddress literal(String text, int addressLength) throws ProxyProtocolException {
        boolean familyMatches = addressLength == 4 ? IpLiteral.ipv4(text) != null : text.indexOf(':') >= 0;
        InetAddress address = familyMatches ? IpLiteral.parse(text) : null;
        if (address == null) throw new ProxyProtocolException("bad address in PROXY v1 header: " + LogText.printable(text));
        return address;
    }

    private static int port(String text) throws ProxyProtocolException {
        if (!text.matches("0|[1-9][0-9]{0,4}") || Integer.parseInt(text) > 65535) {
            throw new ProxyProtocolException("bad port in PROXY v1 header: " + LogText.printable(text));
        }
        return Integer.parseInt(text);
    }

    // ---- version 2 ----

    private static ProxyHeader parseV2(byte[] b, int len) throws ProxyProtocolException {
        int versionCommand = b[12] & 0xff;
        if (versionCommand >> 4 != 2) throw new ProxyProtocolException("unsupported PROXY protocol version " + (versionCommand >> 4));
        int command = versionCommand & 0x0f;
        if (command > 1) throw new ProxyProtocolException("unknown PROXY v2 command " + command);
        int family = (b[13] & 0xff) >> 4;
        int transport = b[13] & 0x0f;
        int length = v2Length(b, len);
        if (len < length) return null;
        int addressBlock = length - V2_FIXED_LENGTH;
        // LOCAL (the proxy's own connection) and UNSPEC: addresses and TLVs are ignored
        if (command == 0) return ProxyHeader.local(length);
        if (family == 0) return ProxyHeader.unknownClient(length);
        if (transport != 1) throw new ProxyProtocolException("PROXY v2: only STREAM connections can carry HTTP");
        int p = V2_FIXED_LENGTH;
        int addresses = switch (family) {
            case 1 -> 12;
            case 2 -> 36;
            case 3 -> 216;
            default -> throw new ProxyProtocolException("unknown PROXY v2 address family " + family);
        };
        need(addressBlock, addresses);
        ProxiedTls tls = tlvs(b, p + addresses, length);
        return switch (family) {
            case 1 -> new ProxyHeader(inet(b, p, 4, p + 8), inet(b, p + 4, 4, p + 10), length, tls);
            case 2 -> new ProxyHeader(inet(b, p, 16, p + 32), inet(b, p + 16, 16, p + 34), length, tls);
            default -> new ProxyHeader(unix(b, p), unix(b, p + 108), length, tls);
        };
    }

    // ---- version 2 TLVs ----

    static final int PP2_TYPE_AUTHORITY = 0x02;
    static final int PP2_TYPE_CRC32C = 0x03;
    static final int PP2_TYPE_SSL = 0x20;
    static final int PP2_SUBTYPE_SSL_VERSION = 0x21;
    static final int PP2_SUBTYPE_SSL_CN = 0x22;
    static final int PP2_SUBTYPE_SSL_CIPHER = 0x23;
    static final int PP2_SUBTYPE_SSL_SIG_ALG = 0x24;
    static final int PP2_SUBTYPE_SSL_KEY_ALG = 0x25;
    static final int PP2_CLIENT_SSL = 0x01;
    static final int PP2_CLIENT_CERT_CONN = 0x02;
    static final int PP2_CLIENT_CERT_SESS = 0x04;
    /** The {@code client} byte and the 32-bit {@code verify} field before the sub-TLVs of {@code PP2_TYPE_SSL}. */
    private static final int SSL_FIXED_LENGTH = 5;
    private static final byte[] ZERO_CRC = new byte[4];

    /**
     * Walks the TLVs in {@code b[from, end)}, each of which must lie wholly inside it: a TLV that
     * overruns the header is a malformed header. Verifies {@code PP2_TYPE_CRC32C} if present (the
     * specification says a receiver must, and must drop the connection on a mismatch), reads
     * {@code PP2_TYPE_SSL} and {@code PP2_TYPE_AUTHORITY}, skips the others. No allocation but the
     * texts kept, and only when the client connected over TLS.
     *
     * @return what the proxy said about the client's TLS connection, or {@code null} if it was not TLS
     *         (no {@code PP2_TYPE_SSL}, or one without {@code PP2_CLIENT_SSL})
     */
    private static ProxiedTls tlvs(byte[] b, int from, int end) throws ProxyProtocolException {
        int ssl = -1; // value offsets of the TLVs used, -1 if absent
        int sslEnd = -1;
        int authority = -1;
        int authorityEnd = -1;
        for (int p = from; p < end; ) {
            int type = b[p] & 0xff;
            int valueEnd = tlvEnd(b, p, end, "TLV");
            int value = p + 3;
            switch (type) {
                case PP2_TYPE_CRC32C -> checkCrc32c(b, value, valueEnd, end);
                case PP2_TYPE_SSL -> {
                    if (valueEnd - value < SSL_FIXED_LENGTH) throw new ProxyProtocolException("PROXY v2 SSL TLV too short");
                    for (int q = value + SSL_FIXED_LENGTH; q < valueEnd; ) q = tlvEnd(b, q, valueEnd, "SSL sub-TLV");
                    ssl = value;
                    sslEnd = valueEnd;
                }
                case PP2_TYPE_AUTHORITY -> {
                    authority = value;
                    authorityEnd = valueEnd;
                }
                default -> {
                    // ALPN, NOOP, UNIQUE_ID, NETNS, custom types: of no use here
                }
            }
            p = valueEnd;
        }
        if (ssl < 0 || (b[ssl] & PP2_CLIENT_SSL) == 0) return null;
        int client = b[ssl] & 0xff;
        boolean certificate = (client & (PP2_CLIENT_CERT_CONN | PP2_CLIENT_CERT_SESS)) != 0;
        // verify is 0 when a presented certificate was verified (HAProxy also sends 0 without one)
        boolean verified = certificate && b[ssl + 1] == 0 && b[ssl + 2] == 0 && b[ssl + 3] == 0 && b[ssl + 4] == 0;
        String version = null;
        String cn = null;
        String cipher = null;
        String sigAlg = null;
        String keyAlg = null;
        for (int q = ssl + SSL_FIXED_LENGTH; q < sslEnd; ) {
            int subEnd = tlvEnd(b, q, sslEnd, "SSL sub-TLV");
            int v = q + 3;
            switch (b[q] & 0xff) {
                case PP2_SUBTYPE_SSL_VERSION -> version = ascii(b, v, subEnd);
                case PP2_SUBTYPE_SSL_CN -> cn = verified ? withoutControls(new String(b, v, subEnd - v, StandardCharsets.UTF_8)) : null;
                case PP2_SUBTYPE_SSL_CIPHER -> cipher = ascii(b, v, subEnd);
                case PP2_SUBTYPE_SSL_SIG_ALG -> sigAlg = ascii(b, v, subEnd);
                case PP2_SUBTYPE_SSL_KEY_ALG -> keyAlg = ascii(b, v, subEnd);
                default -> {
                    // e.g. HAProxy's newer PP2_SUBTYPE_SSL_GROUP, PP2_SUBTYPE_SSL_SIG_SCHEME
                }
            }
            q = subEnd;
        }
        String sni = authority < 0 ? null : hostName(ascii(b, authority, authorityEnd));
        return new ProxiedTls(version, cipher, sigAlg, keyAlg, sni, certificate, verified, cn);
    }

    /** The end of the TLV at {@code b[at]}, which must lie wholly before {@code limit}. */
    private static int tlvEnd(byte[] b, int at, int limit, String what) throws ProxyProtocolException {
        if (limit - at < 3) throw new ProxyProtocolException("PROXY v2 " + what + " overruns the header");
        int end = at + 3 + (((b[at + 1] & 0xff) << 8) | (b[at + 2] & 0xff));
        if (end > limit) throw new ProxyProtocolException("PROXY v2 " + what + " overruns the header");
        return end;
    }

    /** Checks the CRC32c of the whole header {@code b[0, headerEnd)}, computed with its own value as zeros. */
    private static void checkCrc32c(byte[] b, int value, int valueEnd, int headerEnd) throws ProxyProtocolException {
        if (valueEnd - value != 4) throw new ProxyProtocolException("PROXY v2 CRC32C TLV not 4 bytes long");
        CRC32C crc = new CRC32C();
        crc.update(b, 0, value);
        crc.update(ZERO_CRC, 0, 4);
        crc.update(b, valueEnd, headerEnd - valueEnd);
        long sent = ((b[value] & 0xffL) << 24) | ((b[value + 1] & 0xffL) << 16) | ((b[value + 2] & 0xffL) << 8) | (b[value + 3] & 0xffL);
        if (crc.getValue() != sent) throw new ProxyProtocolException("PROXY v2 header with a wrong CRC32C");
    }

    /**
     * Visible ASCII ({@code 0x21-0x7E}: protocol, cipher and algorithm names), else null: these values
     * reach the environ (SSL_PROTOCOL...), and a CR, LF or NUL there (the SNI comes from the internet
     * client through the proxy) would be passed on to logs and headers.
     */
    private static String ascii(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] < 0x21 || b[i] > 0x7e) return null; // bytes are signed: 0x80 and up are negative
        }
        return new String(b, from, to - from, StandardCharsets.US_ASCII);
    }

    /** {@code name} if it is a host name (letters, digits, {@code -}, {@code .}, {@code _}), else null. */
    private static String hostName(String name) {
        if (name == null || name.isEmpty()) return null;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
            if (!ok) return null;
        }
        return name;
    }

    /** {@code text} if it has no control characters (a certificate's common name may have spaces and non-ASCII), else null. */
    private static String withoutControls(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) return null;
        }
        return text;
    }

    private static void need(int have, int need) throws ProxyProtocolException {
        if (have < need) throw new ProxyProtocolException("PROXY v2 address block too short: " + have + " < " + need);
    }

    private static SocketAddress inet(byte[] b, int at, int length, int portAt) {
        try {
            InetAddress address = InetAddress.getByAddress(Arrays.copyOfRange(b, at, at + length));
            return new InetSocketAddress(address, ((b[portAt] & 0xff) << 8) | (b[portAt + 1] & 0xff));
        } catch (UnknownHostException e) {
            throw new AssertionError("4 and 16 bytes are valid address lengths", e);
        }
    }

    /**
     * A 108-byte, NUL-padded path; an empty one is an unnamed socket. A path the platform's file
     * names cannot hold (a byte beyond ASCII under a POSIX locale) keeps its ASCII, {@code ?} for the rest.
     */
    private static SocketAddress unix(byte[] b, int at) {
        int end = at;
        while (end < at + 108 && b[end] != 0) end++;
        String path = new String(b, at, end - at, StandardCharsets.UTF_8);
        try {
            return UnixDomainSocketAddress.of(path);
        } catch (InvalidPathException e) {
            return UnixDomainSocketAddress.of(path.replaceAll("[^\\x01-\\x7F]", "?"));
        }
    }
}
