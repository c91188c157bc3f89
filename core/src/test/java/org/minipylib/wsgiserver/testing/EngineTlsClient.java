package org.minipylib.wsgiserver.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;

/**
 * A TLS client driven by an {@link SSLEngine} over a plain socket, for tests that need to choose
 * the exact bytes of each write: whole records, parts of records, or both at once. Every read has
 * a timeout (10 s), so a test cannot hang.
 */
public final class EngineTlsClient implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final SSLEngine engine;
    private ByteBuffer netIn = ByteBuffer.allocate(1 << 17);
    private final ByteBuffer appIn = ByteBuffer.allocate(1 << 17);

    private EngineTlsClient(SSLContext context, int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        in = socket.getInputStream();
        out = socket.getOutputStream();
        engine = context.createSSLEngine("localhost", port);
        engine.setUseClientMode(true);
    }

    /** Connects to 127.0.0.1:port and completes the handshake. */
    public static EngineTlsClient connect(SSLContext context, int port) throws IOException {
        EngineTlsClient client = new EngineTlsClient(context, port);
        try {
            client.handshake();
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
        return client;
    }

    private void handshake() throws IOException {
        engine.beginHandshake();
        while (true) {
            HandshakeStatus status = engine.getHandshakeStatus();
            switch (status) {
                case NEED_WRAP -> out.write(record(new byte[0]));
                case NEED_TASK -> {
                    Runnable task;
                    while ((task = engine.getDelegatedTask()) != null) task.run();
                }
                case NEED_UNWRAP -> {
                    if (unwrap().getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) receive();
                }
                default -> {
                    return;
                }
            }
        }
    }

    public Socket socket() {
        return socket;
    }

    /** {@code text} (US-ASCII) encrypted as TLS records, not sent. */
    public byte[] record(String text) throws IOException {
        return record(text.getBytes(StandardCharsets.US_ASCII));
    }

    private byte[] record(byte[] plain) throws IOException {
        ByteBuffer src = ByteBuffer.wrap(plain);
        ByteArrayOutputStream records = new ByteArrayOutputStream();
        ByteBuffer netOut = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        do {
            netOut.clear();
            engine.wrap(src, netOut);
            records.write(netOut.array(), 0, netOut.position());
        } while (src.hasRemaining());
        return records.toByteArray();
    }

    /** Sends all {@code parts} in one socket write. */
    public void send(byte[]... parts) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] part : parts) all.write(part);
        out.write(all.toByteArray());
        out.flush();
    }

    /** Decrypts what the server sends until the text so far contains {@code marker}; returns that text. */
    public String readUntil(String marker) throws IOException {
        while (true) {
            SSLEngineResult result = unwrap();
            String text = received();
            if (text.contains(marker)) {
                appIn.clear();
                return text;
            }
            if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW || result.bytesConsumed() == 0) receive();
        }
    }

    /**
     * Waits (up to the socket timeout) for the server to close the connection; true if it did,
     * false if the connection was still open at the timeout.
     */
    public boolean awaitClosedByServer() throws IOException {
        byte[] buffer = new byte[1024];
        try {
            while (in.read(buffer) >= 0) {
                // whatever the server sends on the way out (a close_notify)
            }
            return true;
        } catch (java.net.SocketTimeoutException stillOpen) {
            return false;
        } catch (java.net.SocketException reset) {
            return true;
        }
    }

    private String received() {
        return new String(appIn.array(), 0, appIn.position(), StandardCharsets.ISO_8859_1);
    }

    private SSLEngineResult unwrap() throws IOException {
        netIn.flip();
        try {
            return engine.unwrap(netIn, appIn);
        } finally {
            netIn.compact();
        }
    }

    private void receive() throws IOException {
        if (!netIn.hasRemaining()) netIn = ByteBuffer.allocate(netIn.capacity() * 2).put(netIn.flip());
        int n = in.read(netIn.array(), netIn.position(), netIn.remaining());
        if (n < 0) throw new EOFException("the server closed the connection; received so far: " + received());
        netIn.position(netIn.position() + n);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
