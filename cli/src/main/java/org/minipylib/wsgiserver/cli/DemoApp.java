package org.minipylib.wsgiserver.cli;

import org.minipylib.wsgiserver.ByteBufferBody;
import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.StartResponse;
import org.minipylib.wsgiserver.Version;
import org.minipylib.wsgiserver.WsgiApp;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The application the command line serves when it is given none; also the benchmark target (see the
 * contract in the benchmark's README). Its endpoints:
 *
 * <ul>
 *   <li>{@code GET /}: an HTML page saying what this is, with links to the other endpoints;</li>
 *   <li>{@code GET /plaintext}: {@code Hello, World!} as {@code text/plain};</li>
 *   <li>{@code GET /json}: {@code {"message":"Hello, World!"}} as {@code application/json}, built
 *       per request;</li>
 *   <li>{@code POST /echo}: the request body sent back (Content-Length or chunked request), with the
 *       request's Content-Type or {@code application/octet-stream}, and {@code X-Content-Type-Options: nosniff};</li>
 *   <li>{@code GET /bytes?n=N}: N bytes (0 to 1 GiB) of {@code application/octet-stream} with
 *       {@code Content-Length: N}, streamed in 64 KiB chunks; every chunk is the start of the same
 *       block of repeated {@code abc...z}, so byte {@code i} is {@code 'a' + (i % 65536) % 26};</li>
 *   <li>{@code GET /environ}: the request's environ as {@code key = value} lines, sorted by key.</li>
 * </ul>
 *
 * <p>GET endpoints also answer HEAD. Another method gets a 405 with an {@code Allow} header; an
 * unknown path a 404; a bad {@code n} a 400. Fixed responses are prepared once: their bodies are
 * returned as a {@code List}, so the server sends them with a Content-Length in one write.
 */
public final class DemoApp implements WsgiApp {

    /** Size of the chunks {@code /bytes} sends. */
    static final int BYTES_CHUNK_SIZE = 64 * 1024;
    /** Size of the pooled buffers {@code /echo} reads a body into: larger bodies get an array of their own. */
    static final int ECHO_BLOCK_SIZE = 64 * 1024;
    /** Largest {@code n} that {@code /bytes} accepts. */
    static final long BYTES_MAX = 1L << 30;

    private static final String MESSAGE = "Hello, World!";

    private static final Header TEXT = Header.of("Content-Type", "text/plain");
    private static final Header TEXT_UTF8 = Header.of("Content-Type", "text/plain; charset=utf-8");
    private static final Header JSON = Header.of("Content-Type", "application/json");
    private static final Header OCTET_STREAM = Header.of("Content-Type", "application/octet-stream");
    /** On /echo, whose Content-Type is the request's: a browser must not sniff a body a form sent as HTML. */
    private static final Header NO_SNIFF = Header.of("X-Content-Type-Options", "nosniff");

    private static final List<Header> TEXT_HEADERS = List.of(TEXT);
    private static final List<Header> TEXT_UTF8_HEADERS = List.of(TEXT_UTF8);
    private static final List<Header> JSON_HEADERS = List.of(JSON);
    private static final List<Header> HTML_HEADERS = List.of(Header.of("Content-Type", "text/html; charset=utf-8"));
    private static final List<Header> ALLOW_GET_HEADERS = List.of(TEXT, Header.of("Allow", "GET, HEAD"));
    private static final List<Header> ALLOW_POST_HEADERS = List.of(TEXT, Header.of("Allow", "POST"));

    private static final List<byte[]> PLAINTEXT_BODY = List.of(ascii(MESSAGE));
    private static final List<byte[]> HOME_PAGE_BODY = List.of(homePage().getBytes(StandardCharsets.UTF_8));
    private static final List<byte[]> NOT_FOUND_BODY = List.of(ascii("Not Found\n"));
    private static final List<byte[]> METHOD_NOT_ALLOWED_BODY = List.of(ascii("Method Not Allowed\n"));
    private static final List<byte[]> BAD_N_BODY = List.of(ascii(
            "/bytes needs a query parameter n: a whole number of bytes from 0 to " + BYTES_MAX + ", e.g. /bytes?n=1024\n"));

    /** The block {@code /bytes} repeats: direct, so that the server writes it with no copy into the heap. */
    private static final ByteBuffer BYTES_BLOCK = ByteBuffer.allocateDirect(BYTES_CHUNK_SIZE)
            .put(alphabetBlock(BYTES_CHUNK_SIZE)).flip().asReadOnlyBuffer();
    /** Most {@code /echo} buffers kept for reuse. */
    private static final int ECHO_BUFFERS_KEPT = 64;
    /**
     * Most {@code /echo} direct buffers in use at once (16 MiB): a request beyond them reads into a
     * heap array that grows as its bytes arrive. Each is taken before the body arrives, so without a
     * bound thousands of slow clients declaring small bodies held 64 KiB each until direct memory ran out.
     */
    private static final int ECHO_BUFFERS_IN_USE_MAX = 256;

    /**
     * Direct buffers {@code /echo} reads bodies into and sends them back from, one per request
     * being echoed (a large body passes from socket to socket with no copy through the heap). Last
     * in, first out: the buffer just given back is the one most likely still in the CPU's cache.
     */
    private final ConcurrentLinkedDeque<ByteBuffer> echoBuffers = new ConcurrentLinkedDeque<>();
    private final AtomicInteger echoBuffersPooled = new AtomicInteger();
    private final AtomicInteger echoBuffersInUse = new AtomicInteger();

    /** A demo app; it keeps no state but a buffer pool, so one instance serves any number of requests at once. */
    public DemoApp() {
    }

    @Override
    public Iterable<byte[]> call(Environ environ, StartResponse startResponse) throws IOException {
        String path = environ.pathInfo();
        String method = environ.method();
        return switch (path) {
            case "/plaintext" -> isGetOrHead(method)
                    ? respond(startResponse, "200 OK", TEXT_HEADERS, PLAINTEXT_BODY)
                    : methodNotAllowed(startResponse, ALLOW_GET_HEADERS);
            case "/json" -> isGetOrHead(method)
                    ? respond(startResponse, "200 OK", JSON_HEADERS, List.of(json(MESSAGE)))
                    : methodNotAllowed(startResponse, ALLOW_GET_HEADERS);
            case "/echo" -> method.equals("POST")
                    ? echo(environ, startResponse)
                    : methodNotAllowed(startResponse, ALLOW_POST_HEADERS);
            case "/bytes" -> isGetOrHead(method)
                    ? bytes(environ, startResponse)
                    : methodNotAllowed(startResponse, ALLOW_GET_HEADERS);
            case "/environ" -> isGetOrHead(method)
                    ? respond(startResponse, "200 OK", TEXT_UTF8_HEADERS, List.of(environText(environ)))
                    : methodNotAllowed(startResponse, ALLOW_GET_HEADERS);
            case "/", "" -> isGetOrHead(method)
                    ? respond(startResponse, "200 OK", HTML_HEADERS, HOME_PAGE_BODY)
                    : methodNotAllowed(startResponse, ALLOW_GET_HEADERS);
            default -> respond(startResponse, "404 Not Found", TEXT_HEADERS, NOT_FOUND_BODY);
        };
    }

    private static boolean isGetOrHead(String method) {
        return method.equals("GET") || method.equals("HEAD");
    }

    private static List<byte[]> respond(StartResponse startResponse, String status, List<Header> headers,
                                        List<byte[]> body) {
        startResponse.start(status, headers);
        return body;
    }

    private static List<byte[]> methodNotAllowed(StartResponse startResponse, List<Header> headersWithAllow) {
        return respond(startResponse, "405 Method Not Allowed", headersWithAllow, METHOD_NOT_ALLOWED_BODY);
    }

    /** The JSON document, serialized anew for every request (as the benchmark contract asks). */
    private static byte[] json(String message) {
        return ("{\"message\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The whole body is read before the answer starts: a client may send all of its body before it
     * reads anything, and answering while reading would then deadlock once both sides' socket buffers
     * are full. A body of at most one block ({@link #ECHO_BLOCK_SIZE}, the benchmark's 64 KiB) is read
     * into a pooled direct buffer and sent from it: no body-sized allocation per request, and, where
     * the connection allows, no copy of the body through the heap on either way (see
     * {@link Environ#inputChannel()} and {@link ByteBufferBody}).
     */
    private Iterable<byte[]> echo(Environ environ, StartResponse startResponse) throws IOException {
        String contentType = environ.contentType();
        Header type = contentType == null ? OCTET_STREAM : Header.of("Content-Type", contentType);
        long length = environ.contentLength();
        if (length < 0 || length > ECHO_BLOCK_SIZE || !takeEchoBuffer()) {
            return respond(startResponse, "200 OK", List.of(type, NO_SNIFF), List.of(readBody(environ)));
        }
        ByteBuffer buffer = echoBuffers.pollFirst();
        if (buffer != null) {
            echoBuffersPooled.decrementAndGet();
        } else {
            try {
                buffer = ByteBuffer.allocateDirect(ECHO_BLOCK_SIZE);
            } catch (OutOfMemoryError e) { // direct memory used up: not counted as in use
                echoBuffersInUse.decrementAndGet();
                throw e;
            }
        }
        buffer.clear().limit((int) length);
        EchoBody body = new EchoBody(buffer);
        try {
            readFully(environ.inputChannel(), buffer); // a short body fails in the server's stream (400)
            buffer.flip();
            startResponse.start("200 OK", List.of(type, NO_SNIFF));
            return body;
        } catch (IOException | RuntimeException e) {
            body.close();
            throw e;
        }
    }

    /** Counts a direct buffer in use, if fewer than {@link #ECHO_BUFFERS_IN_USE_MAX} are; false if not. */
    private boolean takeEchoBuffer() {
        if (echoBuffersInUse.incrementAndGet() <= ECHO_BUFFERS_IN_USE_MAX) return true;
        echoBuffersInUse.decrementAndGet();
        return false;
    }

    /** An echoed body: its pooled buffer goes back to the pool when the server closes the body. */
    private final class EchoBody implements ByteBufferBody, AutoCloseable {
        private final ByteBuffer buffer;
        private boolean closed;

        EchoBody(ByteBuffer buffer) {
            this.buffer = buffer;
        }

        @Override
        public Iterator<ByteBuffer> buffers() {
            return List.of(buffer).iterator();
        }

        @Override
        public long length() {
            return buffer.remaining();
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            echoBuffersInUse.decrementAndGet();
            if (echoBuffersPooled.incrementAndGet() <= ECHO_BUFFERS_KEPT) {
                echoBuffers.offerFirst(buffer);
            } else {
                echoBuffersPooled.decrementAndGet(); // dropped: the pool is full
            }
        }
    }

    /** Reads from {@code in} until {@code buffer} is full or the stream ends. */
    private static void readFully(ReadableByteChannel in, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (in.read(buffer) < 0) return;
        }
    }

    /**
     * The whole request body, read before answering (a client may send all of it before it reads:
     * answering while still reading could then fill both sides' socket buffers and stall). The
     * room grows (doubling) as bytes arrive, never far ahead of them: it starts at 4 KiB (an array
     * of up to 64 KiB made before a byte had arrived let about 3700 slow clients, declaring large
     * bodies and sending 100 bytes, run a 256 MiB server out of heap).
     */
    private static byte[] readBody(Environ environ) throws IOException {
        InputStream in = environ.input();
        long declared = environ.contentLength();
        byte[] body = new byte[(int) Math.min(declared >= 0 ? declared : READ_BODY_START, READ_BODY_START)];
        int length = 0;
        while (true) {
            if (declared >= 0 && length >= declared) return length == body.length ? body : Arrays.copyOf(body, length);
            if (length == body.length) {
                if (body.length > Integer.MAX_VALUE / 2 - 8) throw new IOException("Body too large to echo");
                body = Arrays.copyOf(body, body.length * 2);
            }
            int n = in.read(body, length, body.length - length); // what has come, up to the room
            if (n < 0) return Arrays.copyOf(body, length); // the end
            length += n;
        }
    }

    /** The room {@link #readBody} starts with. */
    private static final int READ_BODY_START = 4 * 1024;

    private static Iterable<byte[]> bytes(Environ environ, StartResponse startResponse) {
        long n = byteCount(environ.queryString());
        if (n < 0) return respond(startResponse, "400 Bad Request", TEXT_HEADERS, BAD_N_BODY);
        startResponse.start("200 OK", List.of(OCTET_STREAM, Header.of("Content-Length", Long.toString(n))));
        return new RepeatedBlockBody(BYTES_BLOCK, n);
    }

    /**
     * The value of the query parameter {@code n} if it is a whole number from 0 to {@link #BYTES_MAX};
     * -1 if it is missing or anything else.
     */
    static long byteCount(String query) {
        int start = 0;
        while (start <= query.length()) {
            int end = query.indexOf('&', start);
            if (end < 0) end = query.length();
            if (query.startsWith("n=", start)) return parseByteCount(query, start + 2, end);
            start = end + 1;
        }
        return -1;
    }

    private static long parseByteCount(String s, int from, int to) {
        int maxDigits = Long.toString(BYTES_MAX).length();
        if (from == to || to - from > maxDigits) return -1;
        long n = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') return -1;
            n = n * 10 + (c - '0');
        }
        return n <= BYTES_MAX ? n : -1;
    }

    /**
     * The environ as {@code key = value} lines sorted by key. Environ strings hold the request's bytes
     * as ISO-8859-1 characters, so encoding with ISO-8859-1 gives back the bytes the client sent.
     */
    private static byte[] environText(Environ environ) {
        StringBuilder text = new StringBuilder(2048);
        for (Map.Entry<String, Object> e : new TreeMap<>(environ).entrySet()) {
            text.append(e.getKey()).append(" = ").append(e.getValue()).append('\n');
        }
        return text.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String homePage() {
        String version = Version.VERSION;
        return """
                <!DOCTYPE html>
                <html lang="en">
                <head><meta charset="utf-8"><title>wsgiserver %s</title></head>
                <body>
                <h1>wsgiserver %s</h1>
                <p>This is <b>wsgiserver for Java</b> %s: a fast, dependency-free HTTP/1.1 server for the JVM
                with a WSGI-style (PEP 3333) application contract, in the line of CherryPy's wsgiserver.
                You are looking at its built-in demo app. To serve your own application instead:</p>
                <pre>java -cp wsgiserver.jar:myapp.jar org.minipylib.wsgiserver.cli.Main com.example.MyApp</pre>
                <h2>Endpoints</h2>
                <ul>
                <li><a href="plaintext">/plaintext</a>: <code>Hello, World!</code> as text/plain</li>
                <li><a href="json">/json</a>: a small JSON document</li>
                <li>POST /echo: sends the request body back, e.g.
                  <code>curl --data-binary @file http://HOST:PORT/echo</code></li>
                <li><a href="bytes?n=1024">/bytes?n=1024</a>: n bytes (up to 1 GiB) of application/octet-stream</li>
                <li><a href="environ">/environ</a>: the WSGI environ of your request</li>
                </ul>
                </body>
                </html>
                """.formatted(version, version, version);
    }

    /** A block of {@code size} bytes: {@code abcdefghijklmnopqrstuvwxyz} over and over. */
    private static byte[] alphabetBlock(int size) {
        byte[] block = new byte[size];
        for (int i = 0; i < size; i++) block[i] = (byte) ('a' + i % 26);
        return block;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
