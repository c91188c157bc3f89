package org.minipylib.wsgiserver.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Where a server certificate and its private key come from: PEM files or a key store. The files are
 * read when the adapter is built and again on every reload.
 */
public sealed interface TlsCredentials {

    /**
     * A PEM certificate (or chain, leaf first) and a PEM private key in PKCS#8, PKCS#1 (RSA), SEC1
     * (EC) or encrypted PKCS#8 form.
     */
    static TlsCredentials pem(Path certificate, Path privateKey) {
        return new Pem(certificate, null, privateKey, null, null);
    }

    /**
     * Like {@link #pem(Path, Path)}, with intermediate CA certificates in a separate file
     * ({@code chain}, may be {@code null}) and the password of an encrypted key (may be {@code null}).
     * Mind the order: the chain comes second, before the key ({@code pem(cert, null, key, password)}
     * for an encrypted key without a chain file).
     */
    static TlsCredentials pem(Path certificate, Path chain, Path privateKey, char[] keyPassword) {
        return new Pem(certificate, chain, privateKey, keyPassword, null);
    }

    /**
     * Like {@link #pem(Path, Path, Path, char[])}, the key's password the first line of
     * {@code keyPasswordFile}, read with the other files on every load: a key re-encrypted with a new
     * password is picked up by a reload once both files are replaced.
     */
    static TlsCredentials pemWithPasswordFile(Path certificate, Path chain, Path privateKey, Path keyPasswordFile) {
        return new Pem(certificate, chain, privateKey, null, Objects.requireNonNull(keyPasswordFile, "keyPasswordFile"));
    }

    /** The first private-key entry of a key store; {@code type} {@code PKCS12} (the default if null) or {@code JKS}. */
    static TlsCredentials keyStore(Path file, String type, char[] password) {
        return new Store(file, type == null ? "PKCS12" : type, password, null, null);
    }

    /** Like {@link #keyStore(Path, String, char[])}, the password the first line of {@code passwordFile}, read on every load. */
    static TlsCredentials keyStoreWithPasswordFile(Path file, String type, Path passwordFile) {
        return new Store(file, type == null ? "PKCS12" : type, null, Objects.requireNonNull(passwordFile, "passwordFile"), null);
    }

    /** The first line of {@code file} (a line end, CR LF or LF, is not part of it): how password files are read. */
    static char[] readPasswordFile(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int end = text.indexOf('\n');
        return (end < 0 ? text : text.substring(0, end)).replace("\r", "").toCharArray();
    }

    /** The files this reads (to notice changes). */
    List<Path> files();

    /** Reads the files. */
    ServerCredential load() throws IOException, GeneralSecurityException;

    /** A copy of a password (null for none): the caller may clear its array once it has handed it over. */
    private static char[] copy(char[] password) {
        return password == null ? null : password.clone();
    }

    /**
     * PEM files; see {@link #pem(Path, Path, Path, char[])} and {@link #pemWithPasswordFile}. The key's
     * password is {@code keyPassword}, or read from {@code keyPasswordFile} if that is not null. The
     * password is copied: the caller may clear its array, and later reloads still have it. Equal
     * passwords make equal records; {@code toString()} does not show it.
     */
    record Pem(Path certificate, Path chain, Path privateKey, char[] keyPassword, Path keyPasswordFile) implements TlsCredentials {
        public Pem {
            Objects.requireNonNull(certificate, "certificate");
            Objects.requireNonNull(privateKey, "privateKey (the order is certificate, chain, privateKey, password; chain may be null)");
            keyPassword = copy(keyPassword);
        }

        /** A copy of the key's password, or null. */
        @Override
        public char[] keyPassword() {
            return copy(keyPassword);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Pem p && certificate.equals(p.certificate) && Objects.equals(chain, p.chain)
                    && privateKey.equals(p.privateKey) && Arrays.equals(keyPassword, p.keyPassword)
                    && Objects.equals(keyPasswordFile, p.keyPasswordFile);
        }

        @Override
        public int hashCode() {
            return Objects.hash(certificate, chain, privateKey, Arrays.hashCode(keyPassword), keyPasswordFile);
        }

        @Override
        public String toString() {
            return "Pem[certificate=" + certificate + ", chain=" + chain + ", privateKey=" + privateKey
                    + ", keyPassword=" + (keyPassword == null ? "null" : "(hidden)") + ", keyPasswordFile=" + keyPasswordFile + "]";
        }

        @Override
        public List<Path> files() {
            List<Path> files = new ArrayList<>(List.of(certificate, privateKey));
            if (chain != null) files.add(chain);
            if (keyPasswordFile != null) files.add(keyPasswordFile);
            return files;
        }

        @Override
        public ServerCredential load() throws IOException, GeneralSecurityException {
            List<X509Certificate> certs = new ArrayList<>(PemReader.certificates(certificate));
            if (certs.isEmpty()) throw new GeneralSecurityException("No certificate in " + certificate);
            if (chain != null) {
                List<X509Certificate> intermediates = PemReader.certificates(chain);
                // else clients would get the leaf alone and fail their handshakes later, one by one
                if (intermediates.isEmpty()) throw new GeneralSecurityException("No certificate in the chain file " + chain);
                certs.addAll(intermediates);
            }
            PrivateKey key = PemReader.privateKey(privateKey, keyPasswordFile != null ? readPasswordFile(keyPasswordFile) : keyPassword);
            return ServerCredential.of(key, certs, certificate + " / " + privateKey);
        }
    }

    /**
     * A key store; see {@link #keyStore(Path, String, char[])} and {@link #keyStoreWithPasswordFile}. Its
     * password is {@code password}, or read from {@code passwordFile} if that is not null; copied, as
     * {@link Pem}'s is. The key is the entry named {@code alias}, or, if that is null (as the factory
     * methods leave it), the first private-key entry.
     */
    record Store(Path file, String type, char[] password, Path passwordFile, String alias) implements TlsCredentials {
        public Store {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(type, "type");
            password = copy(password);
        }

        /** A copy of the key store's password, or null. */
        @Override
        public char[] password() {
            return copy(password);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Store st && file.equals(st.file) && type.equals(st.type) && Arrays.equals(password, st.password)
                    && Objects.equals(passwordFile, st.passwordFile) && Objects.equals(alias, st.alias);
        }

        @Override
        public int hashCode() {
            return Objects.hash(file, type, Arrays.hashCode(password), passwordFile, alias);
        }

        @Override
        public String toString() {
            return "Store[file=" + file + ", type=" + type + ", password=" + (password == null ? "null" : "(hidden)")
                    + ", passwordFile=" + passwordFile + ", alias=" + alias + "]";
        }

        @Override
        public List<Path> files() {
            return passwordFile == null ? List.of(file) : List.of(file, passwordFile);
        }

        @Override
        public ServerCredential load() throws IOException, GeneralSecurityException {
            char[] password = passwordFile != null ? readPasswordFile(passwordFile) : this.password;
            KeyStore store = KeyStore.getInstance(type);
            try (InputStream in = Files.newInputStream(file)) {
                store.load(in, password);
            } catch (java.nio.file.FileSystemException e) {
                throw e; // names the file itself
            } catch (IOException e) { // the JDK's message names neither the file nor what to check
                String hint = e.getCause() instanceof java.security.UnrecoverableKeyException ? "wrong password?" : "not a " + type + " key store?";
                throw new IOException("Cannot read the key store " + file + ": " + e.getMessage() + " (" + hint + ")", e);
            }
            for (String name : Collections.list(store.aliases())) {
                if ((alias == null || alias.equals(name)) && store.isKeyEntry(name)) {
                    Key key = store.getKey(name, password);
                    if (!(key instanceof PrivateKey privateKey)) continue;
                    List<X509Certificate> certs = new ArrayList<>();
                    for (Certificate c : store.getCertificateChain(name)) certs.add((X509Certificate) c);
                    return ServerCredential.of(privateKey, certs, file.toString());
                }
            }
            throw new GeneralSecurityException("No private key entry in " + file);
        }
    }
}
