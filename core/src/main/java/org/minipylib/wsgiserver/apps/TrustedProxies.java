package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.http.IpLiteral;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The proxies whose {@code Forwarded} / {@code X-Forwarded-*} headers are believed, in gunicorn's
 * {@code forwarded_allow_ips} notation: a comma-separated list of IP addresses and CIDR networks
 * ({@code 127.0.0.1,::1,10.0.0.0/8,2001:db8::/32}), {@code *} for every peer, and {@code unix} for
 * peers on a UNIX domain socket (whose REMOTE_ADDR is empty).
 */
public final class TrustedProxies {

    private record Network(byte[] address, int prefixLength) {
        boolean contains(byte[] candidate) {
            if (candidate.length != address.length) return false;
            int full = prefixLength / 8;
            for (int i = 0; i < full; i++) {
                if (candidate[i] != address[i]) return false;
            }
            int rest = prefixLength % 8;
            if (rest == 0) return true;
            int mask = 0xff << (8 - rest) & 0xff;
            return (candidate[full] & mask) == (address[full] & mask);
        }
    }

    private final List<Network> networks;
    private final boolean everyone;
    private final boolean unixPeers;
    private final String text;

    private TrustedProxies(List<Network> networks, boolean everyone, boolean unixPeers, String text) {
        this.networks = List.copyOf(networks);
        this.everyone = everyone;
        this.unixPeers = unixPeers;
        this.text = text;
    }

    /**
     * Reads a list such as {@code 127.0.0.1,::1,10.0.0.0/8,unix} (spaces around commas allowed).
     *
     * @throws IllegalArgumentException if an entry is not an IP literal, a network, {@code *} or {@code unix}
     */
    public static TrustedProxies parse(String list) {
        List<Network> networks = new ArrayList<>();
        boolean everyone = false;
        boolean unixPeers = false;
        for (String raw : list.split(",")) {
            String entry = raw.trim();
            if (entry.isEmpty()) continue;
            if (entry.equals("*")) {
                everyone = true;
                continue;
            }
            if (entry.equals("unix")) {
                unixPeers = true;
                continue;
            }
            int slash = entry.indexOf('/');
            byte[] address = literal(slash < 0 ? entry : entry.substring(0, slash));
            if (address == null) throw new IllegalArgumentException("not an IP address or network: " + entry);
            int bits = address.length * 8;
            if (slash >= 0) {
                String prefix = entry.substring(slash + 1);
                if (!prefix.matches("[0-9]{1,3}") || Integer.parseInt(prefix) > bits) {
                    throw new IllegalArgumentException("bad network prefix length: " + entry);
                }
                bits = Integer.parseInt(prefix);
            }
            networks.add(new Network(address, bits));
        }
        return new TrustedProxies(networks, everyone, unixPeers, list.trim());
    }

    /**
     * True if a peer with this REMOTE_ADDR is a trusted proxy. An empty address is a UNIX socket
     * peer; anything that is not an IP literal is not trusted.
     */
    public boolean trusts(String remoteAddr) {
        if (everyone) return true;
        return listed(remoteAddr);
    }

    /**
     * True if an address that a header names as a hop is a trusted proxy: listed (an address or a
     * network); {@code *} does not count here. With {@code *} every peer may send the headers, but
     * only the hop the peer itself added is believed: were every named hop trusted too, the left-most
     * one, which the client wrote, would be taken for the client.
     */
    public boolean trustsHop(String address) {
        return address != null && !address.isEmpty() && listed(address);
    }

    private boolean listed(String remoteAddr) {
        if (remoteAddr == null || remoteAddr.isEmpty()) return unixPeers;
        byte[] address = literal(remoteAddr);
        if (address == null) return false;
        for (Network n : networks) {
            if (n.contains(address)) return true;
        }
        return false;
    }

    /**
     * The bytes of an IPv4 or IPv6 literal ({@link IpLiteral}: names are never looked up, ambiguous
     * forms such as {@code 010.0.0.1} are refused; an IPv4-mapped IPv6 address gives the 4 IPv4
     * bytes); {@code null} for anything else.
     */
    static byte[] literal(String text) {
        InetAddress address = text == null ? null : IpLiteral.parse(text);
        return address == null ? null : address.getAddress();
    }

    @Override
    public String toString() {
        return text;
    }
}
