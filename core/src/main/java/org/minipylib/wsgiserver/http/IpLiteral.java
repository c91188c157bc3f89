package org.minipylib.wsgiserver.http;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Reads an IP address written as text (in a Host header, a PROXY protocol header, {@code Forwarded},
 * {@code X-Forwarded-For}, a trusted-proxy list) strictly, and never looks a name up:
 * {@link InetAddress#getByName} would send {@code 256.1.1.1} to DNS, and reads {@code 010.0.0.1} as
 * 10.0.0.1 where {@code inet_aton} reads 8.0.0.1.
 *
 * <ul>
 *   <li>IPv4: four decimal numbers 0-255, no leading zeros, no other forms.</li>
 *   <li>IPv6: RFC 4291 section 2.2 text (with an IPv4 tail written as above), no brackets, no zone.
 *       An IPv4-mapped address ({@code ::ffff:192.0.2.1}) is that IPv4 address.</li>
 * </ul>
 */
public final class IpLiteral {

    private IpLiteral() {
    }

    /** The address {@code text} writes, or {@code null} if it is not a literal as described above. */
    public static InetAddress parse(String text) {
        byte[] v4 = ipv4(text);
        if (v4 == null) return ipv6(text);
        try {
            return InetAddress.getByAddress(v4);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 bytes are an IPv4 address", e);
        }
    }

    /** The address an IPv6 literal writes (an IPv4-mapped one as IPv4), or {@code null}. */
    public static InetAddress ipv6(String text) {
        if (!isIpv6Text(text)) return null;
        try {
            // in brackets, the JDK parses an IPv6 literal or fails: it never asks a resolver
            return InetAddress.getByName("[" + text + "]");
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** The 4 bytes of a dotted-quad IPv4 literal, or {@code null}. */
    public static byte[] ipv4(String text) {
        byte[] out = new byte[4];
        int part = 0;
        int i = 0;
        int n = text.length();
        while (part < 4) {
            int start = i;
            int value = 0;
            while (i < n && i - start < 3 && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
                value = value * 10 + (text.charAt(i++) - '0');
            }
            int digits = i - start;
            if (digits == 0 || value > 255 || (digits > 1 && text.charAt(start) == '0')) return null;
            out[part++] = (byte) value;
            if (part < 4) {
                if (i >= n || text.charAt(i) != '.') return null;
                i++;
            }
        }
        return i == n ? out : null;
    }

    /** Hex digits and colons with at least one colon, and a valid IPv4 tail if there is a dot. */
    private static boolean isIpv6Text(String text) {
        if (text.length() < 2 || text.length() > 45 || text.indexOf(':') < 0) return false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!(c == ':' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                return false;
            }
        }
        return text.indexOf('.') < 0 || ipv4(text.substring(text.lastIndexOf(':') + 1)) != null;
    }
}
