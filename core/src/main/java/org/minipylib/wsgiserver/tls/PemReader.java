package org.minipylib.wsgiserver.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Reads PEM files (RFC 7468): certificates, and private keys in the forms OpenSSL writes:
 * {@code PRIVATE KEY} (PKCS#8), {@code ENCRYPTED PRIVATE KEY} (PKCS#8, PBES2 or PBES1),
 * {@code RSA PRIVATE KEY} (PKCS#1) and {@code EC PRIVATE KEY} (SEC1). The last two are wrapped into
 * PKCS#8 here, because that is the only form the JDK's key factories take.
 */
public final class PemReader {

    private static final String[] KEY_ALGORITHMS = {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "DSA"};
    /** AlgorithmIdentifier { rsaEncryption, NULL }. */
    private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
            (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    /** OBJECT IDENTIFIER id-ecPublicKey (1.2.840.10045.2.1). */
    private static final byte[] EC_PUBLIC_KEY_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};
    private static final byte[] VERSION_0 = {0x02, 0x01, 0x00};

    private PemReader() {
    }

    /** One PEM block: its label ({@code CERTIFICATE}, ...), whether it has headers, and its bytes. */
    record Block(String label, boolean hasHeaders, byte[] der) {
    }

    /** Every certificate in a PEM file, in file order. */
    public static List<X509Certificate> certificates(Path file) throws IOException, GeneralSecurityException {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        List<X509Certificate> certs = new ArrayList<>();
        for (Block block : blocks(file)) {
            if (block.label().equals("CERTIFICATE")) {
                certs.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block.der())));
            }
        }
        return certs;
    }

    /**
     * The (first) private key in a PEM file.
     *
     * @param password for an {@code ENCRYPTED PRIVATE KEY}; ignored otherwise
     */
    public static PrivateKey privateKey(Path file, char[] password) throws IOException, GeneralSecurityException {
        for (Block block : blocks(file)) {
            switch (block.label()) {
                case "PRIVATE KEY" -> {
                    return pkcs8(block.der());
                }
                case "ENCRYPTED PRIVATE KEY" -> {
                    if (password == null) throw new GeneralSecurityException(file + " holds an encrypted key: a password is needed");
                    return pkcs8(decrypt(file, block.der(), password));
                }
                case "RSA PRIVATE KEY", "EC PRIVATE KEY" -> {
                    if (block.hasHeaders()) {
                        throw new GeneralSecurityException(file + " is encrypted in OpenSSL's legacy form; convert it with"
                                + " `openssl pkcs8 -topk8 -in OLD -out NEW` (add -nocrypt for no password)");
                    }
                    return pkcs8(block.label().startsWith("RSA") ? wrapPkcs1(block.der()) : wrapSec1(block.der()));
                }
                default -> {
                    // certificates, EC PARAMETERS...: not the key
                }
            }
        }
        throw new GeneralSecurityException("No private key in " + file);
    }

    /** A UTF-8 byte order mark, as ISO-8859-1 reads it; some editors on Windows start files with one. */
    private static final String UTF8_BOM = "\u00ef\u00bb\u00bf";

    static List<Block> blocks(Path file) throws IOException {
        List<Block> blocks = new ArrayList<>();
        String label = null;
        boolean headers = false;
        StringBuilder base64 = new StringBuilder();
        // ISO-8859-1 reads any byte: comments outside the blocks may be UTF-8 (CA bundles name their issuers)
        List<String> lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (i == 0 && line.startsWith(UTF8_BOM)) line = line.substring(UTF8_BOM.length()).strip();
            if (label == null) {
                if (line.startsWith("-----BEGIN ") && line.endsWith("-----")) {
                    label = line.substring(11, line.length() - 5);
                    headers = false;
                    base64.setLength(0);
                }
            } else if (line.equals("-----END " + label + "-----")) {
                try {
                    blocks.add(new Block(label, headers, Base64.getMimeDecoder().decode(base64.toString())));
                } catch (IllegalArgumentException e) {
                    throw new IOException("Bad base64 in the " + label + " of " + file);
                }
                label = null;
            } else if (line.contains(":")) {
                headers = true; // RFC 1421 headers (Proc-Type, DEK-Info): legacy encryption
            } else {
                base64.append(line);
            }
        }
        if (label != null) throw new IOException(file + ": no END line for " + label);
        return blocks;
    }

    private static PrivateKey pkcs8(byte[] der) throws GeneralSecurityException {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (InvalidKeySpecException e) {
                // not this algorithm; try the next
            }
        }
        throw new GeneralSecurityException("Unsupported private key algorithm");
    }

    private static byte[] decrypt(Path file, byte[] der, char[] password) throws GeneralSecurityException {
        try {
            EncryptedPrivateKeyInfo info = new EncryptedPrivateKeyInfo(der);
            AlgorithmParameters params = info.getAlgParameters();
            // For PBES2 the parameters name the real scheme, e.g. PBEWithHmacSHA256AndAES_256.
            String algorithm = params != null && params.toString().startsWith("PBE") ? params.toString() : info.getAlgName();
            SecretKeyFactory factory = SecretKeyFactory.getInstance(algorithm);
            Cipher cipher = Cipher.getInstance(algorithm);
            cipher.init(Cipher.DECRYPT_MODE, factory.generateSecret(new PBEKeySpec(password)), params);
            return info.getKeySpec(cipher).getEncoded();
        } catch (InvalidKeySpecException e) {
            throw new GeneralSecurityException("Cannot decrypt the private key in " + file + ": wrong password?", e);
        } catch (IOException | GeneralSecurityException e) { // scrypt, PBES2 with 3DES...: what this JDK cannot read
            throw new GeneralSecurityException("The private key in " + file + " is encrypted in a way this JDK cannot read ("
                    + e.getMessage() + "); re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in OLD -out NEW`", e);
        }
    }

    /** PKCS#1 RSAPrivateKey -> PKCS#8 PrivateKeyInfo { 0, rsaEncryption, OCTET STRING { key } }. */
    static byte[] wrapPkcs1(byte[] pkcs1) {
        return Der.sequence(VERSION_0, RSA_ALGORITHM, Der.tlv(0x04, pkcs1));
    }

    /**
     * SEC1 ECPrivateKey { 1, OCTET STRING, [0] curve OID, [1] public key } -> PKCS#8 PrivateKeyInfo
     * { 0, { id-ecPublicKey, curve }, OCTET STRING { key } }. The curve must be named in the key.
     */
    static byte[] wrapSec1(byte[] sec1) throws GeneralSecurityException {
        Der.Reader outer = new Der.Reader(sec1);
        Der.Reader fields = new Der.Reader(outer.next(0x30));
        fields.next(0x02); // version
        fields.next(0x04); // the private key
        byte[] curve = null;
        while (fields.hasMore()) {
            int tag = fields.peekTag();
            byte[] content = fields.next(tag);
            if (tag == 0xa0) curve = content; // [0] parameters: the curve's OID, as a whole TLV
        }
        if (curve == null) throw new GeneralSecurityException("The EC key does not name its curve");
        return Der.sequence(VERSION_0, Der.sequence(EC_PUBLIC_KEY_OID, curve), Der.tlv(0x04, sec1));
    }

    /** Just enough DER (X.690) to wrap keys: definite lengths, single-byte tags. */
    static final class Der {
        private Der() {
        }

        static byte[] tlv(int tag, byte[] content) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
            out.write(tag);
            int n = content.length;
            if (n < 0x80) {
                out.write(n);
            } else {
                int bytes = (32 - Integer.numberOfLeadingZeros(n) + 7) / 8;
                out.write(0x80 | bytes);
                for (int i = bytes - 1; i >= 0; i--) out.write(n >>> (8 * i));
            }
            out.writeBytes(content);
            return out.toByteArray();
        }

        static byte[] sequence(byte[]... parts) {
            ByteArrayOutputStream content = new ByteArrayOutputStream();
            for (byte[] part : parts) content.writeBytes(part);
            return tlv(0x30, content.toByteArray());
        }

        /** Reads TLVs one after another from a byte array. */
        static final class Reader {
            private final byte[] data;
            private int pos;

            Reader(byte[] data) {
                this.data = data;
            }

            boolean hasMore() {
                return pos < data.length;
            }

            int peekTag() throws GeneralSecurityException {
                if (!hasMore()) throw new GeneralSecurityException("Truncated DER");
                return data[pos] & 0xff;
            }

            /** The content of the next TLV, which must have tag {@code tag}. */
            byte[] next(int tag) throws GeneralSecurityException {
                if (peekTag() != tag) throw new GeneralSecurityException("Unexpected DER tag " + peekTag());
                pos++;
                if (!hasMore()) throw new GeneralSecurityException("Truncated DER");
                int length = data[pos++] & 0xff;
                if (length >= 0x80) {
                    int bytes = length & 0x7f;
                    if (bytes == 0 || bytes > 3) throw new GeneralSecurityException("Unsupported DER length");
                    length = 0;
                    for (int i = 0; i < bytes; i++) {
                        if (!hasMore()) throw new GeneralSecurityException("Truncated DER");
                        length = (length << 8) | (data[pos++] & 0xff);
                    }
                }
                if (length > data.length - pos) throw new GeneralSecurityException("Truncated DER");
                byte[] content = java.util.Arrays.copyOfRange(data, pos, pos + length);
                pos += length;
                return content;
            }
        }
    }
}
