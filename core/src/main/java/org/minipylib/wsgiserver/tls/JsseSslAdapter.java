package org.minipylib.wsgiserver.tls;

import org.minipylib.wsgiserver.http.Transport;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS adapter on the JDK's own TLS implementation (JSSE): loads the certificates and keys of a
 * {@link TlsConfig}, and runs each handshake on the connection's thread, bounded by the deadline.
 *
 * <p>{@link #reload()} re-reads every file and swaps in a new SSL context: handshakes that start
 * afterwards use the new certificates, connections already open keep theirs. With a reload interval
 * set, a handshake at most that often compares the files' modification times and reloads if one
 * changed (no thread of its own). A failed reload keeps the old certificates and is logged.
 */
public final class JsseSslAdapter implements SslAdapter {

    private static final System.Logger LOG = System.getLogger("org.minipylib.wsgiserver");

    private final TlsConfig config;
    private final ReentrantLock reloading = new ReentrantLock();
    private final long reloadIntervalNanos;
    private volatile SSLContext context;
    private volatile Map<Path, List<Long>> fileStamps;
    private volatile long nextCheckNanos;

    /**
     * Loads the certificates and keys of {@code config}.
     *
     * @throws IOException              if a file cannot be read
     * @throws GeneralSecurityException if a file holds no usable certificate or key, a key does not
     *                                  match its certificate, or a protocol or cipher suite is unknown
     */
    public JsseSslAdapter(TlsConfig config) throws IOException, GeneralSecurityException {
        this.config = config;
        this.reloadIntervalNanos = config.reloadInterval().toNanos();
        this.fileStamps = stamps();
        this.context = newContext();
        checkNames(context.getSupportedSSLParameters());
        this.nextCheckNanos = System.nanoTime() + reloadIntervalNanos;
    }

    /** This adapter's configuration. */
    public TlsConfig config() {
        return config;
    }

    @Override
    public Transport open(Transport transport, long deadlineNanos) throws IOException {
        if (reloadIntervalNanos > 0 && System.nanoTime() - nextCheckNanos >= 0) reloadIfChanged();
        TlsTransport tls = new TlsTransport(transport, newEngine());
        try {
            tls.handshake(deadlineNanos);
        } catch (IOException e) {
            throw new TlsHandshakeException(reason(e), e); // the server logs it as one line at DEBUG
        }
        return tls;
    }

    /** One line for the log: scanners and impatient clients must not flood it with stack traces. */
    private static String reason(IOException e) {
        if (e instanceof SocketTimeoutException) return "timed out";
        if (e instanceof EOFException) return "the client closed the connection";
        if (e instanceof java.nio.channels.AsynchronousCloseException) return "closed by the server (timeout or stop)";
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return e instanceof SSLException ? message : e.getClass().getSimpleName() + ": " + message;
    }

    private SSLEngine newEngine() {
        SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(false);
        SSLParameters params = engine.getSSLParameters();
        params.setProtocols(config.protocols().toArray(String[]::new));
        if (!config.cipherSuites().isEmpty()) params.setCipherSuites(config.cipherSuites().toArray(String[]::new));
        params.setUseCipherSuitesOrder(true);
        switch (config.clientAuth()) {
            case REQUIRED -> params.setNeedClientAuth(true);
            case OPTIONAL -> params.setWantClientAuth(true);
            case NONE -> { }
        }
        engine.setSSLParameters(params);
        List<String> ours = config.applicationProtocols();
        if (!ours.isEmpty()) {
            // The first of ours the client offers; none in common: go on without ALPN ("") rather than fail.
            engine.setHandshakeApplicationProtocolSelector((e, offered) ->
                    ours.stream().filter(offered::contains).findFirst().orElse(""));
        }
        return engine;
    }

    /**
     * Re-reads every certificate, key and CA file now; new handshakes use them, open connections are
     * undisturbed. If anything fails the old ones stay in use.
     *
     * @throws IOException              if a file cannot be read
     * @throws GeneralSecurityException if a file holds no usable certificate or key
     */
    public void reload() throws IOException, GeneralSecurityException {
        reloading.lock();
        try {
            Map<Path, List<Long>> stamps = stamps();
            context = newContext();
            fileStamps = stamps;
            LOG.log(System.Logger.Level.INFO, "TLS certificates reloaded");
        } finally {
            reloading.unlock();
        }
    }

    /** Called by a handshake once the interval passed: reloads if a file changed; others go on meanwhile. */
    private void reloadIfChanged() {
        if (!reloading.tryLock()) return;
        try {
            nextCheckNanos = System.nanoTime() + reloadIntervalNanos;
            if (stamps().equals(fileStamps)) return;
            reload();
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "TLS certificate reload failed; keeping the current ones: {0}", e.toString());
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

    private SSLContext newContext() throws IOException, GeneralSecurityException {
        Map<String, ServerCredential> byHost = new HashMap<>();
        for (Map.Entry<String, TlsCredentials> e : config.sniCredentials().entrySet()) {
            byHost.put(e.getKey(), e.getValue().load());
        }
        SniKeyManager keys = new SniKeyManager(config.credentials().load(), byHost);
        TrustManager[] trust = null;
        if (config.clientCa() != null) {
            List<X509Certificate> cas = PemReader.certificates(config.clientCa());
            if (cas.isEmpty()) throw new GeneralSecurityException("No certificate in " + config.clientCa());
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < cas.size(); i++) store.setCertificateEntry("ca-" + i, cas.get(i));
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            trust = factory.getTrustManagers();
        }
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(new javax.net.ssl.KeyManager[] {keys}, trust, null);
        return ssl;
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
