package org.minipylib.wsgiserver.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Serves one certificate and key. Each host with its own certificate (SNI) gets its own SSL context
 * with one of these, chosen before the handshake by {@link JsseSslAdapter}; immutable, so a reload
 * builds new ones and a handshake never sees half of an old and half of a new certificate.
 */
final class CredentialKeyManager extends X509ExtendedKeyManager {

    private static final String ALIAS = "server";

    private final ServerCredential credential;

    CredentialKeyManager(ServerCredential credential) {
        this.credential = credential;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return fits(keyType) ? ALIAS : null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return fits(keyType) ? ALIAS : null;
    }

    /** Whether the key can serve the key type the handshake asks for ("RSA", "EC", "EdDSA"...); null lets the JDK try the next type. */
    private boolean fits(String keyType) {
        String algorithm = credential.key().getAlgorithm();
        return algorithm.equalsIgnoreCase(keyType) || (keyType.equals("EdDSA") && algorithm.startsWith("Ed"));
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? credential.chainCopy() : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? credential.key() : null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return fits(keyType) ? new String[] {ALIAS} : null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null; // a server only
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return null;
    }
}
