package org.minipylib.wsgiserver.tls;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.ServerConfig;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.http.Gateway;
import org.minipylib.wsgiserver.http.HttpResponse;
import org.minipylib.wsgiserver.testing.EngineTlsClient;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TlsClients;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The environ's TLS variables are computed once per connection and kept with it, not in the JDK's
 * session: a value bound to a TLS 1.3 session made the JDK keep a copy of the session in the
 * server's session cache (and send one more ticket), so every connection whose application read
 * the environ left a few KiB behind for up to a day. Each connection here reads them twice (the
 * second from the cache) on two requests.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsEnvironKeepsNoSessionPerConnectionTest {

    private static final int CONNECTIONS = 20;

    /** A TLS server whose every response is {@code answer} applied to its connection's session. */
    private static WsgiServer start(TestCertificates.LocalhostTls tls, Function<SSLSession, String> answer) throws Exception {
        Gateway gateway = exchange -> {
            byte[] body = answer.apply(exchange.sslSession()).getBytes(StandardCharsets.US_ASCII);
            HttpResponse response = exchange.response();
            response.begin(200, "OK", List.of(), body.length);
            response.write(body, 0, body.length);
            response.finish();
        };
        ServerConfig config = ServerConfig.builder().bind("127.0.0.1", 0).sslAdapter(new JsseSslAdapter(tls.server())).build();
        return new WsgiServer(gateway, config).start();
    }

    @Test
    void connectionsThatReadTheTlsVariablesLeaveNoSessionInTheServersCache(@TempDir Path dir) throws Exception {
        TestCertificates.LocalhostTls tls = TestCertificates.localhostTls(dir, "environ-session-ca");
        AtomicReference<SSLSessionContext> serverSessions = new AtomicReference<>();
        WsgiServer server = start(tls, session -> {
            Map<String, Object> environ = new HashMap<>();
            SslEnviron.addTo(environ, session); // as the WSGI gateway does when the environ is read
            serverSessions.set(session.getSessionContext());
            return String.valueOf(environ.get("SSL_PROTOCOL"));
        });
        try {
            for (int i = 0; i < CONNECTIONS; i++) {
                try (SSLSocket socket = TlsClients.connect(tls.client(), server.port(), null); RawClient client = new RawClient(socket)) {
                    for (int request = 0; request < 2; request++) {
                        client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
                        assertEquals("TLSv1.3", client.read().bodyText());
                    }
                }
            }
            int kept = Collections.list(serverSessions.get().getIds()).size();
            assertTrue(kept < CONNECTIONS / 2, kept + " sessions kept in the server's cache after " + CONNECTIONS + " connections");
        } finally {
            server.stop();
        }
    }

    @Test
    void valuesAnApplicationBindsStayWithItsConnection(@TempDir Path dir) throws Exception {
        TestCertificates.LocalhostTls tls = TestCertificates.localhostTls(dir, "session-values-ca");
        WsgiServer server = start(tls, session -> {
            Object seen = session.getValue("count");
            int count = seen == null ? 1 : (Integer) seen + 1;
            session.putValue("count", count);
            return count + " " + String.join(",", session.getValueNames());
        });
        try {
            for (int connection = 0; connection < 2; connection++) {
                try (SSLSocket socket = TlsClients.connect(tls.client(), server.port(), null); RawClient client = new RawClient(socket)) {
                    for (int request = 1; request <= 3; request++) {
                        client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
                        assertEquals(request + " count", client.read().bodyText(), "a fresh connection starts with none");
                    }
                }
            }
        } finally {
            server.stop();
        }
    }

    /** A renegotiation (TLS 1.2) makes a new session: the variables are computed anew, not kept from the old one. */
    @Test
    void aRenegotiationGivesTheNewSessionsVariables(@TempDir Path dir) throws Exception {
        TestCertificates.LocalhostTls tls = TestCertificates.localhostTls(dir, "renegotiation-environ-ca");
        WsgiServer server = start(tls, session -> {
            Map<String, Object> environ = new HashMap<>();
            SslEnviron.addTo(environ, session);
            return "id=" + environ.get("SSL_SESSION_ID") + ";";
        });
        try (EngineTlsClient tls12 = EngineTlsClient.connectTls12(tls.client(), server.port())) {
            String first = sessionId(tls12);
            assertEquals(first, sessionId(tls12), "the same session: the same id");
            tls12.session().invalidate(); // so that the renegotiation makes a new session, not resumes this one
            tls12.renegotiate();
            String second = sessionId(tls12);
            assertTrue(!second.equals(first), "the new session's id, not " + first);
            assertEquals(java.util.HexFormat.of().formatHex(tls12.session().getId()), second);
        } finally {
            server.stop();
        }
    }

    private static String sessionId(EngineTlsClient client) throws java.io.IOException {
        client.send(client.record("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        String text = client.readUntil(";");
        return text.substring(text.indexOf("id=") + 3, text.indexOf(';'));
    }
}
