package org.minipylib.wsgiserver.testing;

import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.minipylib.wsgiserver.tls.TlsConfig;
import org.minipylib.wsgiserver.tls.TlsCredentials;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import java.net.Socket;
import java.security.Principal;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificates made at test time with BouncyCastle: a CA, and server or client certificates it
 * signs, written to files in every form a server is configured with (PEM keys as PKCS#8, PKCS#1,
 * SEC1 and encrypted PKCS#8; PKCS#12 and JKS key stores). Nothing touches global security state.
 */
public final class TestCertificates {

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());
    private static final BouncyCastleProvider BC = new BouncyCastleProvider();

    /** A key pair, its certificate, and the CA that signed it. */
    public record Identity(KeyPair keys, X509Certificate certificate, X509Certificate ca) {
        public String commonName() {
            return TestCertificates.commonName(certificate);
        }
    }

    /** The CN part of a certificate's subject. */
    public static String commonName(X509Certificate certificate) {
        return certificate.getSubjectX500Principal().getName().replaceFirst("^(?:.*,)?CN=([^,]*).*$", "$1");
    }

    private final Path dir;
    private final String caName;
    private final KeyPair caKeys;
    private final X509Certificate ca;

    private TestCertificates(Path dir, String caName) throws GeneralSecurityException, IOException {
        this.dir = dir;
        this.caName = caName;
        this.caKeys = keyPair("EC");
        X500Name name = new X500Name("CN=" + caName + ",O=wsgiserver tests");
        X509v3CertificateBuilder builder = builder(name, name, caKeys);
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        this.ca = sign(builder, caKeys.getPrivate());
    }

    /** A new CA whose files go to {@code dir}. */
    public static TestCertificates newCa(Path dir, String caName) throws GeneralSecurityException, IOException {
        return new TestCertificates(dir, caName);
    }

    /** A server's TLS configuration for {@code localhost} and a client context that trusts it. */
    public record LocalhostTls(TlsConfig server, SSLContext client) {
    }

    /**
     * A new CA ({@code caName}, files in {@code dir}), an EC certificate for {@code localhost} as PEM
     * files, the server configuration using them, and a client that trusts the CA.
     */
    public static LocalhostTls localhostTls(Path dir, String caName) throws GeneralSecurityException, IOException {
        TestCertificates certs = newCa(dir, caName);
        Identity id = certs.issue("localhost", "EC", "localhost");
        TlsConfig server = TlsConfig.builder(TlsCredentials.pem(certs.certificatePem(id, "s.pem"), certs.pkcs8(id, "s.key"))).build();
        return new LocalhostTls(server, certs.clientContext(null));
    }

    /** A server SSL context with a certificate for localhost and a client context that trusts it. */
    public record LocalhostContexts(SSLContext server, SSLContext client) {
    }

    /** A new CA ({@code caName}, files in {@code dir}), an EC certificate for {@code localhost}, and the two contexts. */
    public static LocalhostContexts localhostContexts(Path dir, String caName) throws GeneralSecurityException, IOException {
        TestCertificates certs = newCa(dir, caName);
        return new LocalhostContexts(serverContext(certs.issue("localhost", "EC", "localhost")), certs.clientContext(null));
    }

    public X509Certificate caCertificate() {
        return ca;
    }

    /** The CA certificate as a PEM file. */
    public Path caPem() throws IOException {
        return writeCertificates(caName + "-ca.pem", ca);
    }

    /**
     * A certificate for {@code commonName}, valid for the given DNS names and 127.0.0.1.
     *
     * @param keyAlgorithm {@code RSA} or {@code EC}
     */
    public Identity issue(String commonName, String keyAlgorithm, String... dnsNames) throws GeneralSecurityException, IOException {
        Instant now = Instant.now();
        return issue(commonName, keyAlgorithm, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(30)), dnsNames);
    }

    /** A certificate as {@link #issue(String, String, String...)} makes, valid from {@code notBefore} to {@code notAfter}. */
    public Identity issue(String commonName, String keyAlgorithm, Instant notBefore, Instant notAfter, String... dnsNames)
            throws GeneralSecurityException, IOException {
        KeyPair keys = keyPair(keyAlgorithm);
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()),
                BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(notBefore), Date.from(notAfter),
                new X500Name("CN=" + commonName + ",OU=testing,O=wsgiserver tests,C=DE"), keys.getPublic());
        List<GeneralName> names = new ArrayList<>();
        for (String dns : dnsNames) names.add(new GeneralName(GeneralName.dNSName, dns));
        names.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
        return new Identity(keys, sign(builder, caKeys.getPrivate()), ca);
    }

    /** The certificate alone (no CA after it) as a PEM file. */
    public Path certificatePem(Identity id, String file) throws IOException {
        return writeCertificates(file, id.certificate());
    }

    /** The private key as unencrypted PKCS#8 ({@code PRIVATE KEY}). */
    public Path pkcs8(Identity id, String file) throws IOException {
        return writePem(file, new JcaPKCS8Generator(id.keys().getPrivate(), null).generate());
    }

    /** The private key as encrypted PKCS#8 (PBES2, PBKDF2 with HMAC-SHA256, AES-256-CBC). */
    public Path encryptedPkcs8(Identity id, String file, char[] password) throws IOException, GeneralSecurityException {
        try {
            var encryptor = new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
                    .setPRF(PKCS8Generator.PRF_HMACSHA256).setProvider(BC).setPassword(password).build();
            return writePem(file, new JcaPKCS8Generator(id.keys().getPrivate(), encryptor).generate());
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    /** An RSA private key as PKCS#1 ({@code RSA PRIVATE KEY}). */
    public Path pkcs1(Identity id, String file) throws IOException {
        byte[] pkcs1 = org.bouncycastle.asn1.pkcs.PrivateKeyInfo.getInstance(id.keys().getPrivate().getEncoded())
                .parsePrivateKey().toASN1Primitive().getEncoded();
        return writePem(file, new PemObject("RSA PRIVATE KEY", pkcs1));
    }

    /** An EC private key as SEC1 ({@code EC PRIVATE KEY}) naming its curve, as OpenSSL writes it. */
    public Path sec1(Identity id, String file) throws IOException {
        var info = org.bouncycastle.asn1.pkcs.PrivateKeyInfo.getInstance(id.keys().getPrivate().getEncoded());
        BigInteger d = ((java.security.interfaces.ECPrivateKey) id.keys().getPrivate()).getS();
        byte[] publicKey = SubjectPublicKeyInfo.getInstance(id.keys().getPublic().getEncoded()).getPublicKeyData().getBytes();
        ECPrivateKey sec1 = new ECPrivateKey(256, d, new DERBitString(publicKey), info.getPrivateKeyAlgorithm().getParameters());
        return writePem(file, new PemObject("EC PRIVATE KEY", sec1.getEncoded()));
    }

    /** A key store ({@code PKCS12} or {@code JKS}) with the key and its chain under alias "server". */
    public Path keyStore(Identity id, String type, String file, char[] password) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(type);
        store.load(null, null);
        store.setKeyEntry("server", id.keys().getPrivate(), password, new Certificate[] {id.certificate(), ca});
        Path path = dir.resolve(file);
        try (OutputStream out = Files.newOutputStream(path)) {
            store.store(out, password);
        }
        return path;
    }

    /** A client-side SSL context that trusts this CA (and, if {@code clientIdentity} is given, presents it). */
    public SSLContext clientContext(Identity clientIdentity) throws GeneralSecurityException, IOException {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        javax.net.ssl.KeyManager[] keyManagers = null;
        if (clientIdentity != null) {
            keyManagers = new javax.net.ssl.KeyManager[] {new AlwaysPresent((X509ExtendedKeyManager) keyManager(clientIdentity, "client"))};
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers, tmf.getTrustManagers(), null);
        return context;
    }

    /** A server-side SSL context that presents {@code serverIdentity} (and trusts nobody's client certificate). */
    public static SSLContext serverContext(Identity serverIdentity) throws GeneralSecurityException, IOException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(new javax.net.ssl.KeyManager[] {keyManager(serverIdentity, "server")}, null, null);
        return context;
    }

    /** The JDK's key manager for {@code identity}'s key and certificate chain, under {@code alias}. */
    private static javax.net.ssl.KeyManager keyManager(Identity identity, String alias) throws GeneralSecurityException, IOException {
        char[] pw = alias.toCharArray();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry(alias, identity.keys().getPrivate(), pw, new Certificate[] {identity.certificate(), identity.ca()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, pw);
        return kmf.getKeyManagers()[0];
    }

    /**
     * Presents the client certificate whichever CAs the server names, as a misconfigured or hostile
     * client would (the JDK's own key manager would quietly send none).
     */
    private static final class AlwaysPresent extends X509ExtendedKeyManager {
        private final X509ExtendedKeyManager keys;

        AlwaysPresent(X509ExtendedKeyManager keys) {
            this.keys = keys;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return "client";
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return "client";
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[] {"client"};
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return keys.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return keys.getPrivateKey(alias);
        }
    }

    private Path writeCertificates(String file, X509Certificate... certs) throws IOException {
        Path path = dir.resolve(file);
        try (Writer w = Files.newBufferedWriter(path); JcaPEMWriter pem = new JcaPEMWriter(w)) {
            for (X509Certificate c : certs) pem.writeObject(c);
        }
        return path;
    }

    private Path writePem(String file, PemObject object) throws IOException {
        Path path = dir.resolve(file);
        try (Writer w = Files.newBufferedWriter(path); JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(object);
        }
        return path;
    }

    private static KeyPair keyPair(String algorithm) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
        if (algorithm.equals("EC")) generator.initialize(new ECGenParameterSpec("secp256r1"));
        else generator.initialize(2048);
        return generator.generateKeyPair();
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(30))), subject, keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey caKey) throws GeneralSecurityException {
        try {
            var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(caKey);
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }
}
