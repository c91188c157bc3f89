package org.minipylib.wsgiserver.proxy;

import org.minipylib.wsgiserver.http.ConnectionSetup;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.http.Transport;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.Arrays;

/**
 * The connection-setup step of a listener behind a proxy that speaks the PROXY protocol (HAProxy's
 * {@code send-proxy} / {@code send-proxy-v2}, nginx's {@code proxy_protocol on}): reads the header
 * every connection must start with, v1 or v2, and continues with a transport whose addresses are the
 * real client's. A missing or malformed header closes the connection without an answer (the peer is
 * not the proxy, or does not speak the protocol: an HTTP answer would mean nothing to it).
 */
public final class ProxyProtocolSetup implements ConnectionSetup {

    /** Enough for any v1 header and a v2 header with IPv4, IPv6 or UNIX addresses and a few TLVs. */
    private static final int INITIAL_BUFFER = 256;

    @Override
    public Transport setUp(Transport transport, long deadlineNanos) throws IOException {
        byte[] buf = new byte[INITIAL_BUFFER];
        int len = 0;
        while (true) {
            ProxyHeader header = ProxyProtocolParser.parse(buf, len);
            if (header != null) return new ProxiedTransport(transport, header, buf, header.length(), len);
            // Long TLVs: room grows as their bytes arrive (never for v1, 107 bytes at most), not to the
            // length a v2 header declares, up to 64 KiB, before they have come.
            if (len == buf.length) buf = Arrays.copyOf(buf, buf.length * 2);
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) throw new SocketTimeoutException("no PROXY protocol header in time");
            int n = transport.read(buf, len, buf.length - len, HttpTimeouts.waitMillis(left));
            if (n < 0) throw new EOFException("closed before the end of the PROXY protocol header");
            len += n;
        }
    }
}
