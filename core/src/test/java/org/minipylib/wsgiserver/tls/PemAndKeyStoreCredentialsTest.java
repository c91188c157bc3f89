package org.minipylib.wsgiserver.tls;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestCertificates.Identity;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.interfaces.ECPrivateKey;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every credential form loads into the same key and chain: PEM keys as PKCS#8, PKCS#1, SEC1 and
 * encrypted PKCS#8, PKCS#12 and JKS stores; wrong passwords, legacy-encrypted PEM and a key that does
 * not match its certificate fail with a clear message.
 */
class PemAndKeyStoreCredentialsTest {

    private static final char[] PASSWORD = "s3cret".toCharArray();

    @TempDir
    static Path dir;
    static TestCertificates certs;
    static Identity rsa;
    static Identity ec;
    static Path rsaCert;
    static Path ecCert;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.newCa(dir, "pem-ca");
        rsa = certs.issue("rsa.test", "RSA", "rsa.test");
        ec = certs.issue("ec.test", "EC", "ec.test");
        rsaCert = certs.certificatePem(rsa, "rsa.pem");
        ecCert = certs.certificatePem(ec, "ec.pem");
    }

    private static void assertLoads(Identity id, TlsCredentials credentials) throws Exception {
        ServerCredential loaded = credentials.load();
        if (loaded.key() instanceof ECPrivateKey key) { // SEC1 keeps the public key too: compare the secret
            assertEquals(((ECPrivateKey) id.keys().getPrivate()).getS(), key.getS());
        } else {
            assertArrayEquals(id.keys().getPrivate().getEncoded(), loaded.key().getEncoded());
        }
        assertEquals(id.certificate(), loaded.chain()[0]);
    }

    @Test
    void pkcs8RsaAndEcKeys() throws Exception {
        assertLoads(rsa, TlsCredentials.pem(rsaCert, certs.pkcs8(rsa, "rsa-pkcs8.key")));
        assertLoads(ec, TlsCredentials.pem(ecCert, certs.pkcs8(ec, "ec-pkcs8.key")));
    }

    @Test
    void pkcs1RsaKey() throws Exception {
        Path key = certs.pkcs1(rsa, "rsa-pkcs1.key");
        assertTrue(Files.readString(key).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
        assertLoads(rsa, TlsCredentials.pem(rsaCert, key));
    }

    @Test
    void sec1EcKey() throws Exception {
        Path key = certs.sec1(ec, "ec-sec1.key");
        assertTrue(Files.readString(key).startsWith("-----BEGIN EC PRIVATE KEY-----"));
        assertLoads(ec, TlsCredentials.pem(ecCert, key));
    }

    @Test
    void encryptedPkcs8KeysWithTheirPassword() throws Exception {
        Path rsaKey = certs.encryptedPkcs8(rsa, "rsa-enc.key", PASSWORD);
        Path ecKey = certs.encryptedPkcs8(ec, "ec-enc.key", PASSWORD);
        assertTrue(Files.readString(ecKey).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        assertLoads(rsa, TlsCredentials.pem(rsaCert, null, rsaKey, PASSWORD));
        assertLoads(ec, TlsCredentials.pem(ecCert, null, ecKey, PASSWORD));

        var wrong = assertThrows(GeneralSecurityException.class,
                () -> TlsCredentials.pem(ecCert, null, ecKey, "nope".toCharArray()).load());
        assertTrue(wrong.getMessage().contains("wrong password"), wrong.getMessage());
        var missing = assertThrows(GeneralSecurityException.class, () -> TlsCredentials.pem(ecCert, ecKey).load());
        assertTrue(missing.getMessage().contains("password is needed"), missing.getMessage());
    }

    /** The credentials keep a copy of a password: a caller that clears its array still reloads, and no text shows it. */
    @Test
    void aPasswordIsCopiedComparedByValueAndNotShown() throws Exception {
        Path key = certs.encryptedPkcs8(rsa, "rsa-copied.key", PASSWORD);
        Path store = certs.keyStore(rsa, "PKCS12", "rsa-copied.p12", PASSWORD);
        char[] pemPassword = PASSWORD.clone();
        char[] storePassword = PASSWORD.clone();
        TlsCredentials pem = TlsCredentials.pem(rsaCert, null, key, pemPassword);
        TlsCredentials keyStore = TlsCredentials.keyStore(store, "PKCS12", storePassword);
        Arrays.fill(pemPassword, '\0'); // what careful callers do once they handed a password over
        Arrays.fill(storePassword, '\0');
        assertLoads(rsa, pem); // as a reload would, after the clearing
        assertLoads(rsa, keyStore);

        assertEquals(TlsCredentials.pem(rsaCert, null, key, PASSWORD.clone()), pem);
        assertEquals(TlsCredentials.pem(rsaCert, null, key, PASSWORD.clone()).hashCode(), pem.hashCode());
        assertEquals(TlsCredentials.keyStore(store, "PKCS12", PASSWORD.clone()), keyStore);
        ((TlsCredentials.Pem) pem).keyPassword()[0] = 'x'; // the accessor's array is a copy too
        assertLoads(rsa, pem);
        for (TlsCredentials c : List.of(pem, keyStore)) {
            assertFalse(c.toString().contains("s3cret") || c.toString().contains("[C@"), c.toString());
            assertTrue(c.toString().contains("(hidden)"), c.toString());
        }
    }

    /** A password file is read on every load, so a key re-encrypted with a new password loads once both files are replaced. */
    @Test
    void passwordFilesAreReadOnEveryLoad() throws Exception {
        Path passwordFile = dir.resolve("key-password.txt");
        Files.writeString(passwordFile, "first\r\n");
        Path key = certs.encryptedPkcs8(ec, "rotating.key", "first".toCharArray());
        TlsCredentials pem = TlsCredentials.pemWithPasswordFile(ecCert, null, key, passwordFile);
        assertTrue(pem.files().contains(passwordFile), "a reload notices a new password file");
        assertLoads(ec, pem);
        Files.move(certs.encryptedPkcs8(ec, "rotating-next.key", "second".toCharArray()), key, StandardCopyOption.REPLACE_EXISTING);
        assertThrows(GeneralSecurityException.class, pem::load, "the old password no longer opens the key");
        Files.writeString(passwordFile, "second");
        assertLoads(ec, pem);

        Path storePasswordFile = dir.resolve("store-password.txt");
        Files.writeString(storePasswordFile, "s3cret\n");
        TlsCredentials store = TlsCredentials.keyStoreWithPasswordFile(certs.keyStore(rsa, "PKCS12", "rotating.p12", PASSWORD), "PKCS12",
                storePasswordFile);
        assertTrue(store.files().contains(storePasswordFile));
        assertLoads(rsa, store);
    }

    @Test
    void chainFileIsAppendedAfterTheLeaf() throws Exception {
        Path chain = certs.caPem();
        ServerCredential loaded = TlsCredentials.pem(ecCert, chain, certs.pkcs8(ec, "ec-chain.key"), null).load();
        assertEquals(2, loaded.chain().length);
        assertEquals(certs.caCertificate(), loaded.chain()[1]);
    }

    @Test
    void pkcs12AndJksKeyStores() throws Exception {
        assertLoads(rsa, TlsCredentials.keyStore(certs.keyStore(rsa, "PKCS12", "rsa.p12", PASSWORD), "PKCS12", PASSWORD));
        assertLoads(ec, TlsCredentials.keyStore(certs.keyStore(ec, "JKS", "ec.jks", PASSWORD), "JKS", PASSWORD));

        Path p12 = certs.keyStore(rsa, "PKCS12", "rsa-wrong.p12", PASSWORD);
        var wrong = assertThrows(java.io.IOException.class, () -> TlsCredentials.keyStore(p12, "PKCS12", "nope".toCharArray()).load());
        assertTrue(wrong.getMessage().contains(p12.toString()) && wrong.getMessage().contains("wrong password?"), wrong.getMessage());
        var notAStore = assertThrows(java.io.IOException.class, () -> TlsCredentials.keyStore(rsaCert, "PKCS12", PASSWORD).load());
        assertTrue(notAStore.getMessage().contains(rsaCert.toString()) && notAStore.getMessage().contains("not a PKCS12 key store?"),
                notAStore.getMessage());
    }

    @Test
    void keyOfAnotherCertificateIsRefused() throws Exception {
        var e = assertThrows(GeneralSecurityException.class,
                () -> TlsCredentials.pem(ecCert, certs.pkcs8(rsa, "other.key")).load());
        assertTrue(e.getMessage().contains("does not belong"), e.getMessage());
    }

    @Test
    void legacyEncryptedPemSaysHowToConvert() throws Exception {
        Path legacy = dir.resolve("legacy.key");
        Files.writeString(legacy, """
                -----BEGIN RSA PRIVATE KEY-----
                Proc-Type: 4,ENCRYPTED
                DEK-Info: AES-128-CBC,0123456789ABCDEF0123456789ABCDEF

                AAAA
                -----END RSA PRIVATE KEY-----
                """);
        var e = assertThrows(GeneralSecurityException.class, () -> TlsCredentials.pem(rsaCert, legacy).load());
        assertTrue(e.getMessage().contains("openssl pkcs8 -topk8"), e.getMessage());
    }

    /** A byte order mark (Windows editors) and UTF-8 comments outside the blocks (CA bundles) are no obstacle. */
    @Test
    void byteOrderMarkAndUtf8CommentsAreIgnored() throws Exception {
        Path cert = dir.resolve("bom.pem");
        byte[] bom = {(byte) 0xef, (byte) 0xbb, (byte) 0xbf};
        byte[] comment = "# Issuer: CN=F\u0151tan\u00fas\u00edtv\u00e1ny\r\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] pem = Files.readAllBytes(ecCert);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(bom);
        out.write(pem);
        out.write(comment);
        Files.write(cert, out.toByteArray());
        Path key = dir.resolve("bom.key");
        Files.write(key, concat(bom, comment, Files.readAllBytes(certs.pkcs8(ec, "bom-src.key"))));
        assertLoads(ec, TlsCredentials.pem(cert, key));
    }

    private static byte[] concat(byte[]... parts) throws java.io.IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] part : parts) out.write(part);
        return out.toByteArray();
    }

    /** Keys encrypted in a way the JDK cannot read (scrypt, PBES2 with 3DES) are refused with a message that says what to do. */
    @Test
    void keyEncryptionTheJdkCannotReadSaysHowToReEncrypt() throws Exception {
        Path openssl = Path.of("/usr/bin/openssl");
        org.minipylib.wsgiserver.testing.OptionalTool.assumeInstalled(Files.isExecutable(openssl),
                "openssl is not installed at " + openssl + " (Debian: apt-get install -y openssl)");
        Path plain = certs.pkcs8(ec, "scrypt-src.key");
        for (String[] scheme : new String[][] {{"-scrypt"}, {"-v2", "des3"}}) {
            Path encrypted = dir.resolve("enc" + scheme.length + ".key");
            java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(openssl.toString(), "pkcs8", "-topk8"));
            command.addAll(java.util.List.of(scheme));
            command.addAll(java.util.List.of("-in", plain.toString(), "-out", encrypted.toString(), "-passout", "pass:s3cret"));
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            assertEquals(0, process.waitFor(), output);
            var e = assertThrows(GeneralSecurityException.class, () -> TlsCredentials.pem(ecCert, null, encrypted, PASSWORD).load());
            assertTrue(e.getMessage().contains(encrypted.toString()) && e.getMessage().contains("-v2 aes-256-cbc"),
                    String.join(" ", scheme) + ": " + e.getMessage());
        }
    }

    @Test
    void fileWithoutKeyOrCertificateIsRefused() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.pem"), "nothing here\n");
        assertThrows(GeneralSecurityException.class, () -> TlsCredentials.pem(empty, certs.pkcs8(ec, "e.key")).load());
        assertThrows(GeneralSecurityException.class, () -> TlsCredentials.pem(ecCert, empty).load());
        // a chain file without a certificate (garbage, or a key): refused, not a leaf sent alone
        GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
                () -> TlsCredentials.pem(ecCert, empty, certs.pkcs8(ec, "e2.key"), null).load());
        assertTrue(e.getMessage().contains("chain file"), e.getMessage());
        assertThrows(GeneralSecurityException.class, () -> TlsCredentials.pem(ecCert, certs.pkcs8(ec, "e3.key"), certs.pkcs8(ec, "e4.key"), null).load());
    }
}
