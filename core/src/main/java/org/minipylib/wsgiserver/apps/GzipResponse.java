package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.BodyWriter;
import org.minipylib.wsgiserver.ByteBufferBody;
import org.minipylib.wsgiserver.FileBody;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.StartResponse;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code start_response} and {@code write} {@link GzipApp} gives its application for one request.
 * Status and headers are held until the body starts (the first {@code write}, or the body returned),
 * when the length of a body in memory is known; then they go to the server as they are, with Vary
 * added, or rewritten for gzip ({@link GzipHeaders}), and the body's bytes go through a
 * {@link GzipEncoder} when they are compressed.
 */
final class GzipResponse implements StartResponse, BodyWriter {

    /** What the body turned into. */
    enum Encoding {
        /** Sent as the application made it. */
        IDENTITY,
        /** Compressed. */
        GZIP,
        /** A HEAD response, with the headers of a compressed one and no body. */
        GZIP_HEAD
    }

    private record Decision(Encoding encoding, List<Header> headers) {
    }

    /** Bodies in memory up to this size are compressed at once and keep a Content-Length; larger ones stream. */
    static final long AT_ONCE_LIMIT = 1024 * 1024;

    private final StartResponse server;
    /** The request's environ: where an application that answers 304 may say what the 200 would carry. */
    private final Map<String, Object> environ;
    private final GzipApp settings;
    private final boolean acceptsGzip;
    private final boolean head;

    private boolean started;
    private String status;
    private List<Header> headers;
    /** Null until status and headers went to the server. */
    private Encoding encoding;
    private BodyWriter serverWriter;
    private GzipEncoder encoder;
    /** Compressed bytes went out (or into a body in memory): a new start is too late from then on. */
    private boolean emitted;
    /** False once the application's body went back to the server as it is: nothing can be compressed then. */
    private boolean mayCompress = true;

    GzipResponse(StartResponse server, GzipApp settings, Map<String, Object> environ, boolean acceptsGzip, boolean head) {
        this.server = server;
        this.environ = environ;
        this.settings = settings;
        this.acceptsGzip = acceptsGzip;
        this.head = head;
    }

    @Override
    public BodyWriter start(String status, List<Header> headers, Throwable excInfo) {
        if (excInfo == null && started) {
            throw new IllegalStateException("start() was already called for this response (pass excInfo to replace it)");
        }
        if (excInfo != null && emitted) throw rethrown(excInfo);
        List<Header> copy = List.copyOf(headers);
        if (encoding != null) { // the server has them already: it replaces them, or rethrows if they went out
            Decision decision = decide(status, copy, -1);
            serverWriter = server.start(status, decision.headers(), excInfo);
            switchTo(decision.encoding());
        }
        this.status = status;
        this.headers = copy;
        this.started = true;
        return this;
    }

    @Override
    public void write(byte[] data) throws IOException {
        write(data, 0, data.length);
    }

    @Override
    public void write(byte[] data, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, data.length);
        if (length == 0) return;
        if (writeUncompressed()) serverWriter.write(data, offset, length);
        else if (encoding == Encoding.GZIP) compress(ByteBuffer.wrap(data, offset, length));
    }

    @Override
    public void write(ByteBuffer data) throws IOException {
        if (!data.hasRemaining()) return;
        if (writeUncompressed()) serverWriter.write(data);
        else if (encoding == Encoding.GZIP) compress(data);
    }

    /** Sends the head for {@code write()} if not sent yet; true if written bytes go to the server as they are. */
    private boolean writeUncompressed() {
        if (!started) throw new IllegalStateException("write() called before start()");
        if (encoding == null) forward(-1);
        return encoding == Encoding.IDENTITY;
    }

    /** Compresses written bytes and sends them, flushed: write() is unbuffered (PEP 3333). */
    private void compress(ByteBuffer data) throws IOException {
        encoder.input(data);
        encoder.flush();
        while (encoder.deflate()) serverWriter.write(emit(encoder.take()));
    }

    /**
     * The body to give the server for the one the application returned: as it is when it is not
     * compressed, compressed at once when it is a collection in memory (so that it keeps a
     * Content-Length), else compressed as the server iterates it ({@link GzipBody}).
     */
    Iterable<byte[]> body(Iterable<byte[]> body) {
        long length = knownLength(body);
        // else write() sent the head already, or it waits for the body's first bytes: start may come as it
        // is iterated, and a stream that turns out empty is not worth a gzip header and trailer
        boolean headNow = encoding == null && started && (length >= 0 || body instanceof ByteBufferBody);
        if (headNow) forward(length);
        if (encoding == Encoding.IDENTITY) {
            mayCompress = false;
            return body;
        }
        boolean atOnce = headNow && body instanceof Collection && length <= AT_ONCE_LIMIT;
        // compressed for a HEAD too when the application gave it the GET's body: its Content-Length is
        // then the GET's, where it would otherwise announce chunked framing the GET does not use (RFC 9110
        // section 9.3.2, RFC 9112 section 6.1). Not an empty one, as most HEADs get (StaticFilesApp's too):
        // that compressed would claim the length of a gzip stream of nothing, 20, which section 8.6 forbids.
        if (atOnce && length > 0 && encoding == Encoding.GZIP_HEAD) switchTo(Encoding.GZIP);
        GzipBody compressed = new GzipBody(body, this);
        if (atOnce && encoding == Encoding.GZIP) return atOnce(compressed, body);
        return compressed;
    }

    /** Compresses a body in memory whole; if that fails, the caller closes the body and ends the encoder. */
    private Iterable<byte[]> atOnce(GzipBody compressed, Iterable<byte[]> original) {
        List<byte[]> pieces = new ArrayList<>();
        for (byte[] piece : compressed) {
            if (piece.length > 0) pieces.add(piece);
        }
        end();
        return new CompressedPieces(pieces, original);
    }

    /** The whole body's length where it is known before it is sent (in memory, or a file), else -1. */
    private static long knownLength(Iterable<byte[]> body) {
        if (body instanceof FileBody file) return file.length();
        if (body instanceof ByteBufferBody buffers) return buffers.length();
        if (body instanceof Collection<byte[]> chunks) {
            long total = 0;
            for (byte[] chunk : chunks) {
                if (chunk != null) total += chunk.length;
            }
            return total;
        }
        return -1;
    }

    /** True once the application called start. */
    boolean started() {
        return started;
    }

    /** How the body goes, or null if the head has not gone to the server yet. */
    Encoding encoding() {
        return encoding;
    }

    /** The encoder of a compressed body. */
    GzipEncoder encoder() {
        return encoder;
    }

    /**
     * Gives the server status and headers now, for a body of {@code knownLength} bytes (-1: unknown).
     *
     * @throws IllegalStateException if the application has not called start
     */
    Encoding forward(long knownLength) {
        if (!started) throw new IllegalStateException("The application produced a body before calling start()");
        Decision decision = decide(status, headers, knownLength);
        serverWriter = server.start(status, decision.headers());
        switchTo(decision.encoding());
        return encoding;
    }

    /** Notes that compressed bytes go out, and returns them. */
    byte[] emit(byte[] piece) {
        if (piece.length > 0) emitted = true;
        return piece;
    }

    /** Frees the encoder, if any (at the end of the response, or when it fails). */
    void end() {
        if (encoder != null) encoder.end();
    }

    private Decision decide(String status, List<Header> headers, long knownLength) {
        int code = GzipHeaders.statusCode(status);
        if (!mayCompress) return new Decision(Encoding.IDENTITY, headers);
        if (code == 304 && environ.get(GzipHeaders.NOT_MODIFIED_STANDS_FOR) instanceof List<?> standsFor) {
            @SuppressWarnings("unchecked") // the key's documented type
            List<Header> okHeaders = (List<Header>) standsFor;
            return new Decision(Encoding.IDENTITY,
                    GzipHeaders.notModified(headers, okHeaders, acceptsGzip, settings.compressibleTypes(), settings.minSize()));
        }
        if (code == 304 || code == 206) { // never compressed, but they repeat the Vary of the 200 they stand for
            List<Header> out = code == 304 ? GzipHeaders.notModified(headers, acceptsGzip, settings.compressibleTypes(), settings.minSize()) : headers;
            if (GzipHeaders.mayStandForCompressible(out, settings.compressibleTypes())) out = GzipHeaders.withVary(out);
            return new Decision(Encoding.IDENTITY, out);
        }
        if (!GzipHeaders.compressible(code, headers, knownLength, settings.compressibleTypes(), settings.minSize())) {
            return new Decision(Encoding.IDENTITY, headers);
        }
        if (!acceptsGzip) return new Decision(Encoding.IDENTITY, GzipHeaders.withVary(headers));
        return new Decision(head ? Encoding.GZIP_HEAD : Encoding.GZIP, GzipHeaders.encoded(headers));
    }

    private void switchTo(Encoding next) {
        end(); // a replaced response's compressed bytes, none of which went out, are dropped
        encoder = next == Encoding.GZIP ? settings.newEncoder() : null;
        encoding = next;
    }

    private static RuntimeException rethrown(Throwable excInfo) {
        if (excInfo instanceof RuntimeException re) throw re;
        if (excInfo instanceof Error err) throw err;
        return new IllegalStateException("Response already started", excInfo);
    }
}
