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
 * key, fails every handshake. Nothing touches the network.
 *
 * <p>Only the server's side is under test, so the client is as accommodating as it can be: it
 * accepts any certificate (trust is the client's business, not the negotiation's) and offers every
 * signature scheme, whatever the JVM's {@code jdk.tls.client.*} settings say. Which side failed is
 * told apart: a failure of the client alone (a JDK client's own limits, such as its maximum
 * certificate chain length or handshake message size) says nothing about other clients.
 */
final class HandshakeProbe {

    /** How a probe ended. */
    enum Outcome {
        /** The handshake finished with the protocol asked for. */
        CONNECTED,
        /** The server's engine failed it: no client offering this protocol can connect. */
        SERVER_REFUSED,
        /** The JDK client's engine failed it: JDK clients cannot connect; others may. */
        CLIENT_REFUSED,
        /** The probe could not run (the client side could not be set up): nothing is known. */
        NOT_CHECKED
    }

    /** A probe's outcome and, unless it connected, why. */
    record Result(Outcome outcome, String reason) {
    }

    private static final int MAX_ROUNDS = 50;
    /** Every signature scheme of RFC 8446 and the JDK's TLS 1.2 ones; a JDK ignores names it does not support. */
    private static final String[] EVERY_SIGNATURE_SCHEME = {
        "ecdsa_secp256r1_sha256", "ecdsa_secp384r1_sha384", "ecdsa_secp521r1_sha512", "ed25519", "ed448",
        "rsa_pss_rsae_sha256", "rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512",
        "rsa_pss_pss_sha256", "rsa_pss_pss_sha384", "rsa_pss_pss_sha512",
        "rsa_pkcs1_sha256", "rsa_pkcs1_sha384", "rsa_pkcs1_sha512",
        "dsa_sha256", "ecdsa_sha224", "rsa_sha224", "dsa_sha224", "ecdsa_sha1", "rsa_pkcs1_sha1", "dsa_sha1"};

    private HandshakeProbe() {
    }

    /**
     * Shakes hands with {@code server}, a fresh server engine, as a client offering only
     * {@code protocol} and {@code cipherSuites}.
     */
    static Result shakeHands(SSLEngine server, String protocol, String[] cipherSuites, Provider provider) {
        SSLEngine client;
        try {
            client = clientEngine(protocol, cipherSuites, provider);
            SSLParameters params = server.getSSLParameters();
            params.setProtocols(new String[] {protocol}); // so that a protocol the JVM disables fails on the server's side
            params.setNeedClientAuth(false); // the probe has no client certificate to show
            server.setSSLParameters(params);
        } catch (GeneralSecurityException | RuntimeException e) {
            return new Result(Outcome.NOT_CHECKED, e.toString());
        }
        if (client == null) return new Result(Outcome.NOT_CHECKED, "none of the cipher suites is known to the client side");
        return shakeHands(client, server, protocol);
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
        params.setSignatureSchemes(EVERY_SIGNATURE_SCHEME);
        client.setSSLParameters(params);
        return client;
    }

    /** One step of one engine, which may fail the handshake. */
    private interface Step {
        void run() throws SSLException;
    }

    /** The classic two-engine loop: each wraps what it has to send, then unwraps what the other sent. */
    private static Result shakeHands(SSLEngine client, SSLEngine server, String protocol) {
        int packetSize = Math.max(client.getSession().getPacketBufferSize(), server.getSession().getPacketBufferSize());
        int appSize = Math.max(client.getSession().getApplicationBufferSize(), server.getSession().getApplicationBufferSize());
        ByteBuffer toServer = ByteBuffer.allocate(packetSize * 4);
        ByteBuffer toClient = ByteBuffer.allocate(packetSize * 4);
        ByteBuffer appIn = ByteBuffer.allocate(appSize);
        ByteBuffer none = ByteBuffer.allocate(0);
        Result failed = step(Outcome.SERVER_REFUSED, server::beginHandshake);
        if (failed == null) failed = step(Outcome.CLIENT_REFUSED, client::beginHandshake);
        for (int round = 0; failed == null && round < MAX_ROUNDS; round++) {
            failed = step(Outcome.CLIENT_REFUSED, () -> {
                client.wrap(none, toServer);
                runTasks(client);
            });
            if (failed != null) break;
            failed = step(Outcome.SERVER_REFUSED, () -> {
                server.wrap(none, toClient);
                runTasks(server);
            });
            if (failed != null) break;
            toServer.flip();
            toClient.flip();
            failed = step(Outcome.CLIENT_REFUSED, () -> {
                client.unwrap(toClient, appIn.clear());
                runTasks(client);
            });
            if (failed != null) break;
            failed = step(Outcome.SERVER_REFUSED, () -> {
                server.unwrap(toServer, appIn.clear());
                runTasks(server);
            });
            if (failed != null) break;
            toServer.compact();
            toClient.compact();
            if (finished(client) && finished(server) && toServer.position() == 0 && toClient.position() == 0) {
                return connected(client, server, protocol);
            }
        }
        return failed != null ? failed : new Result(Outcome.SERVER_REFUSED, "the handshake did not finish in " + MAX_ROUNDS + " rounds");
    }

    private static Result step(Outcome ifFailed, Step step) {
        try {
            step.run();
            return null;
        } catch (SSLException | RuntimeException e) {
            return new Result(ifFailed, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    /** Finished: both engines open, with the protocol asked for (an engine that closed without throwing has not connected). */
    private static Result connected(SSLEngine client, SSLEngine server, String protocol) {
        if (client.isInboundDone() || client.isOutboundDone()) return new Result(Outcome.CLIENT_REFUSED, "the client closed");
        if (server.isInboundDone() || server.isOutboundDone()) return new Result(Outcome.SERVER_REFUSED, "the server closed");
        String agreed = client.getSession().getProtocol();
        if (!protocol.equals(agreed)) return new Result(Outcome.SERVER_REFUSED, "agreed on " + agreed + " instead");
        return new Result(Outcome.CONNECTED, null);
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
