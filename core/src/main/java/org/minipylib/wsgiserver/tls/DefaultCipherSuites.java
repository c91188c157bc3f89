package org.minipylib.wsgiserver.tls;

import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * The cipher suites a server enables when its configuration names none: of the engine's defaults,
 * every TLS 1.3 suite and, for TLS 1.2, only forward-secret AEAD suites (ECDHE or DHE key exchange
 * with AES-GCM or ChaCha20-Poly1305). Static-RSA key exchange ({@code TLS_RSA_*}) and CBC suites,
 * which older JDKs still enable, are left out.
 */
final class DefaultCipherSuites {

    private static final Pattern FORWARD_SECRET_AEAD = Pattern.compile(
            "TLS_(ECDHE|DHE)_(ECDSA|RSA)_WITH_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256)");

    private DefaultCipherSuites() {
    }

    /** The strong suites among {@code engineDefaults}, in the engine's order. */
    static String[] strong(String[] engineDefaults) {
        return Arrays.stream(engineDefaults).filter(DefaultCipherSuites::isStrong).toArray(String[]::new);
    }

    /**
     * TLS 1.3 suites name no key exchange (no {@code _WITH_}); they are all AEAD and forward-secret.
     * That rule also keeps {@code TLS_EMPTY_RENEGOTIATION_INFO_SCSV}, a signal rather than a cipher.
     */
    static boolean isStrong(String suite) {
        return !suite.contains("_WITH_") || FORWARD_SECRET_AEAD.matcher(suite).matches();
    }
}
