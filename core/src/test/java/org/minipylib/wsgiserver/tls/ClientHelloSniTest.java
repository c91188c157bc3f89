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
}
