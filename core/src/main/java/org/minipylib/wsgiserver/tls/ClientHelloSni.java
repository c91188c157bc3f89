package org.minipylib.wsgiserver.tls;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads the server name (SNI, RFC 6066) from a TLS ClientHello before any engine sees it, so the
 * server can pick the SSL context, and with it the session cache, of that host: a session made for
 * one host is then never resumed under another's name (RFC 6066 section 3).
 */
final class ClientHelloSni {

    /** The record header: type, version, length. */
    static final int RECORD_HEADER = 5;

    private ClientHelloSni() {
    }

    /** How many bytes the first TLS record occupies (header included), from its header; -1 if not all of the header is there. */
    static int recordLength(byte[] data, int length) {
        if (length < RECORD_HEADER) return -1;
        return RECORD_HEADER + ((data[3] & 0xff) << 8 | (data[4] & 0xff));
    }

    /**
     * The host name in the ClientHello held by the first record in {@code data[0, length)}, lower
     * case; null if there is none, or the hello is malformed or does not fit in the record (the
     * handshake itself then decides).
     */
    static String hostName(byte[] data, int length) {
        int end = Math.min(length, recordLength(data, length));
        int p = RECORD_HEADER;
        if (end < p + 4 || data[p] != 1) return null; // not a ClientHello
        p += 4 + 2 + 32; // handshake header, client_version, random
        if (p >= end) return null;
        p += 1 + (data[p] & 0xff); // session_id
        if (p + 2 > end) return null;
        p += 2 + u16(data, p); // cipher_suites
        if (p >= end) return null;
        p += 1 + (data[p] & 0xff); // compression_methods
        if (p + 2 > end) return null;
        int extensionsEnd = Math.min(end, p + 2 + u16(data, p));
        p += 2;
        while (p + 4 <= extensionsEnd) {
            int type = u16(data, p);
            int size = u16(data, p + 2);
            p += 4;
            if (type == 0 && p + 2 <= extensionsEnd) { // server_name: a list of (type, name)
                int q = p + 2;
                int listEnd = Math.min(extensionsEnd, q + u16(data, p));
                while (q + 3 <= listEnd) {
                    int nameLength = u16(data, q + 1);
                    if (data[q] == 0 && q + 3 + nameLength <= listEnd) {
                        return new String(data, q + 3, nameLength, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
                    }
                    q += 3 + nameLength;
                }
                return null;
            }
            p += size;
        }
        return null;
    }

    private static int u16(byte[] data, int at) {
        return (data[at] & 0xff) << 8 | (data[at + 1] & 0xff);
    }
}
