package org.minipylib.wsgiserver.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An HTTP/1.1 client over a UNIX domain socket, as {@link RawClient} is over TCP: a blocking
 * channel (one descriptor, no selector), every read bounded ({@link WsgiTestApps#WAIT_SECONDS}:
 * past it the channel is closed and the read fails).
 */
public final class UnixClient implements AutoCloseable {

    /** A response: its status line, its {@code Connection} header (null if none) and its body. */
    public record Response(String statusLine, String connection, String body) {
    }

    private final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(16 * 1024).flip();

    private UnixClient(SocketChannel channel) {
        this.channel = channel;
    }

    public static UnixClient connect(Path socket) throws IOException {
        return new UnixClient(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
    }

    public UnixClient send(String text) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1));
        while (out.hasRemaining()) channel.write(out);
        return this;
    }

    /** Ends what this client sends: the server reads the end of the stream. */
    public void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    /** Reads one response whose body has a {@code Content-Length}. */
    public Response read() throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            int b = next();
            if (b < 0) throw new IOException("the connection ended in a response head: " + head);
            head.append((char) b);
        }
        String statusLine = head.substring(0, head.indexOf("\r\n"));
        int length = 0;
        String connection = null;
        for (String line : head.toString().split("\r\n")) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) length = Integer.parseInt(line.substring(15).trim());
            if (lower.startsWith("connection:")) connection = line.substring(11).trim();
        }
        StringBuilder body = new StringBuilder();
        while (body.length() < length) {
            int b = next();
            if (b < 0) throw new IOException("the connection ended in a response body");
            body.append((char) b);
        }
        return new Response(statusLine, connection, body.toString());
    }

    /** Reads until the server's end and returns what came; throws if the end was a reset. */
    public String readToCleanEnd() throws IOException {
        StringBuilder rest = new StringBuilder();
        for (int b; (b = next()) >= 0; ) rest.append((char) b);
        return rest.toString();
    }

    /** The next byte, or -1 at the end; a read that waits is bounded. */
    private int next() throws IOException {
        if (!in.hasRemaining()) {
            in.clear();
            int n;
            try {
                n = CompletableFuture.supplyAsync(this::readSome, task -> Thread.ofVirtual().start(task))
                        .get(WsgiTestApps.WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                channel.close();
                throw new IOException("nothing came in " + WsgiTestApps.WAIT_SECONDS + " s", e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof UncheckedIOException u ? u.getCause() : new IOException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            } finally {
                in.flip();
            }
            if (n < 0) return -1;
        }
        return in.get() & 0xff;
    }

    private int readSome() {
        try {
            return channel.read(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
