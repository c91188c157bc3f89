package org.minipylib.wsgiserver.tls;

import java.nio.file.Path;
import java.security.Provider;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * How {@link JsseSslAdapter} does TLS; immutable. Build one with {@link #builder(TlsCredentials)}.
 *
 * @param credentials          the default certificate and key
 * @param sniCredentials       certificates chosen by the host name the client asks for (SNI): lower-case
 *                             host names or wildcards ({@code *.example.com}); others get the default
 * @param clientAuth           whether to ask clients for certificates (default {@link ClientAuth#NONE})
 * @param clientCa             PEM bundle of the CAs client certificates must chain to; needed unless
 *                             clientAuth is NONE
 * @param protocols            enabled protocols (default {@code TLSv1.3, TLSv1.2})
 * @param cipherSuites         enabled cipher suites in order of preference (the server's, which wins over the
 *                             client's), used as given; empty: of the JDK's defaults, all TLS 1.3 suites
 *                             and the forward-secret AEAD TLS 1.2 ones (ECDHE/DHE with AES-GCM or
 *                             ChaCha20-Poly1305), in the client's order of preference
 * @param applicationProtocols ALPN protocols offered, in order of preference (default {@code http/1.1});
 *                             a client offering none of them is served without ALPN
 * @param reloadInterval       how often the files are checked for changes (and reloaded), by a handshake or
 *                             between handshakes by the server's watchdog;
 *                             {@link Duration#ZERO}: only on {@link JsseSslAdapter#reload()}
 * @param provider             the JCA provider of the TLS implementation (e.g. Conscrypt's, which
 *                             runs BoringSSL); {@code null}: the JDK's own
 * @param maxHandshakes        the most TLS handshakes in progress at once, from a client's first bytes
 *                             to the handshake's end (each holds about 64 KiB of buffers and engine
 *                             state meanwhile); a handshake beyond it waits for one to finish, within the
 *                             handshake timeout. Default {@link #DEFAULT_MAX_HANDSHAKES}
 */
public record TlsConfig(TlsCredentials credentials, Map<String, TlsCredentials> sniCredentials, ClientAuth clientAuth,
                        Path clientCa, List<String> protocols, List<String> cipherSuites,
                        List<String> applicationProtocols, Duration reloadInterval, Provider provider,
                        int maxHandshakes) {

    /** The protocols enabled unless configured otherwise: TLS 1.2 and newer. */
    public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /**
     * The default of {@link #maxHandshakes()}: as many handshakes as fit in a quarter of this JVM's
     * maximum heap at 64 KiB each, at least 64 (1024 with a 256 MiB heap, 4096 with 1 GiB).
     */
    public static final int DEFAULT_MAX_HANDSHAKES =
            (int) Math.min(Integer.MAX_VALUE, Math.max(64, Runtime.getRuntime().maxMemory() / 4 / (64 * 1024)));

    public TlsConfig {
        Objects.requireNonNull(credentials, "credentials");
        sniCredentials = Map.copyOf(sniCredentials);
        Objects.requireNonNull(clientAuth, "clientAuth");
        if (clientAuth != ClientAuth.NONE && clientCa == null) {
            throw new IllegalArgumentException("client authentication needs a CA bundle (clientCa)");
        }
        protocols = List.copyOf(protocols);
        if (protocols.isEmpty()) throw new IllegalArgumentException("at least one protocol is needed");
        cipherSuites = List.copyOf(cipherSuites);
        applicationProtocols = List.copyOf(applicationProtocols);
        Objects.requireNonNull(reloadInterval, "reloadInterval");
        if (reloadInterval.isNegative()) throw new IllegalArgumentException("reloadInterval must be >= 0");
        if (maxHandshakes < 1) throw new IllegalArgumentException("maxHandshakes must be >= 1, got " + maxHandshakes);
    }

    /** This configuration with {@link #maxHandshakes()} {@code n}. */
    public TlsConfig withMaxHandshakes(int n) {
        return new TlsConfig(credentials, sniCredentials, clientAuth, clientCa, protocols, cipherSuites,
                applicationProtocols, reloadInterval, provider, n);
    }

    /** A builder with every default set, serving {@code credentials}. */
    public static Builder builder(TlsCredentials credentials) {
        return new Builder(credentials);
    }

    /** Builds a {@link TlsConfig}. */
    public static final class Builder {
        private final TlsCredentials credentials;
        private final Map<String, TlsCredentials> sni = new LinkedHashMap<>();
        private ClientAuth clientAuth = ClientAuth.NONE;
        private Path clientCa;
        private List<String> protocols = DEFAULT_PROTOCOLS;
        private List<String> cipherSuites = List.of();
        private List<String> applicationProtocols = List.of("http/1.1");
        private Duration reloadInterval = Duration.ZERO;
        private Provider provider;
        private int maxHandshakes = DEFAULT_MAX_HANDSHAKES;

        Builder(TlsCredentials credentials) {
            this.credentials = Objects.requireNonNull(credentials, "credentials");
        }

        /**
         * Serves {@code credentials} to clients asking for {@code host} (or a name under {@code *.domain}).
         *
         * @throws IllegalArgumentException if {@code host} is not a DNS name (ASCII: an internationalized
         *                                  name in its {@code xn--} form), or was given before (in any case)
         */
        public Builder sni(String host, TlsCredentials credentials) {
            String name = host.toLowerCase(Locale.ROOT);
            if (!isHostName(name.startsWith("*.") ? name.substring(2) : name)) {
                throw new IllegalArgumentException("Not a host name for SNI: \"" + host + "\" (a DNS name, or *.domain)");
            }
            if (sni.containsKey(name)) throw new IllegalArgumentException("SNI host given twice: " + host);
            sni.put(name, Objects.requireNonNull(credentials));
            return this;
        }

        /** Dot-separated labels of letters, digits, '-' and '_', as a client sends them in SNI (RFC 6066 section 3). */
        private static boolean isHostName(String name) {
            if (name.isEmpty() || name.length() > 253) return false;
            for (String label : name.split("\\.", -1)) {
                if (label.isEmpty() || label.length() > 63) return false;
                for (int i = 0; i < label.length(); i++) {
                    char c = label.charAt(i);
                    if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) return false;
                }
            }
            return true;
        }

        /** Whether clients are asked for certificates; see {@link TlsConfig#clientAuth()}. */
        public Builder clientAuth(ClientAuth mode) { this.clientAuth = mode; return this; }
        /** The PEM bundle of CAs client certificates must chain to; see {@link TlsConfig#clientCa()}. */
        public Builder clientCa(Path pemBundle) { this.clientCa = pemBundle; return this; }
        /** The enabled protocol versions, e.g. {@code List.of("TLSv1.3")}; see {@link TlsConfig#protocols()}. */
        public Builder protocols(List<String> names) { this.protocols = names; return this; }
        /** The enabled cipher suites, in the server's order of preference; see {@link TlsConfig#cipherSuites()}. */
        public Builder cipherSuites(List<String> names) { this.cipherSuites = names; return this; }
        /** The ALPN protocols offered; see {@link TlsConfig#applicationProtocols()}. */
        public Builder applicationProtocols(List<String> names) { this.applicationProtocols = names; return this; }
        /** How often the files are checked for changes and reloaded; see {@link TlsConfig#reloadInterval()}. */
        public Builder reloadInterval(Duration interval) { this.reloadInterval = interval; return this; }
        /** The JCA provider of the TLS implementation; see {@link TlsConfig#provider()}. */
        public Builder provider(Provider tlsProvider) { this.provider = tlsProvider; return this; }
        /** The most TLS handshakes in progress at once; see {@link TlsConfig#maxHandshakes()}. */
        public Builder maxHandshakes(int n) { this.maxHandshakes = n; return this; }

        /** The configuration; its values are checked here. */
        public TlsConfig build() {
            return new TlsConfig(credentials, sni, clientAuth, clientCa, protocols, cipherSuites,
                    applicationProtocols, reloadInterval, provider, maxHandshakes);
        }
    }
}
