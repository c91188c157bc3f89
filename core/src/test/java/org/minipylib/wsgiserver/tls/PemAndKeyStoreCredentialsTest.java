package org.minipylib.wsgiserver.tls;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestCertificates.Identity;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.interfaces.ECPrivateKey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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

    @Test
    void fileWithoutKeyOrCertificateIsRefused() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.pem"), "nothing here\n");
        assertThrows(GeneralSecurityException.class, () -> TlsCredentials.pem(empty, certs.pkcs8(ec, "e.key")).load());
        assertThrows(GeneralSecurityException.class, () -> TlsCredentials.pem(ecCert, empty).load());
    }
}
