package org.minipylib.wsgiserver.tls;

import org.minipylib.wsgiserver.http.BufferPool;
import org.minipylib.wsgiserver.http.Transport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SNIMatcher;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.StandardConstants;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS adapter on the JDK's own TLS implementation (JSSE): loads the certificates and keys of a
 * {@link TlsConfig}, and runs each handshake on the connection's thread, bounded by the deadline.
 *
 * <p>A host with its own certificate (SNI) has its own SSL context, chosen from the ClientHello
 * before the handshake, and a session resumes only under the name it began with (RFC 6066 section
 * 3), also among the names one context serves (a wildcard's, the default certificate's), and one
 * begun without a name only without one.
 *
 * <p>{@link #reload()} re-reads every file and swaps in new SSL contexts: handshakes that start
 * afterwards use the new certificates, connections already open keep theirs. With a reload interval
 * set, the files' modification times are compared at most that often, and the files reloaded if one
 * changed: by the first handshake after the interval, or between handshakes by a short-lived thread
 * the server's watchdog starts ({@link #tick()}). A failed reload keeps the old certificates and is
 * logged ({@link ReloadFailureLog}). One that could not read a file (an {@link IOException}: too many
 * open files, permission denied, a file missing or half written; also a key store's wrong password,
 * which the JDK reports as one) is tried again at every check until it works, since what made it fail
 * may pass without changing any file's time or size (descriptors freed, a {@code chown}); a retry costs
 * reading the files. One whose files were read but refused (a {@link GeneralSecurityException}: no
 * usable certificate or key, no possible handshake) waits until a file changes: the same files would
 * be refused again, each time after in-memory handshakes.
 */
public final class JsseSslAdapter implements SslAdapter {

    private static final System.Logger LOG = System.getLogger(JsseSslAdapter.class.getName());

    private final TlsConfig config;
    /** The connections' TLS buffers (three per connection busy with a request; an idle one holds none). */
    private final BufferPool buffers = TlsTransport.buffers(768);
    /** Bounds the handshakes in progress ({@link TlsConfig#maxHandshakes()} of the configuration it was made with). */
    private final HandshakeSlots handshakeSlots;
    private final ReentrantLock reloading = new ReentrantLock();
    private final long reloadIntervalNanos;
    private final String[] cipherSuites;
    private volatile Contexts contexts;
    private volatile Map<Path, List<Long>> fileStamps;
    /** The files' stamps when a reload refused what it read: not tried again until a file changes. Guarded by reloading. */
    private Map<Path, List<Long>> refusedStamps;
    /** The interval's reloads' failures and recoveries, as logged. Guarded by reloading. */
    private final ReloadFailureLog reloadLog = new ReloadFailureLog(LOG, System::nanoTime);
    private volatile long nextCheckNanos;

    /**
     * Loads the certificates and keys of {@code config}.
     *
     * @throws IOException              if a file cannot be read
     * @throws GeneralSecurityException if a file holds no usable certificate or key, a key does not
     *                                  match its certificate, a protocol or cipher suite is unknown, or
     *                                  no client could shake hands with a certificate (an in-memory
     *                                  handshake per protocol tells; a protocol that fails while another
     *                                  works is logged as a warning, as is a certificate not valid now)
     */
    public JsseSslAdapter(TlsConfig config) throws IOException, GeneralSecurityException {
        this.config = config;
        this.handshakeSlots = new HandshakeSlots(config.maxHandshakes());
        this.reloadIntervalNanos = config.reloadInterval().toNanos();
        this.fileStamps = stamps();
        this.contexts = newContexts();
        checkNames(contexts.fallback().getSupportedSSLParameters());
        this.cipherSuites = cipherSuites(contexts.fallback());
        checkHandshakes(contexts);
        this.nextCheckNanos = System.nanoTime() + reloadIntervalNanos;
    }

    /** The pool of the connections' TLS buffers (for tests). */
    BufferPool buffers() {
        return buffers;
    }

    /** The bound on handshakes in progress (for tests). */
    HandshakeSlots handshakeSlots() {
        return handshakeSlots;
    }

    /** This adapter's configuration. */
    public TlsConfig config() {
        return config;
    }

    @Override
    public Transport open(Transport transport, long deadlineNanos) throws IOException {
        if (reloadDue()) reloadIfChanged();
        Contexts current = contexts; // one generation for the whole handshake, even if a reload happens meanwhile
        return SslEngineAdapter.handshake(transport, host -> newEngine(current.forHost(host)), buffers, handshakeSlots,
                deadlineNanos);
    }

    /**
     * The SSL contexts of one load of the files: one per host with its own certificate (so sessions,
     * kept per context, are never resumed under another host's name), the default one, and the
     * default certificate's again for clients that send no SNI: JSSE compares names only when the
     * client sends one, so a session begun under a name would otherwise resume without any (and
     * SSL_TLS_SNI, read from the session, name a host this client never asked for).
     */
    private record Contexts(SSLContext fallback, SSLContext withoutName, Map<String, SSLContext> byHost) {
        /** The context for an SNI host name: exact, then {@code *.domain}, else the default; no name: its own. */
        SSLContext forHost(String host) {
            if (host == null) return withoutName;
            if (byHost.isEmpty()) return fallback;
            SSLContext exact = byHost.get(host);
            if (exact != null) return exact;
            int dot = host.indexOf('.');
            SSLContext wildcard = dot > 0 ? byHost.get("*" + host.substring(dot)) : null;
            return wildcard != null ? wildcard : fallback;
        }
    }

    /**
     * Takes every host name: which certificate a name gets was chosen before (the SSL context). With
     * no matcher at all JSSE would not compare the name with a resumed session's, and a session
     * would resume under any other name its context serves (the default context's, a wildcard's),
     * against RFC 6066 section 3; with one, it resumes under its own name only.
     */
    private static final List<SNIMatcher> ANY_HOST_NAME = List.of(new SNIMatcher(StandardConstants.SNI_HOST_NAME) {
        @Override
        public boolean matches(SNIServerName serverName) {
            return true;
        }
    });

    private SSLEngine newEngine(SSLContext context) {
        SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(false);
        SSLParameters params = engine.getSSLParameters();
        params.setProtocols(config.protocols().toArray(String[]::new));
        params.setCipherSuites(cipherSuites);
        // Every default suite is strong: the client's order picks among them (ChaCha20 for one without
        // AES instructions), as Mozilla's TLS guidance says; a configured list is in the operator's order.
        params.setUseCipherSuitesOrder(!config.cipherSuites().isEmpty());
        switch (config.clientAuth()) {
            case REQUIRED -> params.setNeedClientAuth(true);
            case OPTIONAL -> params.setWantClientAuth(true);
            case NONE -> { }
        }
        params.setSNIMatchers(ANY_HOST_NAME);
        engine.setSSLParameters(params);
        List<String> ours = config.applicationProtocols();
        if (!ours.isEmpty()) {
            // The first of ours the client offers; none in common: go on without ALPN ("") rather than fail.
            try {
                engine.setHandshakeApplicationProtocolSelector((e, offered) ->
                        ours.stream().filter(offered::contains).findFirst().orElse(""));
            } catch (UnsupportedOperationException e) { // a provider without selectors: plain ALPN (strict)
                params.setApplicationProtocols(ours.toArray(String[]::new));
                engine.setSSLParameters(params);
            }
        }
        return engine;
    }

    /**
     * Re-reads every certificate, key and CA file now; new handshakes use them, open connections are
     * undisturbed. If anything fails the old ones stay in use.
     *
     * @throws IOException              if a file cannot be read
     * @throws GeneralSecurityException if a file holds no usable certificate or key, or no client could
     *                                  shake hands with a new certificate
     */
    public void reload() throws IOException, GeneralSecurityException {
        reloading.lock();
        try {
            Map<Path, List<Long>> stamps = stamps();
            Contexts fresh = newContexts();
            checkHandshakes(fresh);
            contexts = fresh;
            fileStamps = stamps;
            refusedStamps = null;
            reloadLog.reloaded();
        } finally {
            reloading.unlock();
        }
    }

    /** Checks the files between handshakes too (so a failed reload is logged without waiting for a client). */
    @Override
    public void tick() {
        if (!reloadDue()) return;
        nextCheckNanos = System.nanoTime() + reloadIntervalNanos; // no second thread while this one checks
        Thread.ofVirtual().name("wsgiserver-tls-reload").start(this::reloadIfChanged);
    }

    private boolean reloadDue() {
        return reloadIntervalNanos > 0 && System.nanoTime() - nextCheckNanos >= 0;
    }

    /**
     * Called once the interval passed: reloads if a file changed, or if the last reload could not read
     * one (tried again at each check until it works); handshakes go on meanwhile.
     */
    private void reloadIfChanged() {
        if (!reloading.tryLock()) return;
        Map<Path, List<Long>> stamps = null;
        try {
            nextCheckNanos = System.nanoTime() + reloadIntervalNanos;
            stamps = stamps();
            if (stamps.equals(fileStamps) || stamps.equals(refusedStamps)) return; // unchanged, or refused as they are
            reload();
        } catch (IOException e) { // the environment's, maybe passing (descriptors, permissions, a file mid-write)
            reloadLog.failed(e, "tried again at the next check");
        } catch (GeneralSecurityException | RuntimeException e) { // the files' content: the same files fail the same way
            refusedStamps = stamps;
            reloadLog.failed(e, "tried again once a file changes");
        } finally {
            reloading.unlock();
        }
    }

    private Map<Path, List<Long>> stamps() throws IOException {
        Set<Path> files = new LinkedHashSet<>(config.credentials().files());
        config.sniCredentials().values().forEach(c -> files.addAll(c.files()));
        if (config.clientCa() != null) files.add(config.clientCa());
        Map<Path, List<Long>> stamps = new HashMap<>();
        for (Path file : files) stamps.put(file, List.of(Files.getLastModifiedTime(file).toMillis(), Files.size(file)));
        return stamps;
    }

    private Contexts newContexts() throws IOException, GeneralSecurityException {
        TrustManager[] trust = config.clientCa() == null ? null : trustManagers(config.clientCa());
        Map<String, SSLContext> byHost = new HashMap<>();
        for (Map.Entry<String, TlsCredentials> e : config.sniCredentials().entrySet()) {
            ServerCredential credential = e.getValue().load();
            warnIfNotValidNow(credential, "the certificate for " + e.getKey());
            byHost.put(e.getKey(), newContext(credential, trust));
        }
        ServerCredential fallback = config.credentials().load();
        warnIfNotValidNow(fallback, "the default certificate");
        return new Contexts(newContext(fallback, trust), newContext(fallback, trust), Map.copyOf(byHost));
    }

    private SSLContext newContext(ServerCredential credential, TrustManager[] trust) throws GeneralSecurityException {
        SSLContext ssl = config.provider() == null ? SSLContext.getInstance("TLS") : SSLContext.getInstance("TLS", config.provider());
        ssl.init(new javax.net.ssl.KeyManager[] {new CredentialKeyManager(credential)}, trust, null);
        return ssl;
    }

    private static TrustManager[] trustManagers(Path caBundle) throws IOException, GeneralSecurityException {
        List<X509Certificate> cas = PemReader.certificates(caBundle);
        if (cas.isEmpty()) throw new GeneralSecurityException("No certificate in " + caBundle);
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        for (int i = 0; i < cas.size(); i++) store.setCertificateEntry("ca-" + i, cas.get(i));
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        return factory.getTrustManagers();
    }

    /** The configured suites as given; none configured: the strong ones among the engine's defaults. */
    private String[] cipherSuites(SSLContext context) {
        if (!config.cipherSuites().isEmpty()) return config.cipherSuites().toArray(String[]::new);
        return DefaultCipherSuites.strong(context.getDefaultSSLParameters().getCipherSuites());
    }

    /**
     * Shakes hands in memory ({@link HandshakeProbe}) with each certificate, once per enabled
     * protocol, so that a configuration no client can connect with fails here, not at every
     * client's handshake (logged at DEBUG only): every protocol disabled by the JDK's
     * {@code jdk.tls.disabledAlgorithms}, no enabled suite for any enabled protocol, or none that
     * suits the certificate's key. A protocol no client can use with a certificate, while another
     * one works, is logged as a warning.
     */
    private void checkHandshakes(Contexts candidate) throws GeneralSecurityException {
        checkHandshakes(candidate.fallback(), "the default certificate");
        for (Map.Entry<String, SSLContext> e : candidate.byHost().entrySet()) {
            checkHandshakes(e.getValue(), "the certificate for " + e.getKey());
        }
    }

    private void checkHandshakes(SSLContext context, String certificate) throws GeneralSecurityException {
        Map<String, String> refused = new LinkedHashMap<>();
        int probed = 0;
        for (String protocol : config.protocols()) {
            if (protocol.equals("SSLv2Hello")) continue; // a ClientHello format, not a protocol to connect with
            probed++;
            HandshakeProbe.Result result = HandshakeProbe.shakeHands(newEngine(context), protocol, cipherSuites, config.provider());
            switch (result.outcome()) {
                case CONNECTED -> { }
                case SERVER_REFUSED -> refused.put(protocol, result.reason());
                case CLIENT_REFUSED -> LOG.log(System.Logger.Level.WARNING,
                        "A JDK client offering {0} could not shake hands with {1}, other clients may: {2}", protocol,
                        certificate, result.reason());
                case NOT_CHECKED -> LOG.log(System.Logger.Level.DEBUG, "{0} with {1} not checked: {2}", protocol, certificate,
                        result.reason());
            }
        }
        if (probed > 0 && refused.size() == probed) {
            throw new GeneralSecurityException("No TLS handshake is possible with " + certificate + ", protocols "
                    + config.protocols() + " and cipher suites " + Arrays.toString(cipherSuites) + ": " + refused
                    + " (the JDK's security property jdk.tls.disabledAlgorithms may disable a protocol)");
        }
        refused.forEach((protocol, reason) -> LOG.log(System.Logger.Level.WARNING,
                "{0} clients cannot connect with {1}: {2}", protocol, certificate, reason));
    }

    /** An expired certificate still serves (clients decide), but the operator should hear of it. */
    private static void warnIfNotValidNow(ServerCredential credential, String certificate) {
        X509Certificate leaf = credential.chain()[0];
        try {
            leaf.checkValidity();
        } catch (java.security.cert.CertificateExpiredException e) {
            LOG.log(System.Logger.Level.WARNING, "{0} expired on {1}: clients will refuse it", certificate,
                    leaf.getNotAfter().toInstant());
        } catch (java.security.cert.CertificateNotYetValidException e) {
            LOG.log(System.Logger.Level.WARNING, "{0} is not valid before {1}: clients will refuse it", certificate,
                    leaf.getNotBefore().toInstant());
        }
    }

    private void checkNames(SSLParameters supported) throws GeneralSecurityException {
        List<String> unknown = new ArrayList<>(config.protocols());
        unknown.removeAll(Arrays.asList(supported.getProtocols()));
        List<String> unknownCiphers = new ArrayList<>(config.cipherSuites());
        unknownCiphers.removeAll(Arrays.asList(supported.getCipherSuites()));
        unknown.addAll(unknownCiphers);
        if (!unknown.isEmpty()) throw new GeneralSecurityException("Unknown TLS protocols or cipher suites: " + unknown);
    }
}
