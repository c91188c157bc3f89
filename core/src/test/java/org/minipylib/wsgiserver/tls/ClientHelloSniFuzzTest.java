package org.minipylib.wsgiserver.tls;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes {@link ClientHelloSni}, which reads bytes from any client before the TLS handshake: it
 * documents no exception at all, so none may come out; {@link ClientHelloSni#helloExtent} answers
 * {@code NEED_MORE}, {@code NOT_A_HELLO} or an extent within the bytes given, the same whether the
 * bytes are scanned at once or as they arrive ({@link ClientHelloSni.Scan}), and no later bytes change
 * a final answer; a name comes only from a whole hello, lower case, and the same name comes out
 * however the hello is split into records. Half of the runs build a ClientHello around a name from
 * the fuzzer's bytes and check that exactly that name is read.
 * A normal build replays the seed corpus (real ClientHellos of the JDK's client, TLS 1.2 and 1.3, with
 * and without SNI); {@code JAZZER_FUZZ=1} fuzzes (see docs/http-compliance.md).
 */
class ClientHelloSniFuzzTest {

    private static final int RECORD_HEADER = ClientHelloSni.RECORD_HEADER;

    @FuzzTest(maxDuration = "10s")
    // libFuzzer dictionary syntax: \xNN escapes
    @DictionaryEntries({"\\x16\\x03\\x01", "\\x16\\x03\\x03", "\\x01\\x00", "\\x00\\x00", "\\x00\\x17", "\\x00\\x2b", "\\x03\\x03",
            "\\xff\\xff", ".example.com"})
    void sni(FuzzedDataProvider data) {
        Random random = new Random(data.consumeLong());
        if (data.consumeBoolean()) {
            built(data, random);
            return;
        }
        byte[] wire = data.consumeRemainingAsBytes();
        int extent = checkedExtent(wire, wire.length);
        String name = ClientHelloSni.hostName(wire, wire.length);
        if (extent <= 0) assertNull(name, "a name without a whole hello");
        if (name != null) assertEquals(name.toLowerCase(Locale.ROOT), name, "lower case");

        // the record length, from the header alone
        int record = ClientHelloSni.recordLength(wire, wire.length);
        if (wire.length < RECORD_HEADER) assertEquals(-1, record);
        else assertTrue(record >= RECORD_HEADER && record <= RECORD_HEADER + 0xffff);

        // scanning as the bytes arrive gives what one scan of the same bytes gives, and a final answer stays
        ClientHelloSni.Scan scan = new ClientHelloSni.Scan();
        int length = 0;
        boolean finalAnswer = false;
        int scanFinal = ClientHelloSni.NEED_MORE;
        while (true) {
            int fresh = checkedExtent(wire, length);
            int scanned = scan.extent(wire, length); // called on after its final answer too: it keeps that answer
            if (!finalAnswer) assertEquals(fresh, scanned, "scanning as " + length + " bytes arrived");
            else assertEquals(scanFinal, scanned, "the scan changed its final answer, at " + length + " bytes");
            if (!finalAnswer && scanned != ClientHelloSni.NEED_MORE) scanFinal = scanned;
            if (finalAnswer || fresh != ClientHelloSni.NEED_MORE) {
                assertEquals(extent, fresh, "later bytes changed a final answer, at " + length + " bytes");
                String early = ClientHelloSni.hostName(wire, length);
                assertEquals(name, early, "the name at " + length + " bytes");
                finalAnswer = true;
            } else {
                assertNull(ClientHelloSni.hostName(wire, length), "a name before the hello is whole, at " + length + " bytes");
            }
            if (length == wire.length) break;
            length = Math.min(wire.length, length + 1 + random.nextInt(random.nextBoolean() ? 8 : 600));
        }

        if (extent > 0) {
            // the same handshake message in other records gives the same name
            byte[] message = message(wire, extent);
            byte[] again = records(message, wire[1], wire[2], random);
            assertEquals(again.length, ClientHelloSni.helloExtent(again, again.length), "the same hello in other records");
            assertEquals(name, ClientHelloSni.hostName(again, again.length), "the same hello in other records");
        }
    }

    /** A ClientHello with the fuzzer's fields around a known name (or none): exactly that name is read. */
    private static void built(FuzzedDataProvider data, Random random) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(3);
        body.write(data.consumeBoolean() ? 3 : 1); // client_version
        body.writeBytes(data.consumeBytes(32)); // random, maybe short: padded below
        while (body.size() < 34) body.write(0);
        vector8(body, data.consumeBytes(32)); // session_id
        vector16(body, data.consumeBytes(64)); // cipher_suites
        vector8(body, data.consumeBytes(3)); // compression_methods
        ByteArrayOutputStream extensions = new ByteArrayOutputStream();
        for (int i = data.consumeInt(0, 3); i > 0; i--) extension(extensions, data.consumeInt(1, 0xffff), data.consumeBytes(40));
        String expected = null;
        if (data.consumeBoolean()) {
            String host = data.consumeAsciiString(300);
            ByteArrayOutputStream list = new ByteArrayOutputStream();
            for (int i = data.consumeInt(0, 2); i > 0; i--) { // entries of other name types come first
                list.write(data.consumeInt(1, 255));
                vector16(list, data.consumeBytes(20));
            }
            list.write(0); // host_name
            vector16(list, host.getBytes(StandardCharsets.US_ASCII));
            ByteArrayOutputStream serverName = new ByteArrayOutputStream();
            vector16(serverName, list.toByteArray());
            extension(extensions, 0, serverName.toByteArray());
            expected = host.toLowerCase(Locale.ROOT);
        }
        for (int i = data.consumeInt(0, 3); i > 0; i--) { // behind it, a second server_name too: the first one counts
            extension(extensions, expected != null && data.consumeBoolean() ? 0 : data.consumeInt(1, 0xffff), data.consumeBytes(40));
        }
        vector16(body, extensions.toByteArray());
        byte[] b = body.toByteArray();
        byte[] message = new byte[4 + b.length];
        message[0] = 1;
        message[1] = (byte) (b.length >> 16);
        message[2] = (byte) (b.length >> 8);
        message[3] = (byte) b.length;
        System.arraycopy(b, 0, message, 4, b.length);
        byte[] hello = records(message, (byte) 3, (byte) (random.nextBoolean() ? 1 : 3), random);
        assertEquals(hello.length, ClientHelloSni.helloExtent(hello, hello.length));
        assertEquals(expected, ClientHelloSni.hostName(hello, hello.length), "the name in a built hello");
        byte[] followed = Arrays.copyOf(hello, hello.length + 1 + random.nextInt(20)); // the next record's first bytes
        for (int i = hello.length; i < followed.length; i++) followed[i] = (byte) random.nextInt(256);
        assertEquals(hello.length, ClientHelloSni.helloExtent(followed, followed.length), "bytes after the hello");
        assertEquals(expected, ClientHelloSni.hostName(followed, followed.length), "bytes after the hello");
        for (int i = 0; i < 4; i++) {
            int cut = random.nextInt(hello.length);
            assertEquals(ClientHelloSni.NEED_MORE, ClientHelloSni.helloExtent(hello, cut), "a hello cut at " + cut);
        }
    }

    /** {@link ClientHelloSni#helloExtent} and its range. */
    private static int checkedExtent(byte[] data, int length) {
        int extent = ClientHelloSni.helloExtent(data, length);
        assertTrue(extent == ClientHelloSni.NEED_MORE || extent == ClientHelloSni.NOT_A_HELLO || extent <= length,
                "extent " + extent + " of " + length + " bytes");
        return extent;
    }

    /** The handshake message in the records of {@code wire[0, extent)}: their payloads joined. */
    private static byte[] message(byte[] wire, int extent) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int p = 0; p < extent; ) {
            int n = Math.min((wire[p + 3] & 0xff) << 8 | (wire[p + 4] & 0xff), extent - p - RECORD_HEADER);
            out.write(wire, p + RECORD_HEADER, n);
            p += RECORD_HEADER + n;
        }
        return out.toByteArray();
    }

    /** {@code message} in handshake records of random sizes (1 to 16 KiB). */
    private static byte[] records(byte[] message, byte major, byte minor, Random random) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int max = random.nextBoolean() ? 1 + random.nextInt(40) : 16384;
        for (int from = 0; from < message.length; ) {
            int n = Math.min(1 + random.nextInt(max), message.length - from);
            out.write(22);
            out.write(major);
            out.write(minor);
            out.write(n >> 8);
            out.write(n);
            out.write(message, from, n);
            from += n;
        }
        return out.toByteArray();
    }

    private static void extension(ByteArrayOutputStream out, int type, byte[] value) {
        out.write(type >> 8);
        out.write(type);
        vector16(out, value);
    }

    private static void vector8(ByteArrayOutputStream out, byte[] value) {
        out.write(value.length);
        out.writeBytes(value);
    }

    private static void vector16(ByteArrayOutputStream out, byte[] value) {
        out.write(value.length >> 8);
        out.write(value.length);
        out.writeBytes(value);
    }
}
