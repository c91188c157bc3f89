package org.minipylib.wsgiserver.testing;

import org.minipylib.wsgiserver.http.Transport;

import java.io.IOException;
import java.net.SocketAddress;

/**
 * A transport over a real one that throws an unchecked {@link Throwable} (a defect, a heap that ran
 * out) from one of its calls: from every read ({@link #onRead}), or from the call that tells it the
 * connection is kept ({@link #onExpectMoreRequests}); everything else is the real transport's.
 * For tests of what the server does with a failure it does not expect.
 */
public final class ThrowingTransport implements Transport {

    private final Transport real;
    private final Throwable fromRead;
    private final Throwable fromExpectMoreRequests;

    private ThrowingTransport(Transport real, Throwable fromRead, Throwable fromExpectMoreRequests) {
        this.real = real;
        this.fromRead = fromRead;
        this.fromExpectMoreRequests = fromExpectMoreRequests;
    }

    /** {@code real}, whose reads throw {@code failure} (a RuntimeException or an Error). */
    public static ThrowingTransport onRead(Transport real, Throwable failure) {
        return new ThrowingTransport(real, unchecked(failure), null);
    }

    /** {@code real}, which throws {@code failure} when told a request keeps the connection open. */
    public static ThrowingTransport onExpectMoreRequests(Transport real, Throwable failure) {
        return new ThrowingTransport(real, null, unchecked(failure));
    }

    private static Throwable unchecked(Throwable failure) {
        if (!(failure instanceof RuntimeException || failure instanceof Error)) throw new IllegalArgumentException("unchecked only");
        return failure;
    }

    private static void sneakyThrow(Throwable failure) {
        if (failure instanceof RuntimeException e) throw e;
        throw (Error) failure;
    }

    @Override
    public int read(byte[] b, int off, int len, int timeoutMillis) throws IOException {
        if (fromRead != null) sneakyThrow(fromRead);
        return real.read(b, off, len, timeoutMillis);
    }

    @Override
    public void expectMoreRequests() throws IOException {
        if (fromExpectMoreRequests != null) sneakyThrow(fromExpectMoreRequests);
        real.expectMoreRequests();
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        real.write(b, off, len);
    }

    @Override
    public boolean hasPendingInput() {
        return real.hasPendingInput();
    }

    @Override
    public void shutdownOutput() throws IOException {
        real.shutdownOutput();
    }

    @Override
    public SocketAddress localAddress() {
        return real.localAddress();
    }

    @Override
    public SocketAddress remoteAddress() {
        return real.remoteAddress();
    }

    @Override
    public String scheme() {
        return real.scheme();
    }

    @Override
    public void close() {
        real.close();
    }
}
