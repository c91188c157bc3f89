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

    /** {@link #helloExtent}: more bytes are needed to hold the whole ClientHello. */
    static final int NEED_MORE = -1;
    /** {@link #helloExtent}: the bytes are no ClientHello this class reads (the handshake itself then decides). */
    static final int NOT_A_HELLO = 0;
    /** The longest ClientHello read (a real one is a few hundred bytes to a few KiB). */
    static final int MAX_HELLO = 64 * 1024;

    private static final int HANDSHAKE_RECORD = 22;

    /**
     * How many bytes of {@code data[0, length)} hold the whole first handshake message, record
     * headers included: a ClientHello may be split over several handshake records (by a client,
     * by a middlebox, or because it is over 16 KiB), and the server name may be in any of them.
     *
     * @return that many bytes (&gt; 0) once all are there, {@link #NEED_MORE}, or {@link #NOT_A_HELLO}
     */
    static int helloExtent(byte[] data, int length) {
        return new Scan().extent(data, length);
    }

    /**
     * {@link #helloExtent} for data that grows between calls (the same bytes at the same places,
     * more of them each time): it goes on from the last whole record it scanned, so that a hello
     * split into many small records costs each record one look, not one per read.
     */
    static final class Scan {
        private final byte[] header = new byte[4]; // the handshake message header: type, 24-bit length
        private int next; // where the first record not scanned whole yet starts
        private int payload; // message bytes in the records before next
        private int needed = -1; // the whole message's length, once its header is in
        private int answer = NEED_MORE; // once final, the answer to every later call too

        int extent(byte[] data, int length) {
            if (answer == NEED_MORE) answer = scan(data, length);
            return answer;
        }

        private int scan(byte[] data, int length) {
            while (true) {
                int p = next;
                if (p + RECORD_HEADER > length) return NEED_MORE;
                int recordLength = u16(data, p + 3);
                if (data[p] != HANDSHAKE_RECORD || recordLength == 0) return NOT_A_HELLO; // RFC 8446 section 5.1: no empty ones
                int available = Math.min(recordLength, length - p - RECORD_HEADER);
                for (int i = 0; i < available && payload + i < 4; i++) header[payload + i] = data[p + RECORD_HEADER + i];
                int seen = payload + available;
                if (needed < 0 && seen >= 4) {
                    if (header[0] != 1) return NOT_A_HELLO; // client_hello
                    needed = 4 + ((header[1] & 0xff) << 16 | u16(header, 2));
                    if (needed > MAX_HELLO) return NOT_A_HELLO;
                }
                if (needed >= 0 && seen >= needed) return p + RECORD_HEADER + available - (seen - needed);
                if (available < recordLength) return NEED_MORE; // the rest of this record: scanned again next time
                payload = seen;
                next = p + RECORD_HEADER + recordLength;
            }
        }
    }

    /**
     * The host name in the ClientHello at the start of {@code data[0, length)}, lower case; null if
     * there is none, the hello is malformed, or not all of it is there yet (see {@link #helloExtent}).
     */
    static String hostName(byte[] data, int length) {
        int extent = helloExtent(data, length);
        return extent > 0 ? hostNameInMessage(message(data, extent)) : null;
    }

    /** The payloads of the handshake records in {@code data[0, extent)}, joined: the handshake message. */
    private static byte[] message(byte[] data, int extent) {
        byte[] message = new byte[extent];
        int size = 0;
        for (int p = 0; p < extent; ) {
            int n = Math.min(u16(data, p + 3), extent - p - RECORD_HEADER);
            System.arraycopy(data, p + RECORD_HEADER, message, size, n);
            size += n;
            p += RECORD_HEADER + n;
        }
        return java.util.Arrays.copyOf(message, size);
    }

    /** The host name in a whole ClientHello handshake message (its header included); null if none or malformed. */
    private static String hostNameInMessage(byte[] data) {
        int end = data.length;
        int p = 0;
        if (end < 4 || data[p] != 1) return null; // not a ClientHello
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
