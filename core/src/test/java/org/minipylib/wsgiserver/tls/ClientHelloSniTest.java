package org.minipylib.wsgiserver.tls;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The server name read from real ClientHellos (made by the JDK's client engine), and nothing, never
 * an exception, from truncated or corrupted ones.
 */
class ClientHelloSniTest {

    private static byte[] clientHello(String sniHost) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, null, null);
        SSLEngine engine = context.createSSLEngine("peer", 443);
        engine.setUseClientMode(true);
        SSLParameters params = engine.getSSLParameters();
        params.setServerNames(sniHost == null ? List.of() : List.of(new SNIHostName(sniHost)));
        engine.setSSLParameters(params);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        return Arrays.copyOf(out.array(), out.position());
    }

    @Test
    void readsTheHostNameOfARealClientHello() throws Exception {
        byte[] hello = clientHello("Api.Example.COM");
        assertEquals(hello.length, ClientHelloSni.recordLength(hello, hello.length));
        assertEquals("api.example.com", ClientHelloSni.hostName(hello, hello.length));
        assertNull(ClientHelloSni.hostName(clientHello(null), clientHello(null).length));
    }

    /** The hello's record payloads split into records of at most {@code size} bytes. */
    private static byte[] fragmented(byte[] record, int size) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int length = record.length - 5;
        for (int from = 0; from < length; from += size) {
            int n = Math.min(size, length - from);
            out.write(record, 0, 3);
            out.write(n >> 8);
            out.write(n);
            out.write(record, 5 + from, n);
        }
        return out.toByteArray();
    }

    @Test
    void readsTheHostNameOfAHelloSplitOverRecords() throws Exception {
        byte[] hello = clientHello("split.example.com");
        for (int size : new int[] {1, 3, 4, 5, 20, 100, 300, hello.length}) {
            byte[] split = fragmented(hello, size);
            assertEquals(split.length, ClientHelloSni.helloExtent(split, split.length), "records of " + size);
            assertEquals("split.example.com", ClientHelloSni.hostName(split, split.length), "records of " + size);
            ClientHelloSni.Scan growing = new ClientHelloSni.Scan(); // one scan as the bytes arrive, one more each time
            for (int length = 0; length < split.length; length++) { // the name only once the whole hello is in
                assertEquals(ClientHelloSni.NEED_MORE, ClientHelloSni.helloExtent(split, length), "records of " + size + ", " + length + " bytes");
                assertEquals(ClientHelloSni.NEED_MORE, growing.extent(split, length), "growing, records of " + size + ", " + length + " bytes");
                assertNull(ClientHelloSni.hostName(split, length));
            }
            assertEquals(split.length, growing.extent(split, split.length), "growing, records of " + size);
        }
        byte[] followed = Arrays.copyOf(hello, hello.length + 10); // the next record's first bytes behind it
        followed[hello.length] = 20;
        assertEquals(hello.length, ClientHelloSni.helloExtent(followed, followed.length));
    }

    @Test
    void whatIsNoHandshakeRecordIsNotAHello() throws Exception {
        byte[] hello = clientHello("a.test");
        byte[] alert = hello.clone();
        alert[0] = 21;
        assertEquals(ClientHelloSni.NOT_A_HELLO, ClientHelloSni.helloExtent(alert, alert.length));
        byte[] empty = {22, 3, 1, 0, 0, 22, 3, 1};
        assertEquals(ClientHelloSni.NOT_A_HELLO, ClientHelloSni.helloExtent(empty, empty.length), "an empty handshake record");
        byte[] huge = {22, 3, 1, 0, 4, 1, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        assertEquals(ClientHelloSni.NOT_A_HELLO, ClientHelloSni.helloExtent(huge, huge.length), "a hello longer than read");
    }

    @Test
    void truncatedOrCorruptedHellosGiveNoName() throws Exception {
        byte[] hello = clientHello("a.test");
        for (int length = 0; length < hello.length; length++) {
            String name = ClientHelloSni.hostName(hello, length);
            if (name != null) assertEquals("a.test", name); // only once the name itself is in
        }
        assertEquals(-1, ClientHelloSni.recordLength(hello, 4));
        Random random = new Random(42);
        for (int i = 0; i < 2000; i++) {
            byte[] corrupt = hello.clone();
            for (int j = 0; j < 4; j++) corrupt[5 + random.nextInt(corrupt.length - 5)] = (byte) random.nextInt(256);
            ClientHelloSni.hostName(corrupt, corrupt.length); // any answer, but no exception
        }
    }

    /** Once a scan has answered (here: a declared hello longer than the limit), it answers the same as more bytes come (found by ClientHelloSniFuzzTest). */
    @Test
    void aScansFinalAnswerStaysAsMoreBytesArrive() {
        byte[] tooLong = {22, 3, 3, 0, 100, 1, (byte) 0xf6, 1, (byte) 0xb7, 0};
        ClientHelloSni.Scan scan = new ClientHelloSni.Scan();
        assertEquals(ClientHelloSni.NOT_A_HELLO, scan.extent(tooLong, 9));
        assertEquals(ClientHelloSni.NOT_A_HELLO, scan.extent(tooLong, 10));
        assertEquals(ClientHelloSni.NOT_A_HELLO, ClientHelloSni.helloExtent(tooLong, 10));
    }
}
