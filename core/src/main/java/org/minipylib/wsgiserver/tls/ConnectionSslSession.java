package org.minipylib.wsgiserver.tls;

import java.security.Principal;
import java.security.cert.Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionBindingEvent;
import javax.net.ssl.SSLSessionBindingListener;
import javax.net.ssl.SSLSessionContext;

/**
 * A TLS connection's session as its requests see it: the engine's session, except that the values
 * bound to it ({@link #putValue}) belong to this connection. Bound to the JDK's own session, a value
 * costs more than its memory: on TLS 1.3 the JDK then sends the client one more session ticket, a
 * stateful one, and keeps a copy of the session (the value with it) in the server's session cache,
 * one per connection, for up to a day. The server binds the environ's TLS variables, which it
 * computes once per connection (see {@link SslEnviron}); an application's values stay with the
 * connection as well. A renegotiation (TLS 1.2), which gives the engine a new session, drops them.
 */
final class ConnectionSslSession extends ExtendedSSLSession {

    private final SSLEngine engine;
    private final Map<String, Object> values = new ConcurrentHashMap<>();
    /** The engine's session the values belong to: a renegotiation (TLS 1.2) makes a new one, which starts without. */
    private SSLSession boundTo;

    ConnectionSslSession(SSLEngine engine) {
        this.engine = engine;
    }

    /** The engine's session now (the same one for the connection's life, unless it renegotiates). */
    private SSLSession session() {
        return engine.getSession();
    }

    /**
     * The values of the engine's session now: those bound under an earlier one (before a
     * renegotiation) are dropped, as the JDK's own session values would be, so that nothing computed
     * from the old session (the environ's client certificate, cipher, session id) outlives it.
     */
    private synchronized Map<String, Object> values() {
        SSLSession now = engine.getSession();
        if (now != boundTo) {
            boundTo = now;
            for (String name : List.copyOf(values.keySet())) unbind(name, values.remove(name));
        }
        return values;
    }

    private void unbind(String name, Object value) {
        if (value instanceof SSLSessionBindingListener listener) listener.valueUnbound(new SSLSessionBindingEvent(this, name));
    }

    @Override
    public void putValue(String name, Object value) {
        if (name == null || value == null) throw new IllegalArgumentException("name and value must not be null");
        unbind(name, values().put(name, value));
        if (value instanceof SSLSessionBindingListener listener) listener.valueBound(new SSLSessionBindingEvent(this, name));
    }

    @Override
    public Object getValue(String name) {
        if (name == null) throw new IllegalArgumentException("name must not be null");
        return values().get(name);
    }

    @Override
    public void removeValue(String name) {
        if (name == null) throw new IllegalArgumentException("name must not be null");
        unbind(name, values().remove(name));
    }

    @Override
    public String[] getValueNames() {
        return values().keySet().toArray(new String[0]);
    }

    // everything else is the engine's session's

    @Override
    public byte[] getId() {
        return session().getId();
    }

    @Override
    public SSLSessionContext getSessionContext() {
        return session().getSessionContext();
    }

    @Override
    public long getCreationTime() {
        return session().getCreationTime();
    }

    @Override
    public long getLastAccessedTime() {
        return session().getLastAccessedTime();
    }

    @Override
    public void invalidate() {
        session().invalidate();
    }

    @Override
    public boolean isValid() {
        return session().isValid();
    }

    @Override
    public Certificate[] getPeerCertificates() throws SSLPeerUnverifiedException {
        return session().getPeerCertificates();
    }

    @Override
    public Certificate[] getLocalCertificates() {
        return session().getLocalCertificates();
    }

    @Override
    public Principal getPeerPrincipal() throws SSLPeerUnverifiedException {
        return session().getPeerPrincipal();
    }

    @Override
    public Principal getLocalPrincipal() {
        return session().getLocalPrincipal();
    }

    @Override
    public String getCipherSuite() {
        return session().getCipherSuite();
    }

    @Override
    public String getProtocol() {
        return session().getProtocol();
    }

    @Override
    public String getPeerHost() {
        return session().getPeerHost();
    }

    @Override
    public int getPeerPort() {
        return session().getPeerPort();
    }

    @Override
    public int getPacketBufferSize() {
        return session().getPacketBufferSize();
    }

    @Override
    public int getApplicationBufferSize() {
        return session().getApplicationBufferSize();
    }

    @Override
    public String[] getLocalSupportedSignatureAlgorithms() {
        return session() instanceof ExtendedSSLSession extended ? extended.getLocalSupportedSignatureAlgorithms() : new String[0];
    }

    @Override
    public String[] getPeerSupportedSignatureAlgorithms() {
        return session() instanceof ExtendedSSLSession extended ? extended.getPeerSupportedSignatureAlgorithms() : new String[0];
    }

    @Override
    public List<SNIServerName> getRequestedServerNames() {
        return session() instanceof ExtendedSSLSession extended ? extended.getRequestedServerNames() : List.of();
    }

    @Override
    public List<byte[]> getStatusResponses() {
        return session() instanceof ExtendedSSLSession extended ? extended.getStatusResponses() : List.of();
    }

    @Override
    public String toString() {
        return "ConnectionSslSession[" + session() + "]";
    }
}
