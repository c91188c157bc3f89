package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.http.Transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A plain TCP connection: a blocking {@link SocketChannel} read and written through its socket
 * adaptor, which supports read timeouts. On a virtual thread a blocked read parks the thread in the
 * JDK's poller instead of holding a carrier.
 */
public final class SocketTransport implements Transport {

    private final SocketChannel channel;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final SocketAddress local;
    private final SocketAddress remote;
    private int currentTimeout = -1;

    public SocketTransport(SocketChannel channel) throws IOException {
        this.channel = channel;
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        this.socket = channel.socket();
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.local = channel.getLocalAddress();
        this.remote = channel.getRemoteAddress();
    }

    @Override
    public int read(byte[] b, int off, int len, int timeoutMillis) throws IOException {
        clearStaleInterrupt();
        if (timeoutMillis != currentTimeout) {
            socket.setSoTimeout(timeoutMillis);
            currentTimeout = timeoutMillis;
        }
        return in.read(b, off, len);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        clearStaleInterrupt();
        out.write(b, off, len);
    }

    /** One gathering write system call for both pieces (more only if the socket takes part of them). */
    @Override
    public void write(byte[] a, int aOff, int aLen, byte[] b, int bOff, int bLen) throws IOException {
        clearStaleInterrupt();
        ByteBuffer[] pieces = {ByteBuffer.wrap(a, aOff, aLen), ByteBuffer.wrap(b, bOff, bLen)};
        while (pieces[1].hasRemaining()) {
            channel.write(pieces); // a blocking channel: waits until the socket takes some bytes
        }
    }

    /**
     * A socket channel closes itself when an interrupted thread uses it. An application that
     * restored an interrupt flag (the usual catch-InterruptedException idiom) must not cost the
     * client its response; shutting down does not rely on interrupts (it closes sockets).
     */
    private static void clearStaleInterrupt() {
        Thread.interrupted();
    }

    @Override
    public boolean hasPendingInput() {
        try {
            return in.available() > 0;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    @Override
    public void closeCleanly() {
        close(); // the FIN goes out with the close; no shutdown needed first
    }

    @Override
    public SocketAddress localAddress() {
        return local;
    }

    @Override
    public SocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public String scheme() {
        return "http";
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing more to do
        }
    }
}
