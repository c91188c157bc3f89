package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.StartResponse;
import org.minipylib.wsgiserver.WsgiApp;

import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.function.IntFunction;
import java.util.zip.Deflater;

/**
 * Middleware that compresses an application's responses with gzip for the clients that accept it:
 * <pre>{@code
 * WsgiApp app = GzipApp.of(myApp);   // or GzipApp.of(myApp).withLevel(4).withMinSize(1024)
 * }</pre>
 *
 * <p>A response is compressed when the request's {@code Accept-Encoding} accepts gzip (weights read:
 * {@code gzip;q=0} refuses it, {@code *} counts when gzip is not named, {@code identity} weighted
 * higher wins) and the response is worth it:
 * not a {@code 204}, {@code 304} or {@code 206}, no {@code Content-Range}, no {@code Content-Encoding}
 * already, no {@code Cache-Control: no-transform}, no digest of its bytes ({@code Content-Digest},
 * {@code Repr-Digest}, {@code Digest}, {@code Content-MD5}: they would not match compressed ones), a
 * {@code Content-Type} among the {@linkplain #withTypes compressible types} (none: not compressed;
 * {@code text/event-stream} never),
 * and a length, where it is known before the body goes, of at least the {@linkplain #withMinSize
 * minimum size}. Such a response carries {@code Vary: Accept-Encoding} (merged into the application's
 * Vary) whether it is compressed or not, for caches, and so do the {@code 304} and {@code 206}
 * responses that stand for one (RFC 9110 sections 15.4.5 and 15.3.7: a {@code 304} names no type,
 * so every one gets it unless what it says rules compression out). Compressed, it has {@code Content-Encoding: gzip},
 * no {@code Content-Length} of the application's, no {@code Accept-Ranges} (the application's ranges
 * are of its own bytes, not of the compressed ones), and a strong {@code ETag} made weak ({@code "x"}
 * becomes {@code W/"x"}, as nginx does): the bytes differ, the content is the same, and the client's
 * {@code If-None-Match: W/"x"} still matches the application's {@code "x"} under the weak comparison
 * RFC 9110 prescribes for it (a {@code 304} to a request that accepts gzip carries the weak tag
 * too, and the Vary: the ETag a 200 to the same request would).
 * A {@code HEAD} response gets the headers the {@code GET} would and no body: nothing is compressed.
 *
 * <p>The body is never held whole: it is compressed as the server iterates it and goes out in pieces
 * of up to 32 KiB of compressed bytes, chunked (HTTP/1.1) since its length is not known in advance.
 * Each chunk an application's stream yields, and each {@code write()}, is flushed through the
 * compressor (a deflate sync flush), so that it reaches the client when it would uncompressed
 * (progressive pages, long polls); a stream of many tiny chunks compresses less well for it, yield
 * larger ones. A collection of arrays of up to 1 MiB, whole in memory anyway, is compressed before it
 * goes and keeps a Content-Length. A {@link
 * org.minipylib.wsgiserver.FileBody} of a compressible type is read in blocks and compressed, so it
 * is not sent by {@code sendfile} then; a {@link org.minipylib.wsgiserver.ByteBufferBody} is
 * compressed from its buffers without copying them. Each compressed response has its own {@link
 * Deflater}, ended when the body is closed, when the application fails, or when the client leaves.
 *
 * <p>Status and headers reach the server when the body starts (the first {@code write()}, or the body
 * returned), once its length may be known: the server's checks of them fail then, not in the
 * application's call of start. {@code excInfo} works as without the middleware: start may be called
 * again with it until compressed bytes went out (until then, what was compressed is dropped with the
 * response it belonged to).
 *
 * <p>Instances are immutable and may serve any number of requests at once.
 */
public final class GzipApp implements WsgiApp {

    /** The compression level used unless {@link #withLevel} says otherwise (zlib's default). */
    public static final int DEFAULT_LEVEL = 6;

    /** The smallest known length compressed unless {@link #withMinSize} says otherwise. */
    public static final long DEFAULT_MIN_SIZE = 256;

    /** The media types compressed unless {@link #withTypes} says otherwise: text and the structured text formats. */
    public static final List<String> DEFAULT_TYPES = List.of(
            "text/*", "application/json", "application/javascript", "application/x-javascript",
            "application/ecmascript", "application/xml", "application/xhtml+xml", "*/*+json", "*/*+xml",
            "application/yaml", "application/x-yaml", "application/toml", "application/graphql",
            "application/wasm", "image/svg+xml", "image/x-icon", "image/vnd.microsoft.icon", "image/bmp",
            "font/ttf", "font/otf", "application/vnd.ms-fontobject");

    /** The most compressed bytes in one piece of a streamed body. */
    static final int PIECE_SIZE = 32 * 1024;

    private final WsgiApp app;
    private final int level;
    private final long minSize;
    private final CompressibleTypes types;
    private final IntFunction<Deflater> deflaters;

    private GzipApp(WsgiApp app, int level, long minSize, CompressibleTypes types, IntFunction<Deflater> deflaters) {
        this.app = app;
        this.level = level;
        this.minSize = minSize;
        this.types = types;
        this.deflaters = deflaters;
    }

    /** Compresses {@code app}'s responses with the default level, minimum size and types. */
    public static GzipApp of(WsgiApp app) {
        return new GzipApp(Objects.requireNonNull(app, "app"), DEFAULT_LEVEL, DEFAULT_MIN_SIZE,
                CompressibleTypes.of(DEFAULT_TYPES), level -> new Deflater(level, true));
    }

    /**
     * This middleware with another compression level: 1 (fastest) to 9 (smallest).
     *
     * @throws IllegalArgumentException if {@code level} is not 1 to 9
     */
    public GzipApp withLevel(int level) {
        if (level < 1 || level > 9) throw new IllegalArgumentException("gzip level must be 1 to 9, got " + level);
        return new GzipApp(app, level, minSize, types, deflaters);
    }

    /**
     * This middleware compressing only bodies whose length, where it is known before they go (a
     * Content-Length, a collection, a file, buffers of known length), is at least {@code bytes}; a
     * body of unknown length is always compressed. 0 compresses every body.
     *
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    public GzipApp withMinSize(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("minimum size must not be negative, got " + bytes);
        return new GzipApp(app, level, bytes, types, deflaters);
    }

    /**
     * This middleware compressing responses of these media types instead of {@link #DEFAULT_TYPES}:
     * each {@code type/subtype}, {@code type/*} or {@code *}{@code /*+suffix}, case ignored, its names
     * RFC 9110 tokens (no {@code *} but these wildcards) and a suffix without {@code +}.
     *
     * @throws IllegalArgumentException if a pattern is none of these
     */
    public GzipApp withTypes(Collection<String> patterns) {
        return new GzipApp(app, level, minSize, CompressibleTypes.of(patterns), deflaters);
    }

    /** As {@link #withTypes(Collection)}. */
    public GzipApp withTypes(String... patterns) {
        return withTypes(List.of(patterns));
    }

    /** The compression level. */
    public int level() {
        return level;
    }

    /** The smallest known length compressed. */
    public long minSize() {
        return minSize;
    }

    /** The media type patterns compressed, lower-cased. */
    public List<String> types() {
        return types.patterns();
    }

    /** For tests: this middleware with deflaters (raw, {@code nowrap}) made by {@code deflaters} from the level. */
    GzipApp withDeflaters(IntFunction<Deflater> deflaters) {
        return new GzipApp(app, level, minSize, types, deflaters);
    }

    @Override
    public Iterable<byte[]> call(Environ environ, StartResponse startResponse) throws Exception {
        GzipResponse response = new GzipResponse(startResponse, this, environ,
                AcceptEncoding.acceptsGzip(environ.header("Accept-Encoding")), "HEAD".equals(environ.method()));
        Iterable<byte[]> body;
        try {
            body = app.call(environ, response);
        } catch (Throwable t) {
            response.end();
            throw t;
        }
        if (body == null) {
            response.end();
            return null; // the server says what is wrong
        }
        try {
            return response.body(body);
        } catch (Throwable t) {
            if (body instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    t.addSuppressed(e);
                }
            }
            response.end();
            throw t;
        }
    }

    CompressibleTypes compressibleTypes() {
        return types;
    }

    GzipEncoder newEncoder() {
        return new GzipEncoder(deflaters.apply(level), PIECE_SIZE);
    }
}
