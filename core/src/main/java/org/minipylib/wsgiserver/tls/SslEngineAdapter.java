package org.minipylib.wsgiserver.tls;

import org.minipylib.wsgiserver.http.BufferPool;
import org.minipylib.wsgiserver.http.LogText;
import org.minipylib.wsgiserver.http.SetupRefusedException;
import org.minipylib.wsgiserver.http.Transport;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.util.Objects;
import java.util.function.Function;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;

/**
 * A TLS adapter on SSL engines the caller makes (from an {@link javax.net.ssl.SSLContext} it built
 * itself, say): for gateways whose API hands the server a ready context, such as the JDK's
 * {@code HttpsServer}. Handshakes run as {@link JsseSslAdapter}'s do, on the connection's thread,
 * bounded by the deadline; certificates, protocols and client authentication are whatever the
 * engines say.
 */
public final class SslEngineAdapter implements SslAdapter {

    /** Makes the engine for one connection. */
    @FunctionalInterface
    public interface EngineFactory {
        /**
         * @param client     the client's address
         * @param serverName the host name the client asked for with SNI, or {@code null} if none
         * @return a server-mode engine
         */
        SSLEngine create(SocketAddress client, String serverName);
    }

    private final EngineFactory engines;
    /** The connections' TLS buffers (three per connection busy with a request; an idle one holds none). */
    private final BufferPool buffers = TlsTransport.buffers(768);
    private final HandshakeSlots handshakeSlots;

    /**
     * @param engines makes each connection's engine, once its ClientHello is in; at most
     *                {@link TlsConfig#DEFAULT_MAX_HANDSHAKES} handshakes at once
     */
    public SslEngineAdapter(EngineFactory engines) {
        this(engines, TlsConfig.DEFAULT_MAX_HANDSHAKES);
    }

    /**
     * @param engines       makes each connection's engine, once its ClientHello is in
     * @param maxHandshakes the most handshakes in progress at once (see {@link TlsConfig#maxHandshakes()})
     */
    public SslEngineAdapter(EngineFactory engines, int maxHandshakes) {
        this.engines = Objects.requireNonNull(engines, "engines");
        this.handshakeSlots = new HandshakeSlots(maxHandshakes);
    }

    @Override
    public Transport open(Transport transport, long deadlineNanos) throws IOException {
        SocketAddress client = transport.remoteAddress();
        return handshake(transport, host -> engines.create(client, host), buffers, handshakeSlots, deadlineNanos);
    }

    /** Shakes hands over {@code transport} with an engine from {@code engines}; failures as {@link SslAdapter} says. */
    static Transport handshake(Transport transport, Function<String, SSLEngine> engines, BufferPool buffers,
                               HandshakeSlots handshakeSlots, long deadlineNanos) throws IOException {
        TlsTransport tls = new TlsTransport(transport, engines, buffers, handshakeSlots);
        try {
            tls.handshake(deadlineNanos);
        } catch (SetupRefusedException e) {
            throw e; // the connection answers it, and counts and logs it as its own refusal
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
        // the JDK's messages may quote what the client sent (an illegal server name, line breaks and all)
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : LogText.printable(e.getMessage());
        String line = e instanceof SSLException ? message : e.getClass().getSimpleName() + ": " + message;
        // the JDK wraps some failures in "Unexpected exception": the client's alert (unknown_ca...) is in the cause
        Throwable deepest = e;
        for (int depth = 0; depth < 16 && deepest.getCause() != null; depth++) deepest = deepest.getCause(); // a provider's could loop
        if (deepest != e && deepest.getMessage() != null && !deepest.getMessage().equals(e.getMessage())) {
            line += " (" + LogText.printable(deepest.getMessage()) + ")";
        }
        return line;
    }
}
