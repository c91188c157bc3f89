package org.minipylib.wsgiserver.cli;

import org.minipylib.wsgiserver.tls.ClientAuth;
import org.minipylib.wsgiserver.tls.JsseSslAdapter;
import org.minipylib.wsgiserver.tls.SslAdapter;
import org.minipylib.wsgiserver.tls.TlsConfig;
import org.minipylib.wsgiserver.tls.TlsCredentials;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code --ssl-*} options (a picocli mixin of {@link ServeCommand}) and building the TLS adapter
 * they describe. No {@code --ssl-*} option: plain HTTP; any of them without a certificate or key
 * store is a usage error.
 */
final class TlsOptions {

    @Option(names = "--ssl-certificate", paramLabel = "FILE", description = {
        "HTTPS: the server certificate, PEM (may hold the chain after it). Needs --ssl-private-key."})
    Path certificate;

    @Option(names = "--ssl-private-key", paramLabel = "FILE", description = {
        "The certificate's private key, PEM: PKCS#8, PKCS#1 (RSA), SEC1 (EC) or encrypted PKCS#8."})
    Path privateKey;

    @Option(names = "--ssl-private-key-password-file", paramLabel = "FILE", description = {
        "A file whose first line is the password of an encrypted private key (read again on each reload)."})
    Path privateKeyPasswordFile;

    @Option(names = "--ssl-certificate-chain", paramLabel = "FILE", description = {
        "Intermediate CA certificates (PEM) sent after the server certificate."})
    Path chain;

    @Option(names = "--ssl-keystore", paramLabel = "FILE", description = {
        "HTTPS from a key store (instead of PEM files): its first private key entry."})
    Path keyStore;

    @Option(names = "--ssl-keystore-type", paramLabel = "PKCS12|JKS", description = "The key store's type (default PKCS12).")
    String keyStoreType;

    @Option(names = "--ssl-keystore-password-file", paramLabel = "FILE", description = {
        "A file whose first line is the key store's password (also used for its key)."})
    Path keyStorePasswordFile;

    @Option(names = "--ssl-keystore-password", paramLabel = "PASSWORD", description = {
        "The key store's password (visible to other local users: prefer --ssl-keystore-password-file)."})
    String keyStorePassword;

    @Option(names = "--ssl-sni", paramLabel = "HOST=FILES", converter = SniCertificate.Converter.class, description = {
        "Repeatable. Another certificate, for clients asking for HOST (SNI): an exact name, or *.domain"
                + " for one more label; other names get the default one. FILES: CERT.pem,KEY.pem[,KEY_PASSWORD_FILE],"
                + " or KEYSTORE (read with --ssl-keystore-type and --ssl-keystore-password[-file])."})
    List<SniCertificate> sni;

    @Option(names = "--ssl-client-auth", paramLabel = "none|optional|required", converter = ClientAuthConverter.class,
            description = "Ask clients for certificates (checked against --ssl-ca). Default none.")
    ClientAuth clientAuth;

    @Option(names = "--ssl-ca", paramLabel = "FILE", description = "CA certificates (PEM) that client certificates must chain to.")
    Path clientCa;

    @Option(names = "--ssl-protocols", paramLabel = "LIST", split = ",", description = {
        "Enabled TLS protocols, comma-separated (default TLSv1.3,TLSv1.2)."})
    List<String> protocols;

    @Option(names = "--ssl-ciphers", paramLabel = "LIST", split = ",", description = {
        "Enabled cipher suites (IANA names), comma-separated, in the server's order of preference (which wins"
                + " over the client's), used as given (default: the JDK's TLS 1.3 suites and its forward-secret AEAD"
                + " TLS 1.2 ones, in the client's order)."})
    List<String> ciphers;

    @Option(names = "--ssl-provider", paramLabel = "CLASS", description = {
        "A JCA provider class for TLS, on the class path (e.g. org.conscrypt.OpenSSLProvider); default: the JDK's."})
    String provider;

    @Option(names = "--ssl-reload-interval", paramLabel = "SECONDS", converter = SecondsConverter.class, description = {
        "Check the certificate and key files (--ssl-sni's too) this often and reload them when they change (default: never)."})
    Duration reloadInterval;

    @Option(names = "--ssl-max-handshakes", paramLabel = "N", description = {
        "Most TLS handshakes in progress at once (about 64 KiB each); more wait for one to finish, within the"
                + " handshake timeout (TlsConfig.maxHandshakes; default: a quarter of the heap's worth)."})
    Integer maxHandshakes;

    /** Refuses a file option naming something that is not a readable file, with the option and the reason. */
    private static void checkFile(String option, Path file) {
        if (file == null) return;
        String reason = !Files.exists(file) ? "no such file"
                : Files.isDirectory(file) ? "is a directory"
                : !Files.isReadable(file) ? "cannot be read" : null;
        if (reason != null) throw new IllegalArgumentException(option + " " + file + ": " + reason);
    }

    /**
     * The reason a file (a TLS file, the access log) could not be used, naming the file: the JDK's file errors carry the
     * path alone ({@code NoSuchFileException}) or the reason alone ({@code Is a directory}).
     */
    static String describe(Exception e) {
        if (e instanceof NoSuchFileException f) return f.getFile() + ": no such file";
        if (e instanceof AccessDeniedException f) return f.getFile() + ": permission denied";
        if (e instanceof FileSystemException f && f.getFile() != null) {
            return f.getFile() + ": " + (f.getReason() != null ? f.getReason() : "cannot be read");
        }
        return e.getMessage();
    }

    /** {@link #describe(Exception)} as {@code FILE: reason}, naming {@code file} once whichever the exception carries. */
    static String describe(String file, Exception e) {
        String reason = describe(e);
        return reason != null && reason.contains(file) ? reason : file + ": " + (reason != null ? reason : e.toString());
    }

    /** Reads {@code none|optional|required} in any case. */
    static final class ClientAuthConverter implements ITypeConverter<ClientAuth> {
        @Override
        public ClientAuth convert(String value) {
            try {
                return ClientAuth.valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not one of none, optional, required");
            }
        }
    }

    /**
     * The adapter, or null if no TLS option was given.
     *
     * @throws IllegalArgumentException with a message for the user if the options do not fit together
     *                                  or a file is unusable
     */
    SslAdapter adapter() {
        if (certificate == null && privateKey == null && keyStore == null) {
            List<String> given = givenOptions();
            if (!given.isEmpty()) {
                throw new IllegalArgumentException(String.join(", ", given) + (given.size() == 1 ? " needs" : " need")
                        + " --ssl-certificate and --ssl-private-key, or --ssl-keystore");
            }
            return null;
        }
        if (keyStorePassword != null && keyStorePasswordFile != null) {
            throw new IllegalArgumentException("give either --ssl-keystore-password or --ssl-keystore-password-file, not both");
        }
        if (keyStore != null && (certificate != null || privateKey != null)) {
            throw new IllegalArgumentException("give either --ssl-keystore or --ssl-certificate/--ssl-private-key, not both");
        }
        if (keyStore == null && (certificate == null || privateKey == null)) {
            throw new IllegalArgumentException("--ssl-certificate and --ssl-private-key go together");
        }
        if (clientAuth != null && clientAuth != ClientAuth.NONE && clientCa == null) {
            throw new IllegalArgumentException("--ssl-client-auth " + clientAuth.name().toLowerCase(Locale.ROOT)
                    + " needs --ssl-ca (the CA certificates that client certificates must chain to)");
        }
        if (keyStore != null && keyStorePassword == null && keyStorePasswordFile == null) { // its key cannot be read without one
            throw new IllegalArgumentException("--ssl-keystore needs --ssl-keystore-password or --ssl-keystore-password-file");
        }
        checkSniHosts();
        checkFile("--ssl-certificate", certificate);
        checkFile("--ssl-private-key", privateKey);
        checkFile("--ssl-private-key-password-file", privateKeyPasswordFile);
        checkFile("--ssl-certificate-chain", chain);
        checkFile("--ssl-keystore", keyStore);
        checkFile("--ssl-keystore-password-file", keyStorePasswordFile);
        checkFile("--ssl-ca", clientCa);
        if (reloadInterval != null && !reloadInterval.isPositive()) {
            throw new IllegalArgumentException("--ssl-reload-interval must be > 0 (leave it out to never reload)");
        }
        if (maxHandshakes != null && maxHandshakes < 1) {
            throw new IllegalArgumentException("--ssl-max-handshakes must be at least 1, got " + maxHandshakes);
        }
        try {
            // password files are read with the other files, on every load: a reload picks up a new password too
            TlsCredentials credentials = keyStore != null
                    ? keyStoreCredentials(keyStore)
                    : privateKeyPasswordFile != null
                            ? TlsCredentials.pemWithPasswordFile(certificate, chain, privateKey, privateKeyPasswordFile)
                            : TlsCredentials.pem(certificate, chain, privateKey, null);
            TlsConfig.Builder config = TlsConfig.builder(credentials);
            if (sni != null) {
                for (SniCertificate host : sni) {
                    config.sni(host.host(), host.keyStore() != null ? keyStoreCredentials(host.keyStore()) : host.pemCredentials());
                }
            }
            if (clientAuth != null) config.clientAuth(clientAuth);
            if (clientCa != null) config.clientCa(clientCa);
            if (protocols != null) config.protocols(protocols);
            if (ciphers != null) config.cipherSuites(ciphers);
            if (reloadInterval != null) config.reloadInterval(reloadInterval);
            if (provider != null) config.provider(loadProvider());
            if (maxHandshakes != null) config.maxHandshakes(maxHandshakes);
            return new JsseSslAdapter(config.build());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("TLS: " + describe(e), e);
        }
    }

    /** Each {@code --ssl-sni} host once: a second certificate for one name would silently replace the first. */
    private void checkSniHosts() {
        if (sni == null) return;
        Set<String> seen = new HashSet<>();
        for (SniCertificate host : sni) {
            if (!seen.add(host.host())) throw new IllegalArgumentException("--ssl-sni: " + host.host() + " is given twice");
        }
    }

    /**
     * The names of the {@code --ssl-*} options given on the command line, read from the option
     * fields themselves so that an option added later cannot be forgotten here.
     */
    private List<String> givenOptions() {
        List<String> given = new ArrayList<>();
        for (Field field : TlsOptions.class.getDeclaredFields()) {
            Option option = field.getAnnotation(Option.class);
            if (option == null) continue;
            try {
                if (field.get(this) != null) given.add(option.names()[0]);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e); // our own field
            }
        }
        return given;
    }

    private java.security.Provider loadProvider() {
        try {
            return (java.security.Provider) Class.forName(provider, true, TlsOptions.class.getClassLoader())
                    .getConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException | LinkageError e) {
            throw new IllegalArgumentException("--ssl-provider: cannot load " + provider + ": " + e);
        }
    }

    /** A key store read with {@code --ssl-keystore-type} and {@code --ssl-keystore-password[-file]}. */
    private TlsCredentials keyStoreCredentials(Path file) {
        if (keyStorePassword == null && keyStorePasswordFile == null) { // an --ssl-sni key store: its key needs one too
            throw new IllegalArgumentException(file + ": a key store needs --ssl-keystore-password or --ssl-keystore-password-file");
        }
        if (keyStorePasswordFile != null) return TlsCredentials.keyStoreWithPasswordFile(file, keyStoreType, keyStorePasswordFile);
        return TlsCredentials.keyStore(file, keyStoreType, keyStorePassword == null ? null : keyStorePassword.toCharArray());
    }
}
