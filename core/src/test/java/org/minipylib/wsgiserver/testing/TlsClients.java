package org.minipylib.wsgiserver.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Enumeration;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;

/** Real TLS clients for tests: {@link HttpClient} and raw {@link SSLSocket}s, always with timeouts. */
public final class TlsClients {

    private TlsClients() {
    }

    /** GET {@code https://127.0.0.1:port + path} with a fresh HttpClient (so a fresh handshake). */
    public static HttpResponse<String> get(SSLContext context, int port, String path) throws IOException, InterruptedException {
        try (HttpClient client = HttpClient.newBuilder().sslContext(context).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build()) {
            HttpRequest request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(20)).build();
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        }
    }

    /**
     * A TLS socket to 127.0.0.1:port, handshake done; {@code sniHost} (may be null) is sent as the
     * server name, {@code alpn} (may be empty) as the offered application protocols. No session
     * is resumed ({@link #forgetSessions}).
     */
    public static SSLSocket connect(SSLContext context, int port, String sniHost, String... alpn) throws IOException {
        forgetSessions(context, port);
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket();
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 10_000);
        socket.setSoTimeout(10_000);
        SSLParameters params = socket.getSSLParameters();
        if (sniHost != null) params.setServerNames(List.of(new SNIHostName(sniHost)));
        if (alpn.length > 0) params.setApplicationProtocols(alpn);
        socket.setSSLParameters(params);
        socket.startHandshake();
        return socket;
    }

    /**
     * Invalidates the client sessions {@code context} holds for {@code port}. A JDK client that
     * resumes a session sends that session's server names, not the ones it is asked for, and finds
     * sessions by host and port: in a test class sharing one client context, a server that gets
     * the port of an earlier test's server would see the earlier connection's server name.
     */
    public static void forgetSessions(SSLContext context, int port) {
        SSLSessionContext sessions = context.getClientSessionContext();
        for (Enumeration<byte[]> ids = sessions.getIds(); ids.hasMoreElements(); ) {
            SSLSession session = sessions.getSession(ids.nextElement());
            if (session != null && session.getPeerPort() == port) session.invalidate();
        }
    }
}
