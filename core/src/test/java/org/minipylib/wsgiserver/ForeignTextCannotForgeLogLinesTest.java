package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.tls.JsseSslAdapter;

import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.MessageFormat;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Text a client controls never starts a line of its own in the server's log: a line break (or an
 * escape sequence) in a TLS server name the JDK refuses, or in a response header name an application
 * built from the request, is escaped in the message that reports it.
 */
class ForeignTextCannotForgeLogLinesTest {

    private static final String FORGED = "x\n2026-12-07 SEVERE forged";

    /** The message as it would be printed, the exception's text included. */
    private static String printed(LogRecord r) {
        String message = r.getParameters() == null ? r.getMessage() : MessageFormat.format(r.getMessage(), r.getParameters());
        return r.getThrown() == null ? message : message + " " + r.getThrown();
    }

    @Test
    void anInvalidHeaderNameFromTheApplicationIsEscapedInTheErrorLine() throws Exception {
        WsgiApp echoesName = (env, sr) -> {
            sr.start("200 OK", List.of(Header.of(URLDecoder.decode(env.queryString(), StandardCharsets.UTF_8), "v")));
            return List.of();
        };
        try (LogCapture log = LogCapture.from(Level.WARNING);
             TestServer server = TestServer.start(echoesName);
             RawClient client = server.connect()) {
            client.send("GET /?X%0a2026-12-07%20SEVERE%20forged HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals(500, client.read().status());
            Poll.until(() -> log.records().size(), n -> n > 0, "the error line");
            String line = printed(log.records().get(0));
            assertTrue(line.contains("Invalid header name: X\\x0a2026-12-07 SEVERE forged"), line);
            assertFalse(line.contains("\n"), line);
        }
    }

    /** A ClientHello from the JDK's engine whose server name is then overwritten with {@code name} (same length). */
    private static byte[] clientHelloNaming(String name) throws Exception {
        String placeholder = "a".repeat(name.length() - 5) + ".test";
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, null, null);
        SSLEngine engine = context.createSSLEngine("peer", 443);
        engine.setUseClientMode(true);
        SSLParameters params = engine.getSSLParameters();
        params.setServerNames(List.of(new SNIHostName(placeholder)));
        engine.setSSLParameters(params);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        byte[] hello = Arrays.copyOf(out.array(), out.position());
        byte[] from = placeholder.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i + from.length <= hello.length; i++) {
            if (Arrays.equals(hello, i, i + from.length, from, 0, from.length)) {
                System.arraycopy(name.getBytes(StandardCharsets.ISO_8859_1), 0, hello, i, from.length);
                return hello;
            }
        }
        throw new AssertionError("no server name in the ClientHello");
    }

    @Test
    void aServerNameTheHandshakeRefusesIsEscapedInTheDebugLine(@TempDir Path dir) throws Exception {
        JsseSslAdapter adapter = new JsseSslAdapter(TestCertificates.localhostTls(dir, "forged-log-ca").server());
        try (LogCapture log = LogCapture.from(Level.FINE);
             TestServer server = TestServer.start((env, sr) -> List.of(), b -> b.sslAdapter(adapter));
             RawClient client = server.connect()) {
            client.send(clientHelloNaming(FORGED));
            client.readToEnd(); // the server's alert, then its close
            Poll.until(() -> log.startingWith("Connection setup with").size(), n -> n > 0, "the handshake's failure line");
            String line = printed(log.startingWith("Connection setup with").get(0));
            assertTrue(line.contains("x\\x0a2026-12-07 SEVERE forged"), line);
            assertFalse(line.contains("\n"), line);
        }
    }
}
