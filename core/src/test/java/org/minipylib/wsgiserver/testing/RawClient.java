package org.minipylib.wsgiserver.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A deliberately simple HTTP/1.1 client over a raw socket, for tests that need exact bytes on the
 * wire: send anything, then read responses one at a time (framed by Content-Length, chunked, or
 * connection close). Every read has a timeout (default 10 s), so a test cannot hang.
 */
public final class RawClient implements AutoCloseable {

    /** One parsed response. Header names are lower-cased; repeated headers are joined with ", ". */
    public record Response(String version, int status, String reason, Map<String, String> headers, byte[] body,
                           List<String> headerNames) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        public String bodyText() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private boolean lastLineEndedInCrlf;

    public RawClient(String host, int port) throws IOException {
        this(new Socket(host, port));
    }

    /** A client over a socket connected already (e.g. a TLS socket). */
    public RawClient(Socket connected) throws IOException {
        socket = connected;
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        in = new java.io.BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    public Socket socket() {
        return socket;
    }

    /** The buffered stream {@link #read()} and {@link #readLine()} use, for reading a body piece by piece. */
    public InputStream input() {
        return in;
    }

    /** Sets the read timeout in milliseconds. */
    public RawClient timeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
        return this;
    }

    /** Sends ISO-8859-1 text as-is (write {@code \r\n} yourself). */
    public RawClient send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Reads one response to a request that was not HEAD. */
    public Response read() throws IOException {
        return read(false);
    }

    /** Reads one response; {@code head}: it answers a HEAD request, so it has no body whatever its headers say. */
    public Response read(boolean head) throws IOException {
        String statusLine = readHeadLine();
        if (statusLine == null) throw new EOFException("connection closed before a response");
        String[] parts = statusLine.split(" ", 3);
        String version = parts[0];
        int status = Integer.parseInt(parts[1]);
        String reason = parts.length > 2 ? parts[2] : "";
        Map<String, String> headers = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        while (true) {
            String line = readHeadLine();
            if (line == null) throw new EOFException("connection closed in the response head");
            if (line.isEmpty()) break;
            int colon = line.indexOf(':');
            String name = line.substring(0, colon).trim();
            names.add(name);
            String key = name.toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            headers.merge(key, value, (a, b) -> a + ", " + b);
        }
        byte[] body;
        if (head || status < 200 || status == 204 || status == 304) {
            body = new byte[0];
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = readChunked();
        } else if (headers.containsKey("content-length")) {
            body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
        } else {
            body = in.readAllBytes();
        }
        return new Response(version, status, reason, headers, body, names);
    }

    /** Reads everything until the server closes the connection. */
    public byte[] readToEnd() throws IOException {
        return in.readAllBytes();
    }

    /**
     * Reads everything until the server closes the connection, as ISO-8859-1 text, and fails if the
     * close is a reset rather than a clean end of stream (a reset can destroy what the server sent
     * before the client reads it, and leaves the client unable to tell what was processed).
     */
    public String readToCleanEnd() throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) got.write(buf, 0, n);
        } catch (java.net.SocketException | javax.net.ssl.SSLException e) { // over TLS, a reset may come as either
            throw new AssertionError("the close was a reset (" + e + ") after: " + got.toString(StandardCharsets.ISO_8859_1), e);
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    /**
     * True if the server closed the connection (end of stream or reset) within the socket timeout;
     * false if the connection is still open (the read timed out).
     */
    public boolean isClosedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // connection reset
        }
    }

    private byte[] readChunked() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readHeadLine();
            if (sizeLine == null) throw new EOFException("connection closed in a chunked body");
            int semi = sizeLine.indexOf(';');
            int size = Integer.parseInt((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
            if (size == 0) {
                while (true) { // trailers
                    String line = readHeadLine();
                    if (line == null || line.isEmpty()) return body.toByteArray();
                }
            }
            body.write(in.readNBytes(size));
            String crlf = readHeadLine();
            if (crlf == null || !crlf.isEmpty()) throw new IOException("bad chunk end");
        }
    }

    /**
     * Reads a line of the response's framing (status line, header, chunk size and end), which must
     * end in CRLF (RFC 9112 section 2.1); null at end of stream.
     */
    private String readHeadLine() throws IOException {
        String line = readLine();
        if (line != null && !lastLineEndedInCrlf) throw new IOException("a response line not ended by CRLF: \"" + line + "\"");
        return line;
    }

    /** Reads a CRLF- (or LF-, as in a text body) terminated line; null at end of stream. */
    public String readLine() throws IOException {
        lastLineEndedInCrlf = false;
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int c = in.read();
            if (c < 0) return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
            if (c == '\n') {
                byte[] b = line.toByteArray();
                lastLineEndedInCrlf = b.length > 0 && b[b.length - 1] == '\r';
                int len = lastLineEndedInCrlf ? b.length - 1 : b.length;
                return new String(b, 0, len, StandardCharsets.ISO_8859_1);
            }
            line.write(c);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
