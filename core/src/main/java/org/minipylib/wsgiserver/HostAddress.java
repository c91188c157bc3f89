package org.minipylib.wsgiserver;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;

/**
 * IP addresses as text the way people and other servers write them: IPv4 dotted, IPv6 in the
 * canonical form of RFC 5952 ({@code ::1}, not Java's {@code 0:0:0:0:0:0:0:1}). Used for
 * REMOTE_ADDR, SERVER_NAME and the access log, so that they match what Cheroot and nginx report.
 */
public final class HostAddress {

    private HostAddress() {
    }

    /**
     * A listening or connected address as text: {@code host:port} for TCP (IPv6 in brackets, as in a
     * URL: {@code [::1]:8080}, since {@code ::1:8080} is itself an IPv6 address), {@code unix:/path}
     * for a UNIX domain socket.
     */
    public static String text(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            // an unresolved one (a host name that did not resolve) has no address: its name, then
            if (inet.isUnresolved()) return inet.getHostString() + ":" + inet.getPort();
            String host = text(inet.getAddress());
            return (inet.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + inet.getPort();
        }
        if (address instanceof UnixDomainSocketAddress unix) return "unix:" + unix.getPath();
        return String.valueOf(address);
    }

    /** The canonical text of {@code address} (no brackets, no scope id). */
    public static String text(InetAddress address) {
        if (!(address instanceof Inet6Address)) return address.getHostAddress();
        byte[] b = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        // the longest run of two or more zero groups (the first one on a tie) becomes "::"
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) j++;
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') sb.append(':');
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }
}
