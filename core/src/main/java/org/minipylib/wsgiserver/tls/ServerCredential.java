package org.minipylib.wsgiserver.tls;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A private key and its certificate chain (leaf first), as loaded from {@link TlsCredentials}.
 *
 * @param key   the private key
 * @param chain the certificate chain, leaf first
 */
public record ServerCredential(PrivateKey key, X509Certificate[] chain) {

    /** Checks that the key belongs to the leaf certificate, so a mix-up fails at start, not per handshake. */
    static ServerCredential of(PrivateKey key, List<X509Certificate> chain, String source) throws GeneralSecurityException {
        X509Certificate leaf = chain.get(0);
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> key.getAlgorithm();
            default -> null; // other key types: the handshake will tell
        };
        if (algorithm != null) {
            byte[] probe = "wsgiserver key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            boolean matches;
            try {
                verifier.initVerify(leaf.getPublicKey());
                verifier.update(probe);
                matches = verifier.verify(signature);
            } catch (InvalidKeyException e) { // e.g. an RSA key for an EC certificate
                matches = false;
            }
            if (!matches) {
                throw new GeneralSecurityException("The private key does not belong to the certificate (" + source + ")");
            }
        }
        return new ServerCredential(key, chain.toArray(X509Certificate[]::new));
    }

    /** The chain, copied (callers of a key manager may change the array they get). */
    X509Certificate[] chainCopy() {
        return chain.clone();
    }
}
