package org.minipylib.wsgiserver.tls;

import org.minipylib.wsgiserver.http.ProxiedTls;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * The environ variables of a TLS connection, named as Apache's mod_ssl (and Cheroot) name them:
 * {@code HTTPS=on}, {@code SSL_PROTOCOL}, {@code SSL_CIPHER}, {@code SSL_CLIENT_S_DN_CN}... Computed
 * once per session and kept in its values, so a request costs one {@code putAll}. The server's
 * connections give a session whose values are the connection's ({@link ConnectionSslSession}):
 * bound to the JDK's own session, they would keep a copy of it in the session cache per connection.
 *
 * <p>Differences from mod_ssl: {@code SSL_CIPHER} is the IANA/JSSE suite name
 * ({@code TLS_AES_128_GCM_SHA256}); distinguished names are RFC 2253 strings.
 */
public final class SslEnviron {

    private static final String SESSION_KEY = "org.minipylib.wsgiserver.environ";
    /** OpenSSL's date form, as in mod_ssl: {@code Jan  2 03:04:05 2027 GMT}. */
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss yyyy 'GMT'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    private static final Map<String, String> KEYWORDS = Map.of("1.2.840.113549.1.9.1", "emailAddress");
    private static final Map<String, String> DN_PARTS = Map.of("CN", "CN", "O", "O", "OU", "OU", "C", "C",
            "ST", "ST", "L", "L", "EMAILADDRESS", "Email", "DC", "DC", "SERIALNUMBER", "serialNumber");

    private SslEnviron() {
    }

    /** Adds the TLS variables of {@code session} to {@code environ}; nothing if it is null (plain HTTP). */
    public static void addTo(Map<String, Object> environ, SSLSession session) {
        if (session == null) return;
        Object cached = session.getValue(SESSION_KEY);
        if (!(cached instanceof Map<?, ?>)) {
            cached = Map.copyOf(variables(session));
            session.putValue(SESSION_KEY, cached);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> variables = (Map<String, Object>) cached;
        environ.putAll(variables);
    }

    /**
     * Adds what a TLS-ending proxy said about the client's connection ({@code null}: nothing), under
     * the same names: {@code HTTPS=on}, {@code SSL_PROTOCOL}, {@code SSL_CIPHER} (the proxy's naming,
     * for HAProxy OpenSSL's, e.g. {@code ECDHE-RSA-AES128-GCM-SHA256}), {@code SSL_TLS_SNI},
     * {@code SSL_SERVER_A_SIG} and {@code SSL_SERVER_A_KEY} (the proxy's certificate),
     * {@code SSL_CLIENT_VERIFY} ({@code SUCCESS}, {@code NONE} or {@code FAILED}) and
     * {@code SSL_CLIENT_S_DN_CN} (only for a verified client certificate). Each only when the proxy sent it.
     */
    public static void addTo(Map<String, Object> environ, ProxiedTls tls) {
        if (tls == null) return;
        environ.put("HTTPS", "on");
        putIfPresent(environ, "SSL_PROTOCOL", tls.protocol());
        putIfPresent(environ, "SSL_CIPHER", tls.cipher());
        putIfPresent(environ, "SSL_TLS_SNI", tls.serverName());
        putIfPresent(environ, "SSL_SERVER_A_SIG", tls.signatureAlgorithm());
        putIfPresent(environ, "SSL_SERVER_A_KEY", tls.keyAlgorithm());
        environ.put("SSL_CLIENT_VERIFY", !tls.clientCertificate() ? "NONE" : tls.clientVerified() ? "SUCCESS" : "FAILED");
        putIfPresent(environ, "SSL_CLIENT_S_DN_CN", tls.clientCommonName());
    }

    private static void putIfPresent(Map<String, Object> environ, String name, String value) {
        if (value != null) environ.put(name, value);
    }

    /** Every variable for one session. */
    static Map<String, String> variables(SSLSession session) {
        Map<String, String> env = new HashMap<>();
        env.put("HTTPS", "on");
        env.put("SSL_PROTOCOL", session.getProtocol());
        String cipher = session.getCipherSuite();
        env.put("SSL_CIPHER", cipher);
        String bits = Integer.toString(keyBits(cipher));
        env.put("SSL_CIPHER_USEKEYSIZE", bits);
        env.put("SSL_CIPHER_ALGKEYSIZE", bits);
        env.put("SSL_CIPHER_EXPORT", "false");
        env.put("SSL_COMPRESS_METHOD", "NULL");
        env.put("SSL_VERSION_INTERFACE", "wsgiserver");
        env.put("SSL_VERSION_LIBRARY", "JSSE/" + Runtime.version().feature());
        env.put("SSL_SESSION_ID", HexFormat.of().formatHex(session.getId()));
        String sni = requestedHost(session);
        if (sni != null) env.put("SSL_TLS_SNI", sni);

        Certificate[] local = session.getLocalCertificates();
        if (local != null && local.length > 0 && local[0] instanceof X509Certificate server) {
            addCertificate(env, "SSL_SERVER_", server);
        }
        X509Certificate client = null;
        try {
            Certificate[] peer = session.getPeerCertificates();
            if (peer.length > 0 && peer[0] instanceof X509Certificate c) client = c;
        } catch (SSLPeerUnverifiedException e) {
            // no client certificate
        }
        // JSSE has verified a client certificate against the CA bundle before the session exists.
        env.put("SSL_CLIENT_VERIFY", client != null ? "SUCCESS" : "NONE");
        if (client != null) {
            addCertificate(env, "SSL_CLIENT_", client);
            env.put("SSL_CLIENT_CERT", pem(client));
        }
        return env;
    }

    /** The SNI host name of a session, lower case, or null. */
    private static String requestedHost(SSLSession session) {
        if (session instanceof ExtendedSSLSession extended) {
            for (SNIServerName name : extended.getRequestedServerNames()) {
                if (name instanceof SNIHostName hostName) return hostName.getAsciiName().toLowerCase(Locale.ROOT);
            }
        }
        return null;
    }

    private static void addCertificate(Map<String, String> env, String prefix, X509Certificate cert) {
        env.put(prefix + "M_VERSION", Integer.toString(cert.getVersion()));
        env.put(prefix + "M_SERIAL", cert.getSerialNumber().toString(16).toUpperCase(Locale.ROOT));
        env.put(prefix + "V_START", DATE.format(cert.getNotBefore().toInstant()));
        env.put(prefix + "V_END", DATE.format(cert.getNotAfter().toInstant()));
        env.put(prefix + "A_SIG", cert.getSigAlgName());
        env.put(prefix + "A_KEY", cert.getPublicKey().getAlgorithm());
        addName(env, prefix + "S_DN", cert.getSubjectX500Principal());
        addName(env, prefix + "I_DN", cert.getIssuerX500Principal());
    }

    /**
     * The DN as one string, and its parts as {@code ..._CN}, {@code ..._O}, repeats as {@code ..._OU_1};
     * control characters escaped (see {@link #escapeControls}).
     */
    private static void addName(Map<String, String> env, String key, X500Principal principal) {
        String dn = principal.getName(X500Principal.RFC2253, KEYWORDS);
        env.put(key, escapeControls(dn, false)); // RFC 2253 escaped its backslashes
        try {
            Map<String, Integer> seen = new HashMap<>();
            for (Rdn rdn : new LdapName(dn).getRdns()) { // LdapName lists the parts last first
                String part = DN_PARTS.get(rdn.getType().toUpperCase(Locale.ROOT));
                if (part == null) continue;
                int n = seen.merge(part, 1, Integer::sum);
                env.put(key + "_" + part + (n == 1 ? "" : "_" + (n - 1)), escapeControls(String.valueOf(rdn.getValue()), true));
            }
        } catch (InvalidNameException e) {
            // the whole DN is there; the parts are a convenience
        }
    }

    /**
     * {@code text} with each control character (below 0x20, and 0x7f) written as a backslash and two
     * upper-case hex digits, as mod_ssl writes them (OpenSSL's ASN1_STRFLGS_ESC_CTRL) and as RFC 4514
     * escapes a byte: a name in a certificate is the client's text, and an application that logs it
     * or puts it in a header must not get a line break from it. With {@code backslashes}, a
     * backslash is written as two, as OpenSSL writes it then, so that a name holding the text
     * {@code \0A} differs from one holding a line feed (a DN in RFC 2253 form has its own escaped).
     */
    static String escapeControls(String text, boolean backslashes) {
        StringBuilder b = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean control = c < 0x20 || c == 0x7f;
            boolean backslash = c == '\\' && backslashes;
            if (!control && !backslash) {
                if (b != null) b.append(c);
                continue;
            }
            if (b == null) b = new StringBuilder(text.length() + 8).append(text, 0, i);
            if (backslash) {
                b.append("\\\\");
            } else {
                b.append('\\').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return b == null ? text : b.toString();
    }

    private static String pem(X509Certificate cert) {
        try {
            return "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(cert.getEncoded())
                    + "\n-----END CERTIFICATE-----\n";
        } catch (java.security.cert.CertificateEncodingException e) {
            return "";
        }
    }

    /** The symmetric key size a suite name implies (e.g. TLS_AES_256_GCM_SHA384: 256). */
    static int keyBits(String cipherSuite) {
        if (cipherSuite.contains("CHACHA20") || cipherSuite.contains("AES_256")) return 256;
        if (cipherSuite.contains("AES_128") || cipherSuite.contains("ARIA_128") || cipherSuite.contains("CAMELLIA_128")) return 128;
        if (cipherSuite.contains("3DES")) return 168;
        return 0;
    }
}
