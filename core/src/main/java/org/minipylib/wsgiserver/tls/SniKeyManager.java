package org.minipylib.wsgiserver.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Picks the server certificate by the host name the client asked for (SNI): an exact name, then a
 * wildcard {@code *.example.com}, else the default certificate. Immutable: a reload builds a new one
 * (with a new SSL context), so a handshake never sees half of an old and half of a new certificate.
 */
final class SniKeyManager extends X509ExtendedKeyManager {

    private static final String DEFAULT_ALIAS = "default";
    private static final String HOST_PREFIX = "sni:";

    private final Map<String, ServerCredential> byAlias = new HashMap<>();

    /** @param byHost lower-case host names (or {@code *.domain}) to their credentials */
    SniKeyManager(ServerCredential defaultCredential, Map<String, ServerCredential> byHost) {
        byAlias.put(DEFAULT_ALIAS, defaultCredential);
        byHost.forEach((host, credential) -> byAlias.put(HOST_PREFIX + host.toLowerCase(Locale.ROOT), credential));
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return chooseAlias(keyType, engine == null ? null : engine.getHandshakeSession());
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return chooseAlias(keyType, socket instanceof javax.net.ssl.SSLSocket s ? s.getHandshakeSession() : null);
    }

    private String chooseAlias(String keyType, SSLSession handshake) {
        String host = requestedHost(handshake);
        if (host != null) {
            String alias = HOST_PREFIX + host;
            if (!byAlias.containsKey(alias)) {
                int dot = host.indexOf('.');
                alias = dot > 0 ? HOST_PREFIX + "*" + host.substring(dot) : null;
            }
            // A host with its own certificate gets only that one: null lets the JDK try the next key type.
            if (alias != null && byAlias.containsKey(alias)) return fits(byAlias.get(alias), keyType) ? alias : null;
        }
        return fits(byAlias.get(DEFAULT_ALIAS), keyType) ? DEFAULT_ALIAS : null;
    }

    /** The SNI host name of a handshake, lower case, or null. */
    static String requestedHost(SSLSession session) {
        if (session instanceof ExtendedSSLSession extended) {
            for (SNIServerName name : extended.getRequestedServerNames()) {
                if (name instanceof SNIHostName hostName) return hostName.getAsciiName().toLowerCase(Locale.ROOT);
            }
        }
        return null;
    }

    /** Whether a credential can serve the key type the handshake asks for ("RSA", "EC", "EdDSA"...). */
    private static boolean fits(ServerCredential credential, String keyType) {
        if (credential == null) return false;
        String algorithm = credential.key().getAlgorithm();
        return algorithm.equalsIgnoreCase(keyType)
                || (keyType.equals("EdDSA") && algorithm.startsWith("Ed"));
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        ServerCredential credential = byAlias.get(alias);
        return credential == null ? null : credential.chainCopy();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        ServerCredential credential = byAlias.get(alias);
        return credential == null ? null : credential.key();
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        List<String> aliases = new ArrayList<>();
        byAlias.forEach((alias, credential) -> {
            if (fits(credential, keyType)) aliases.add(alias);
        });
        return aliases.isEmpty() ? null : aliases.toArray(String[]::new);
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
