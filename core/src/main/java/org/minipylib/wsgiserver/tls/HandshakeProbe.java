package org.minipylib.wsgiserver.tls;

import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Runs a TLS handshake in memory between one of our server engines and a JDK client engine that
 * offers one protocol and our cipher suites, to tell at start whether a client can connect with a
 * certificate at all: a suite list with only ECDSA suites for an RSA key, or TLS 1.3 with a DSA
 * key, fails every handshake. Nothing touches the network. The client accepts any certificate:
 * what is tested is the negotiation (protocol, suite, signature scheme), not the certificate's trust.
 */
final class HandshakeProbe {

    private static final int MAX_ROUNDS = 50;

    private HandshakeProbe() {
    }

    /**
     * Shakes hands with {@code server}, a fresh server engine, as a client offering only
     * {@code protocol} and {@code cipherSuites}.
     *
     * @return why the handshake failed, or {@code null} if it succeeded
     */
    static String failure(SSLEngine server, String protocol, String[] cipherSuites, Provider provider) {
        try {
            SSLEngine client = clientEngine(protocol, cipherSuites, provider);
            if (client == null) return "no cipher suite of ours is supported by the client side";
            SSLParameters params = server.getSSLParameters();
            params.setNeedClientAuth(false); // the probe has no client certificate to show
            server.setSSLParameters(params);
            return shakeHands(client, server);
        } catch (SSLException e) {
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        } catch (GeneralSecurityException | RuntimeException e) {
            return e.toString();
        }
    }

    private static SSLEngine clientEngine(String protocol, String[] cipherSuites, Provider provider)
            throws GeneralSecurityException {
        SSLContext context = provider == null ? SSLContext.getInstance("TLS") : SSLContext.getInstance("TLS", provider);
        context.init(null, new TrustManager[] {new AnyCertificate()}, null);
        SSLEngine client = context.createSSLEngine();
        client.setUseClientMode(true);
        List<String> supported = Arrays.asList(context.getSupportedSSLParameters().getCipherSuites());
        String[] offered = Arrays.stream(cipherSuites).filter(supported::contains).toArray(String[]::new);
        if (offered.length == 0) return null;
        SSLParameters params = client.getSSLParameters();
        params.setProtocols(new String[] {protocol});
        params.setCipherSuites(offered);
        client.setSSLParameters(params);
        return client;
    }

    /** The classic two-engine loop: each wraps what it has to send, then unwraps what the other sent. */
    private static String shakeHands(SSLEngine client, SSLEngine server) throws SSLException {
        int packetSize = Math.max(client.getSession().getPacketBufferSize(), server.getSession().getPacketBufferSize());
        int appSize = Math.max(client.getSession().getApplicationBufferSize(), server.getSession().getApplicationBufferSize());
        ByteBuffer toServer = ByteBuffer.allocate(packetSize * 4);
        ByteBuffer toClient = ByteBuffer.allocate(packetSize * 4);
        ByteBuffer appIn = ByteBuffer.allocate(appSize);
        ByteBuffer none = ByteBuffer.allocate(0);
        client.beginHandshake();
        server.beginHandshake();
        for (int round = 0; round < MAX_ROUNDS; round++) {
            client.wrap(none, toServer);
            runTasks(client);
            server.wrap(none, toClient);
            runTasks(server);
            toServer.flip();
            toClient.flip();
            client.unwrap(toClient, appIn.clear());
            runTasks(client);
            server.unwrap(toServer, appIn.clear());
            runTasks(server);
            toServer.compact();
            toClient.compact();
            if (finished(client) && finished(server) && toServer.position() == 0 && toClient.position() == 0) return null;
        }
        return "the handshake did not finish in " + MAX_ROUNDS + " rounds";
    }

    private static boolean finished(SSLEngine engine) {
        HandshakeStatus status = engine.getHandshakeStatus();
        return status == HandshakeStatus.NOT_HANDSHAKING || status == HandshakeStatus.FINISHED;
    }

    private static void runTasks(SSLEngine engine) {
        for (Runnable task; (task = engine.getDelegatedTask()) != null; ) task.run();
    }

    /** Trusts every certificate: only ever used by the in-memory probe, never on a connection. */
    private static final class AnyCertificate extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
