package org.minipylib.wsgiserver.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
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
     * server name, {@code alpn} (may be empty) as the offered application protocols.
     */
    public static SSLSocket connect(SSLContext context, int port, String sniHost, String... alpn) throws IOException {
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
}
