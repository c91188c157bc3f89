package org.minipylib.wsgiserver.cli;

import org.minipylib.wsgiserver.tls.TlsCredentials;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One {@code --ssl-sni} value: the certificate served to clients asking for {@code host} (SNI), from
 * PEM files ({@code HOST=CERT,KEY[,KEY_PASSWORD_FILE]}) or a key store ({@code HOST=KEYSTORE}).
 *
 * @param host         lower case; an exact name or {@code *.domain}
 * @param certificate  the PEM certificate (its chain may follow it); null for a key store
 * @param privateKey   its PEM private key; null for a key store
 * @param passwordFile the file holding the private key's password; null if the key is not encrypted
 * @param keyStore     the key store; null for PEM files
 */
record SniCertificate(String host, Path certificate, Path privateKey, Path passwordFile, Path keyStore) {

    /** A DNS name of letters, digits and hyphens, or {@code *.} and one: what a client sends as SNI. */
    private static final Pattern HOST = Pattern.compile("(\\*\\.)?[a-z0-9-]+(\\.[a-z0-9-]+)*");

    /** The PEM files to read (not for a key store), the password file read with them on every load. */
    TlsCredentials pemCredentials() {
        if (passwordFile != null) return TlsCredentials.pemWithPasswordFile(certificate, null, privateKey, passwordFile);
        return TlsCredentials.pem(certificate, null, privateKey, null);
    }

    /** Reads {@code HOST=CERT.pem,KEY.pem[,PASSWORD_FILE]} or {@code HOST=KEYSTORE}; the files must exist. */
    static final class Converter implements ITypeConverter<SniCertificate> {
        @Override
        public SniCertificate convert(String value) {
            int eq = value.indexOf('=');
            if (eq < 0) throw bad(value, "no '='");
            String host = value.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            if (!HOST.matcher(host).matches()) {
                throw bad(value, "'" + host + "' is not a host name or *.domain");
            }
            String[] files = value.substring(eq + 1).split(",", -1);
            if (files.length > 3) throw bad(value, "more than three files");
            Path[] paths = new Path[files.length];
            for (int i = 0; i < files.length; i++) {
                if (files[i].isBlank()) throw bad(value, "an empty file name");
                paths[i] = Path.of(files[i].trim());
                if (!Files.isRegularFile(paths[i]) || !Files.isReadable(paths[i])) {
                    throw bad(value, "no readable file " + paths[i]);
                }
            }
            if (paths.length == 1) {
                if (isPem(paths[0])) throw bad(value, paths[0] + " is PEM: give HOST=CERTIFICATE,PRIVATE_KEY");
                return new SniCertificate(host, null, null, null, paths[0]);
            }
            return new SniCertificate(host, paths[0], paths[1], paths.length == 3 ? paths[2] : null, null);
        }

        private static TypeConversionException bad(String value, String why) {
            return new TypeConversionException("'" + value + "': " + why
                    + " (expected HOST=CERT.pem,KEY.pem[,KEY_PASSWORD_FILE] or HOST=KEYSTORE)");
        }

        /** Whether the file starts like PEM text, so that it is not mistaken for a key store. */
        private static boolean isPem(Path file) {
            try (InputStream in = Files.newInputStream(file)) {
                return new String(in.readNBytes(64), StandardCharsets.ISO_8859_1).strip().startsWith("-----BEGIN");
            } catch (IOException e) {
                return false; // reading it again later reports the problem
            }
        }
    }
}
