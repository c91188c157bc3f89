package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.http.ProxiedTls;
import org.minipylib.wsgiserver.http.Transport;

import java.io.IOException;
import java.net.SocketAddress;

/** A {@link Transport} that counts the bytes going through it into the server's {@link ServerStatistics}. */
public final class CountingTransport implements Transport {

    private final Transport transport;
    private final ServerStatistics statistics;

    public CountingTransport(Transport transport, ServerStatistics statistics) {
        this.transport = transport;
        this.statistics = statistics;
    }

    @Override
    public int read(byte[] b, int off, int len, int timeoutMillis) throws IOException {
        int n = transport.read(b, off, len, timeoutMillis);
        if (n > 0) statistics.read(n);
        return n;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        transport.write(b, off, len);
        statistics.written(len);
    }

    /** Passed on as one call, so that the socket's gathering write is kept. */
    @Override
    public void write(byte[] a, int aOff, int aLen, byte[] b, int bOff, int bLen) throws IOException {
        transport.write(a, aOff, aLen, b, bOff, bLen);
        statistics.written(aLen + bLen);
    }

    @Override
    public boolean waitsWithoutBuffer() {
        return transport.waitsWithoutBuffer();
    }

    @Override
    public void awaitReadable(int timeoutMillis) throws IOException {
        transport.awaitReadable(timeoutMillis);
    }

    @Override
    public boolean awaitReadableThen(Runnable then) throws IOException {
        return transport.awaitReadableThen(then);
    }

    @Override
    public boolean hasPendingInput() {
        return transport.hasPendingInput();
    }

    @Override
    public void closeCleanly() {
        transport.closeCleanly();
    }

    @Override
    public void shutdownOutput() throws IOException {
        transport.shutdownOutput();
    }

    @Override
    public javax.net.ssl.SSLSession sslSession() {
        return transport.sslSession();
    }

    @Override
    public ProxiedTls proxiedTls() {
        return transport.proxiedTls();
    }

    @Override
    public SocketAddress localAddress() {
        return transport.localAddress();
    }

    @Override
    public SocketAddress remoteAddress() {
        return transport.remoteAddress();
    }

    @Override
    public String scheme() {
        return transport.scheme();
    }

    @Override
    public void close() {
        transport.close();
    }
}
