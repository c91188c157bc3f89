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
    private int helloFragment;
    private boolean helloSent;
    private final ByteBuffer appIn = ByteBuffer.allocate(1 << 17);

    private EngineTlsClient(SSLContext context, int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        in = socket.getInputStream();
        out = socket.getOutputStream();
        TlsClients.forgetSessions(context, port);
        engine = context.createSSLEngine("localhost", port);
        engine.setUseClientMode(true);
    }

    /** Connects to 127.0.0.1:port and completes the handshake. */
    public static EngineTlsClient connect(SSLContext context, int port) throws IOException {
        return connect(context, port, null, 0);
    }

    /**
     * Connects to 127.0.0.1:port asking for {@code sniHost} (if not null) and completes the
     * handshake, its ClientHello split into handshake records of at most {@code helloFragment}
     * bytes each (0: as the engine wraps it), as some clients and middleboxes do.
     */
    public static EngineTlsClient connect(SSLContext context, int port, String sniHost, int helloFragment) throws IOException {
        EngineTlsClient client = new EngineTlsClient(context, port);
        if (sniHost != null) {
            javax.net.ssl.SSLParameters parameters = client.engine.getSSLParameters();
            parameters.setServerNames(java.util.List.of(new javax.net.ssl.SNIHostName(sniHost)));
            client.engine.setSSLParameters(parameters);
        }
        client.helloFragment = helloFragment;
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
                case NEED_WRAP -> {
                    byte[] records = record(new byte[0]);
                    out.write(helloSent || helloFragment <= 0 ? records : fragmented(records, helloFragment));
                    helloSent = true;
                }
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

    /** The same handshake records, their payloads split into records of at most {@code size} bytes. */
    private static byte[] fragmented(byte[] records, int size) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int p = 0; p + 5 <= records.length; ) {
            int length = (records[p + 3] & 0xff) << 8 | (records[p + 4] & 0xff);
            for (int from = 0; from < length; from += size) {
                int n = Math.min(size, length - from);
                out.write(records, p, 3); // type and version
                out.write(n >> 8);
                out.write(n);
                out.write(records, p + 5 + from, n);
            }
            p += 5 + length;
        }
        return out.toByteArray();
    }

    /** Connects to 127.0.0.1:port over TLS 1.2 and completes the handshake. */
    public static EngineTlsClient connectTls12(SSLContext context, int port) throws IOException {
        EngineTlsClient client = new EngineTlsClient(context, port);
        client.engine.setEnabledProtocols(new String[] {"TLSv1.2"});
        client.handshake();
        return client;
    }

    /** A whole client-initiated renegotiation (TLS 1.2), with no application data. */
    public void renegotiate() throws IOException {
        handshake();
    }

    /** The session the handshake made. */
    public javax.net.ssl.SSLSession session() {
        return engine.getSession();
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

    /**
     * {@code count} TLS 1.3 KeyUpdate records (the JDK's engine sends one when a handshake is begun
     * on an established TLS 1.3 session), not sent: records that carry no application data.
     */
    public byte[] keyUpdates(int count) throws IOException {
        ByteArrayOutputStream records = new ByteArrayOutputStream();
        ByteBuffer netOut = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        for (int i = 0; i < count; i++) {
            engine.beginHandshake();
            netOut.clear();
            engine.wrap(ByteBuffer.allocate(0), netOut);
            records.write(netOut.array(), 0, netOut.position());
        }
        return records.toByteArray();
    }

    /** {@code text} encrypted as TLS records, one byte of the last record's encrypted payload flipped (its MAC fails). */
    public byte[] corruptedRecord(String text) throws IOException {
        byte[] records = record(text);
        records[records.length - 1] ^= 0x55;
        return records;
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

    /**
     * Sends close_notify and reads until the server's: true if the server answered with its own
     * close_notify (a clean TLS closure, RFC 8446 section 6.1), false if it just closed the socket.
     */
    public boolean closeNotifyAnswered() throws IOException {
        engine.closeOutbound();
        ByteBuffer netOut = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        while (!engine.isOutboundDone()) {
            netOut.clear();
            engine.wrap(ByteBuffer.allocate(0), netOut);
            out.write(netOut.array(), 0, netOut.position());
        }
        out.flush();
        while (!engine.isInboundDone()) {
            SSLEngineResult result = unwrap();
            if (result.getStatus() == SSLEngineResult.Status.CLOSED) return true;
            if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW || result.bytesConsumed() == 0) {
                try {
                    receive();
                } catch (EOFException e) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Reads until the server closes the connection (up to the socket timeout): true if it sent
     * close_notify first (RFC 8446 section 6.1), false if the socket just closed (or was reset).
     */
    public boolean serverSentCloseNotify() throws IOException {
        while (true) {
            SSLEngineResult result = unwrap();
            if (result.getStatus() == SSLEngineResult.Status.CLOSED) return true;
            if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW || result.bytesConsumed() == 0) {
                try {
                    receive();
                } catch (EOFException | java.net.SocketException e) {
                    return false;
                }
            }
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
