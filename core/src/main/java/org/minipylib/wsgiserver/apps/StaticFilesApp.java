package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.FileBody;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.StartResponse;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.http.HttpDate;
import org.minipylib.wsgiserver.http.HttpChars;
import org.minipylib.wsgiserver.server.ThrottledWarning;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Serves the files under a directory, for GET and HEAD (RFC 9110), each sent from file to socket by
 * the operating system ({@link FileBody}). Mount it below a prefix:
 * <pre>{@code
 * WsgiServer.builder(app).mountApp("/assets", StaticFilesApp.of(Path.of("public")).withCacheControl("max-age=3600"))
 * }</pre>
 *
 * <p>PATH_INFO names a file under the root: its bytes are UTF-8 (anything else is a 404). Nothing
 * outside the root is ever served: a segment that is {@code .} or {@code ..}, that holds a NUL, a
 * backslash or an encoded slash ({@code %2F}), is a 404, and so is a file whose real path (symbolic
 * links followed) is not under the root's real path; a link to a file inside the root is served. The
 * file found is opened only if it is still under the root then ({@link BeneathOpener}: its directory,
 * held open, is checked to be under the root before the file is opened in it without following a
 * link), so that a directory on its path replaced meanwhile by a link out of the root fails the open
 * instead of leading out. Where that cannot be done (no {@link java.nio.file.SecureDirectoryStream}
 * on the platform, or a file's directory that may be searched but not read), the file is opened by
 * path and its real path checked again after the open: a narrower window, not a closed one. A
 * segment that starts with a dot ({@code .git}, {@code .env}) is a 404 unless {@link #withDotFiles}
 * says otherwise. Only regular files are served (no devices, pipes or sockets: 404); a file the
 * server may not read is a {@code 403}. A directory serves its {@code index.html} (a 404 without one:
 * never a listing); asked for without its trailing slash, it is a {@code 301} to the URL with it.
 *
 * <p>Responses carry {@code Content-Type} from the file name's extension (text types with
 * {@code charset=utf-8}; {@code application/octet-stream} when unknown), {@code X-Content-Type-Options:
 * nosniff}, {@code Last-Modified} (never later than now: RFC 9110 section 8.8.2.1), a strong {@code
 * ETag} made of the size and modification time, {@code Accept-Ranges: bytes} and the {@link
 * #withCacheControl Cache-Control} given. Size and time are those of the file opened: its size is the
 * open channel's, its time is read once it is open, and a file replaced meanwhile (or a directory on
 * its path, or one that fails to open) is looked up again: a {@code 404} if it is gone, a {@code 503}
 * with {@code Retry-After: 1} if it is replaced around each of three opens or fails each of them, so
 * that the validators and {@code Content-Length} describe the bytes sent (such a {@code 503} is logged
 * as a warning naming the file and the error, such as too many open files, at most every 10 s with
 * the count since the last one). Conditional requests are
 * evaluated in RFC 9110 section 13.2.2's order ({@code If-Match}, {@code If-Unmodified-Since}: {@code
 * 412}; {@code If-None-Match}, {@code If-Modified-Since}: {@code 304}). Other methods get {@code 405}
 * with {@code Allow: GET, HEAD}.
 *
 * <p>Byte ranges (section 14), subject to {@code If-Range} (a strong ETag or the exact date): one
 * range ({@code Range: bytes=0-99}, {@code 100-}, {@code -100}) is a {@code 206} with {@code
 * Content-Range}; several are a {@code 206} of {@code multipart/byteranges} (section 14.6), its
 * parts in the order asked, overlapping and adjacent ranges merged (so {@code 0-9,10-19} is one range),
 * its {@code Content-Length} exact, the file read in blocks as it is sent. A field of more than {@value
 * ByteRanges#MAX_RANGES} ranges, or whose ranges add up to more than the file, is ignored and the whole
 * file sent ({@code 200}), as sections 14.2 and 17.15 allow against denial of service; so is a malformed
 * field, and any range of an empty file. No satisfiable range is a {@code 416} with {@code
 * Content-Range: bytes *}{@code /SIZE}. {@code HEAD} ignores a {@code Range} (section 14.2: {@code
 * GET} is the only method with ranges).
 *
 * <p>{@link #withPrecompressed Precompressed variants}, when enabled: a file {@code NAME.br} or {@code
 * NAME.gz} next to {@code NAME} (a regular file under the root, found by the same rules) is sent
 * instead of it to a client whose {@code Accept-Encoding} takes that coding (the highest {@code q}
 * above 0; {@code br} before {@code gzip} when equal; not when {@code identity} is given a higher
 * {@code q}), with {@code Content-Encoding}, {@code NAME}'s {@code Content-Type}, and the variant's own
 * size, {@code Last-Modified} and {@code ETag} (which names the coding: it never equals the identity
 * one); ranges are of the variant's bytes (several: each part names the coding, the response does not,
 * as its multipart body is not encoded). Every response for a file that has a variant carries {@code
 * Vary: Accept-Encoding} (section 12.5.5: caches must keep the answers apart), whatever was sent, the
 * {@code 403}, {@code 503} or {@code 404} of a file that cannot be opened too (a client taking the
 * variant would get it instead); files without one carry none, as their answer does not depend on the
 * field. A variant that cannot be opened is passed over for the next one the client accepts, then the
 * file itself, and so is one older than the file (made from an
 * earlier version of it: {@code gzip -k} and {@code brotli -k} give a variant its file's time). The
 * variants themselves may be asked for by name.
 *
 * <p>Instances are immutable and may serve any number of requests at once.
 */
public final class StaticFilesApp implements WsgiApp {

    private static final System.Logger LOG = System.getLogger(StaticFilesApp.class.getName());
    private static final String TEXT = "; charset=utf-8";
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html" + TEXT), Map.entry("htm", "text/html" + TEXT),
            Map.entry("css", "text/css" + TEXT), Map.entry("js", "text/javascript" + TEXT),
            Map.entry("mjs", "text/javascript" + TEXT), Map.entry("cjs", "text/javascript" + TEXT),
            Map.entry("json", "application/json" + TEXT), Map.entry("map", "application/json" + TEXT),
            Map.entry("webmanifest", "application/manifest+json" + TEXT), Map.entry("xml", "application/xml" + TEXT),
            Map.entry("svg", "image/svg+xml" + TEXT), Map.entry("txt", "text/plain" + TEXT),
            Map.entry("csv", "text/csv" + TEXT), Map.entry("md", "text/markdown" + TEXT),
            Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"), Map.entry("jpeg", "image/jpeg"),
            Map.entry("gif", "image/gif"), Map.entry("webp", "image/webp"), Map.entry("avif", "image/avif"),
            Map.entry("ico", "image/x-icon"), Map.entry("bmp", "image/bmp"), Map.entry("pdf", "application/pdf"),
            Map.entry("wasm", "application/wasm"), Map.entry("woff", "font/woff"), Map.entry("woff2", "font/woff2"),
            Map.entry("ttf", "font/ttf"), Map.entry("otf", "font/otf"), Map.entry("mp4", "video/mp4"),
            Map.entry("webm", "video/webm"), Map.entry("ogg", "audio/ogg"), Map.entry("mp3", "audio/mpeg"),
            Map.entry("wav", "audio/wav"), Map.entry("zip", "application/zip"), Map.entry("gz", "application/gzip"),
            Map.entry("tar", "application/x-tar"));
    private static final String UNKNOWN_TYPE = "application/octet-stream";
    private static final String INDEX = "index.html";
    private static final Header NOSNIFF = Header.of("X-Content-Type-Options", "nosniff");

    private static final Header VARY = Header.of("Vary", "Accept-Encoding");
    /** The precompressed variants looked for, in the order they are preferred, and their file name suffixes. */
    private static final List<String> CODINGS = List.of("br", "gzip");
    private static final Map<String, String> SUFFIXES = Map.of("br", ".br", "gzip", ".gz");
    /** How many times a file replaced while it was being opened is looked up again. */
    private static final int OPEN_ATTEMPTS = 3;

    private final Path root;
    private final String cacheControl;
    private final boolean dotFiles;
    private final boolean precompressed;
    private final Opener opener;
    /** Content-Types by extension (lower case): the built-in ones and those given to {@link #withContentType}. */
    private final Map<String, String> types;
    /** The 503s of files that could not be opened (out of descriptors, say), warned of without flooding the log. */
    private final ThrottledWarning unopenable = new ThrottledWarning(LOG);

    /**
     * Opens the file at {@code relative} under {@code realRoot} for reading if it is still under it,
     * or returns null where that cannot be done ({@link BeneathOpener#open}): a seam for tests
     * that change the file just before it is opened.
     */
    @FunctionalInterface
    interface Opener {
        FileChannel open(Path realRoot, Path relative) throws IOException;
    }

    /**
     * A file that was replaced each time it was opened (which one was opened is not known), or whose
     * opens failed: the last failure is the cause (null if none failed).
     */
    private static final class KeptChanging extends IOException {
        KeptChanging(Path file, IOException lastFailure) {
            super("replaced while it was opened, or failed to open, " + OPEN_ATTEMPTS + " times: " + file, lastFailure);
        }
    }

    /** A file found under the root, with its attributes as read before it is opened. */
    private record Found(Path file, BasicFileAttributes attributes) {
    }

    /**
     * A file opened for reading, described by the opened file itself: its size from the channel, its
     * modification time read once it was open (and checked to be the same file's).
     */
    private record Opened(FileChannel channel, long size, FileTime modified) {

        /** The strong ETag of these bytes sent with {@code coding} (null: identity), which tells the variants apart. */
        String etag(String coding) {
            return "\"" + Long.toHexString(size) + "-" + Long.toHexString(modified.to(TimeUnit.NANOSECONDS))
                    + (coding == null ? "" : "-" + coding) + "\"";
        }
    }

    /** What a response sends of a file: its type, its content coding (null: identity), and any Vary field. */
    private record Representation(String contentType, String coding, List<Header> vary) {
    }

    /** A precompressed variant opened, and its content coding. */
    private record OpenedVariant(String coding, Opened opened) {
    }

    private StaticFilesApp(Path root, String cacheControl, boolean dotFiles, boolean precompressed, Opener opener,
                           Map<String, String> types) {
        this.root = root;
        this.cacheControl = cacheControl;
        this.dotFiles = dotFiles;
        this.precompressed = precompressed;
        this.opener = opener;
        this.types = types;
    }

    /**
     * Serves the files under {@code root}, with no {@code Cache-Control}, no dot files and no
     * precompressed variants. The root is resolved anew for each request, so a symbolic link to it
     * may be switched to a new release.
     *
     * @throws IllegalArgumentException if {@code root} is not a directory
     */
    public static StaticFilesApp of(Path root) {
        if (!Files.isDirectory(root)) throw new IllegalArgumentException("not a directory: " + root);
        return new StaticFilesApp(root.toAbsolutePath(), null, false, false, BeneathOpener::open, TYPES);
    }

    /** This app, sending {@code Cache-Control: value} with its files (null: none). */
    public StaticFilesApp withCacheControl(String value) {
        if (value != null && !Header.isValidValue(value)) throw new IllegalArgumentException("not a header value: " + value);
        return new StaticFilesApp(root, value, dotFiles, precompressed, opener, types);
    }

    /** This app, serving files and directories whose names start with a dot ({@code true}) or not (the default). */
    public StaticFilesApp withDotFiles(boolean serve) {
        return new StaticFilesApp(root, cacheControl, serve, precompressed, opener, types);
    }

    /**
     * This app, serving a file's precompressed variant {@code NAME.br} or {@code NAME.gz}, where one
     * is next to it, to clients that accept that coding ({@code true}), or only the files asked for
     * (the default). See the class comment.
     */
    public StaticFilesApp withPrecompressed(boolean serve) {
        return new StaticFilesApp(root, cacheControl, dotFiles, serve, opener, types);
    }

    /**
     * This app, sending {@code contentType} for files whose name ends in {@code .extension} (any case;
     * given without the dot), in place of the built-in type for it, if any: {@code
     * withContentType("yaml", "application/yaml")}, {@code withContentType("txt", "text/plain;
     * charset=iso-8859-1")} for files that are not UTF-8.
     *
     * @throws IllegalArgumentException if {@code extension} is empty or holds a dot or a slash, or
     *                                  {@code contentType} is not a valid header value
     */
    public StaticFilesApp withContentType(String extension, String contentType) {
        if (extension.isEmpty() || extension.indexOf('.') >= 0 || extension.indexOf('/') >= 0) {
            throw new IllegalArgumentException("not a file name extension: '" + extension + "'");
        }
        if (contentType.isBlank() || !Header.isValidValue(contentType)) {
            throw new IllegalArgumentException("not a header value: '" + contentType + "'");
        }
        Map<String, String> more = new HashMap<>(types);
        more.put(extension.toLowerCase(Locale.ROOT), contentType.strip());
        return new StaticFilesApp(root, cacheControl, dotFiles, precompressed, opener, Map.copyOf(more));
    }

    /** This app, opening files with {@code opener} (tests). */
    StaticFilesApp withOpener(Opener opener) {
        return new StaticFilesApp(root, cacheControl, dotFiles, precompressed, opener, types);
    }

    /** The directory served. */
    public Path root() {
        return root;
    }

    @Override
    public Iterable<byte[]> call(Environ environ, StartResponse startResponse) throws IOException {
        String method = environ.method();
        boolean head = method.equals("HEAD");
        if (!head && !method.equals("GET")) {
            return plain(startResponse, "405 Method Not Allowed", Header.of("Allow", "GET, HEAD"));
        }
        String pathInfo = environ.pathInfo();
        Path named = path(pathInfo); // as named: its type is the name's, even where a link leads to another name
        Path realRoot = realRoot(); // resolved per request: the root may be a link switched between releases
        Found found = existing(named, realRoot);
        if (found != null && found.attributes().isDirectory()) {
            if (!pathInfo.endsWith("/")) return redirectToDirectory(environ, startResponse);
            named = named.resolve(INDEX);
            found = existing(named, realRoot);
        } else if (pathInfo.endsWith("/")) {
            found = null; // a file is no directory
        }
        // only a regular file, checked before it is opened: opening a pipe would wait for a writer
        if (found == null || !found.attributes().isRegularFile()) return plain(startResponse, "404 Not Found");
        return serve(environ, startResponse, head, named, found, realRoot);
    }

    /** The answer for the regular file {@code found}, named {@code named}: a variant of it or itself, opened and sent. */
    private Iterable<byte[]> serve(Environ environ, StartResponse startResponse, boolean head, Path named, Found found,
                                   Path realRoot) throws IOException {
        String contentType = contentType(named.getFileName().toString());
        Map<String, Found> variants = precompressed ? variants(named, found, realRoot) : Map.of();
        // with a variant, which answer this is depends on Accept-Encoding, errors too: another client may get the variant
        List<Header> vary = variants.isEmpty() ? List.of() : List.of(VARY);
        OpenedVariant variant = openPreferredVariant(environ.header("Accept-Encoding"), variants, realRoot);
        String coding = variant == null ? null : variant.coding();
        Opened opened = variant == null ? null : variant.opened();
        if (opened == null) {
            try {
                opened = open(found, realRoot);
            } catch (AccessDeniedException e) {
                return plain(startResponse, "403 Forbidden", vary);
            } catch (KeptChanging e) {
                warnUnopenable(found.file(), e);
                List<Header> extra = new ArrayList<>(vary);
                extra.add(Header.of("Retry-After", "1"));
                return plain(startResponse, "503 Service Unavailable", extra);
            }
            if (opened == null) return plain(startResponse, "404 Not Found", vary); // gone since
        }
        Iterable<byte[]> body = null;
        try {
            body = respond(environ, startResponse, head, new Representation(contentType, coding, vary), opened);
            return body;
        } finally {
            if (!(body instanceof AutoCloseable)) opened.channel().close(); // a body closes it when the response is over
        }
    }

    /** Warns (at most every 10 s) that {@code file} got a 503: an error the operator may have to mend, such as too many open files. */
    private void warnUnopenable(Path file, KeptChanging e) {
        String reason = e.getCause() != null ? e.getCause().toString() : e.getMessage();
        unopenable.occurred((count, every) -> "Could not open " + file + " to serve it; answered 503 with Retry-After: 1"
                + (count == 1 ? "" : " (" + count + " times since the last such warning)") + ": " + reason
                + " (logged at most every " + every + " s)");
    }

    /** The answer for a regular file, open: conditions, then ranges. */
    private Iterable<byte[]> respond(Environ environ, StartResponse startResponse, boolean head, Representation representation,
                                     Opened file) {
        long size = file.size();
        // never later than now (RFC 9110 section 8.8.2.1): a file dated in the future is modified now
        long modifiedMillis = Math.min(file.modified().toMillis(), System.currentTimeMillis());
        long modifiedSecond = Math.floorDiv(modifiedMillis, 1000);
        String etag = file.etag(representation.coding());
        List<Header> headers = new ArrayList<>(12);
        headers.add(Header.of("ETag", etag));
        headers.add(Header.of("Last-Modified", HttpDate.format(modifiedSecond)));
        if (cacheControl != null) headers.add(Header.of("Cache-Control", cacheControl));
        headers.addAll(representation.vary());

        String failed = Preconditions.evaluate(environ, etag, modifiedSecond);
        if (failed != null) {
            if (failed.startsWith("412")) return plain(startResponse, failed, representation.vary());
            // for a GzipApp in front: what the 200 would carry, which the 304 leaves out
            List<Header> ok = new ArrayList<>(headers);
            ok.add(Header.of("Content-Type", representation.contentType()));
            if (representation.coding() != null) ok.add(Header.of("Content-Encoding", representation.coding()));
            ok.add(Header.of("Content-Length", Long.toString(size)));
            environ.put(GzipHeaders.NOT_MODIFIED_STANDS_FOR, ok);
            startResponse.start(failed, headers); // 304
            return List.of();
        }
        headers.add(Header.of("Accept-Ranges", "bytes"));
        headers.add(Header.of("Content-Type", representation.contentType()));
        if (representation.coding() != null) headers.add(Header.of("Content-Encoding", representation.coding()));
        headers.add(NOSNIFF);
        String range = head ? null : environ.header("Range"); // GET is the only method with ranges (RFC 9110 section 14.2)
        List<ByteRanges.Range> ranges = range != null && Preconditions.ifRangeHolds(environ.header("If-Range"), etag, modifiedMillis)
                ? ByteRanges.parse(range, size) : null;
        if (ranges == null) return send(startResponse, "200 OK", headers, head, FileBody.of(file.channel(), 0, size), size);
        if (ranges.isEmpty()) {
            List<Header> extra = new ArrayList<>(representation.vary());
            extra.add(Header.of("Content-Range", "bytes */" + size));
            return plain(startResponse, "416 Range Not Satisfiable", extra);
        }
        if (ranges.size() == 1) {
            ByteRanges.Range only = ranges.getFirst();
            headers.add(Header.of("Content-Range", only.contentRange(size)));
            return send(startResponse, "206 Partial Content", headers, head, FileBody.of(file.channel(), only.first(), only.length()), only.length());
        }
        MultipartByteRanges parts = MultipartByteRanges.of(file.channel(), ranges, size, representation.contentType(),
                representation.coding());
        headers.replaceAll(h -> h.is("Content-Type") ? Header.of("Content-Type", parts.contentType()) : h);
        headers.removeIf(h -> h.is("Content-Encoding")); // the parts say it: the multipart body is not encoded
        return send(startResponse, "206 Partial Content", headers, head, parts, parts.length());
    }

    /** Starts the response with {@code headers} and the body's {@code length} as Content-Length, and returns the body (none for HEAD). */
    private static Iterable<byte[]> send(StartResponse startResponse, String status, List<Header> headers, boolean head,
                                         Iterable<byte[]> body, long length) {
        headers.add(Header.of("Content-Length", Long.toString(length)));
        startResponse.start(status, headers);
        return head ? List.of() : body;
    }

    /**
     * {@code found} opened, if it is still under {@code realRoot}, and described by what was opened:
     * read again after opening, its attributes must be those of the same file as before (not one that
     * replaced it meanwhile, else it is looked up again); its size is the open channel's. An open that
     * fails (a directory on its path replaced by a link, the file gone) is looked up again too. Null if
     * it is gone or no longer a regular file.
     *
     * @throws AccessDeniedException if the server may not read it
     * @throws KeptChanging          if it was replaced around, or failed, each of {@value #OPEN_ATTEMPTS} opens
     */
    private Opened open(Found found, Path realRoot) throws IOException {
        Path relative = realRoot.relativize(found.file());
        BasicFileAttributes before = found.attributes();
        IOException lastFailure = null;
        for (int attempt = 0; attempt < OPEN_ATTEMPTS && before != null && before.isRegularFile(); attempt++) {
            FileChannel channel = null;
            boolean byPath = false;
            try {
                channel = opener.open(realRoot, relative);
                if (channel == null) { // it cannot tell here: by path, and checked again below
                    channel = FileChannel.open(found.file(), StandardOpenOption.READ);
                    byPath = true;
                }
            } catch (AccessDeniedException e) {
                throw e;
            } catch (IOException e) { // gone, or replaced on the way: looked up again below (or out of descriptors)
                lastFailure = e;
            }
            BasicFileAttributes after = attributes(found.file());
            // by path, the kernel may have followed a link swapped in since: the real path must still be itself
            // (not airtight: a link swapped in before the open and out again before this check goes unseen)
            if (channel != null && after != null && sameFile(before, after)
                    && (!byPath || found.file().equals(inside(found.file(), realRoot)))) {
                try {
                    return new Opened(channel, channel.size(), after.lastModifiedTime());
                } catch (IOException | RuntimeException e) {
                    channel.close();
                    throw e;
                }
            }
            if (channel != null) channel.close(); // replaced around the open: which file the channel has is not known
            before = after;
        }
        if (before == null || !before.isRegularFile()) return null;
        throw new KeptChanging(found.file(), lastFailure);
    }

    /**
     * The variant of those there are ({@code variants}, by coding, in the order preferred) that
     * {@code acceptEncoding} prefers, opened; if it cannot be opened, the next it accepts, and so on;
     * null if none is accepted or can be opened (the file itself is sent).
     */
    private OpenedVariant openPreferredVariant(String acceptEncoding, Map<String, Found> variants, Path realRoot) throws IOException {
        List<String> candidates = new ArrayList<>(variants.keySet());
        String coding;
        while ((coding = AcceptEncoding.preferred(acceptEncoding, candidates)) != null) {
            Opened opened = openVariant(variants.get(coding), realRoot);
            if (opened != null) return new OpenedVariant(coding, opened);
            candidates.remove(coding);
        }
        return null;
    }

    /** A variant opened as {@link #open}, or null if it cannot be. */
    private Opened openVariant(Found variant, Path realRoot) throws IOException {
        try {
            return open(variant, realRoot);
        } catch (AccessDeniedException | KeptChanging e) {
            return null;
        }
    }

    /** Whether two reads of a path's attributes are of the same file (and the same version of it, where files have no key). */
    private static boolean sameFile(BasicFileAttributes before, BasicFileAttributes after) {
        if (before.fileKey() != null) return before.fileKey().equals(after.fileKey());
        return before.lastModifiedTime().equals(after.lastModifiedTime()) && before.size() == after.size();
    }

    /**
     * The precompressed variants of {@code file}, named {@code named}, that exist, by coding, in the
     * order preferred; not those older than the file, made from an earlier version of it.
     */
    private static Map<String, Found> variants(Path named, Found file, Path realRoot) {
        Map<String, Found> variants = new LinkedHashMap<>(4);
        for (String coding : CODINGS) {
            Path variant;
            try {
                variant = named.resolveSibling(named.getFileName() + SUFFIXES.get(coding));
            } catch (InvalidPathException e) {
                continue;
            }
            Found found = existing(variant, realRoot);
            if (found != null && found.attributes().isRegularFile() && !olderThan(found, file)) variants.put(coding, found);
        }
        return variants;
    }

    /** True if {@code variant} was last modified before {@code file}: it is stale. */
    private static boolean olderThan(Found variant, Found file) {
        return variant.attributes().lastModifiedTime().compareTo(file.attributes().lastModifiedTime()) < 0;
    }

    /**
     * The file at {@code named} with its attributes, if it exists under {@code realRoot} (a
     * directory too: the caller checks the type), else null.
     */
    private static Found existing(Path named, Path realRoot) {
        Path file = inside(named, realRoot);
        BasicFileAttributes attributes = attributes(file);
        return attributes == null ? null : new Found(file, attributes);
    }

    /** The path under the root that PATH_INFO names, or null if it is not one this app serves. */
    private Path path(String pathInfo) {
        if (!pathInfo.isEmpty() && pathInfo.charAt(0) != '/') return null;
        // joined, then resolved once: a resolve per name copies the path so far each time (a request
        // of thousands of short names would cost quadratic time); no name holds a '/' or '\\'
        StringBuilder relative = new StringBuilder(pathInfo.length());
        for (String segment : pathInfo.split("/")) {
            if (segment.isEmpty()) continue; // the root's own "", or "//"
            String name = fileName(segment);
            if (name == null || name.equals(".") || name.equals("..") || (name.startsWith(".") && !dotFiles)) return null;
            if (!relative.isEmpty()) relative.append('/');
            relative.append(name);
        }
        try {
            return relative.isEmpty() ? root : root.resolve(relative.toString());
        } catch (InvalidPathException e) { // a name this file system cannot have
            return null;
        }
    }

    /** {@code file}'s attributes, or null if it is null or cannot be read (gone since it was found). */
    private static BasicFileAttributes attributes(Path file) {
        if (file == null) return null;
        try {
            return Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            return null;
        }
    }

    /** The root's real path (symbolic links followed), or null if it cannot be resolved now. */
    private Path realRoot() {
        try {
            return root.toRealPath();
        } catch (IOException e) { // gone, or not searchable
            return null;
        }
    }

    /** {@code path}'s real path (symbolic links followed) if it exists under {@code realRoot}, else null. */
    private static Path inside(Path path, Path realRoot) {
        if (path == null || realRoot == null) return null;
        try {
            Path real = path.toRealPath();
            return real.startsWith(realRoot) ? real : null;
        } catch (IOException e) { // missing, or a directory on the way that may not be searched
            return null;
        }
    }

    /**
     * The file name a PATH_INFO segment stands for, or null if it cannot name a file here: one
     * character per byte, where {@code %25} is a literal {@code %} and {@code %2F} an encoded slash
     * (the server keeps both encoded, see {@link org.minipylib.wsgiserver.http.PercentDecoder});
     * the bytes must be UTF-8, with no NUL and no backslash.
     */
    private static String fileName(String segment) {
        byte[] bytes = new byte[segment.length()];
        int n = 0;
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c > 0xFF || c == 0 || c == '\\') return null;
            if (c == '%' && i + 2 < segment.length() && HttpChars.isHexDigit(segment.charAt(i + 1)) && HttpChars.isHexDigit(segment.charAt(i + 2))) {
                if (!segment.startsWith("25", i + 1)) return null; // %2F, an encoded slash (the server keeps no other escape)
                i += 2;
            }
            bytes[n++] = (byte) c;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes, 0, n)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** {@code 301} to the directory's URL with its trailing slash (and the query), a relative reference. */
    private static Iterable<byte[]> redirectToDirectory(Environ environ, StartResponse startResponse) {
        String path = (environ.scriptName() + environ.pathInfo()).replaceFirst("^/+", "/"); // never "//host"
        String query = environ.queryString();
        String location = encodePath(path) + "/" + (query.isEmpty() ? "" : "?" + query);
        return plain(startResponse, "301 Moved Permanently", Header.of("Location", location));
    }

    /** A PEP 3333 path (one character per byte, escapes kept as the server keeps them) percent-encoded for a URL. */
    private static String encodePath(String path) {
        StringBuilder sb = new StringBuilder(path.length() + 16);
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            boolean escape = c == '%' && i + 2 < path.length() && HttpChars.isHexDigit(path.charAt(i + 1)) && HttpChars.isHexDigit(path.charAt(i + 2));
            if (escape || (c > ' ' && c < 0x7F && "\"%<>\\^`{|}?#[]".indexOf(c) < 0)) {
                sb.append(c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit((c >> 4) & 0xF, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return sb.toString();
    }

    /** The Content-Type for a file called {@code name}, from its extension. */
    String contentType(String name) {
        int dot = name.lastIndexOf('.');
        if (dot < 0) return UNKNOWN_TYPE;
        return types.getOrDefault(name.substring(dot + 1).toLowerCase(Locale.ROOT), UNKNOWN_TYPE);
    }

    /** A short plain-text answer with the status as its body. */
    private static Iterable<byte[]> plain(StartResponse startResponse, String status, Header... extra) {
        return plain(startResponse, status, List.of(extra));
    }

    /** A short plain-text answer with the status as its body, and these header fields. */
    private static Iterable<byte[]> plain(StartResponse startResponse, String status, List<Header> extra) {
        byte[] body = (status.substring(4) + "\n").getBytes(StandardCharsets.US_ASCII);
        List<Header> headers = new ArrayList<>(List.of(Header.of("Content-Type", "text/plain; charset=utf-8"), NOSNIFF));
        headers.addAll(extra);
        startResponse.start(status, headers);
        return List.of(body);
    }

    /** The conditional request header fields of RFC 9110 section 13. */
    static final class Preconditions {

        private Preconditions() {
        }

        /**
         * The status (section 13.2.2) when a precondition fails ({@code "412 Precondition Failed"}, or
         * {@code "304 Not Modified"} for GET and HEAD), null when the request goes on.
         */
        static String evaluate(Environ environ, String etag, long modifiedSecond) {
            String ifMatch = environ.header("If-Match");
            if (ifMatch != null) {
                if (!matches(ifMatch, etag, true)) return "412 Precondition Failed";
            } else if (!passes(environ.header("If-Unmodified-Since"), modifiedSecond, true)) {
                return "412 Precondition Failed";
            }
            String ifNoneMatch = environ.header("If-None-Match");
            if (ifNoneMatch != null) {
                if (matches(ifNoneMatch, etag, false)) return "304 Not Modified";
            } else if (!passes(environ.header("If-Modified-Since"), modifiedSecond, false)) {
                return "304 Not Modified";
            }
            return null;
        }

        /**
         * Whether the file, modified at {@code modifiedSecond}, passes a date condition: for
         * If-Unmodified-Since ({@code unmodified}) it was not modified after the date, for
         * If-Modified-Since it was. A field that is absent or not an HTTP-date passes.
         */
        private static boolean passes(String field, long modifiedSecond, boolean unmodified) {
            Instant date = HttpDate.parse(field);
            if (date == null) return true;
            return unmodified ? modifiedSecond <= date.getEpochSecond() : modifiedSecond > date.getEpochSecond();
        }

        /**
         * Whether {@code field} ({@code *} or a list of entity tags) matches {@code etag} (strong, or
         * weak comparison, section 8.8.3.2). A list that does not parse matches nothing.
         */
        static boolean matches(String field, String etag, boolean strong) {
            String list = field.trim();
            if (list.equals("*")) return true;
            return EntityTagList.anyTag(list, (weak, opaque) -> (!strong || !weak) && opaque.equals(etag));
        }

        /**
         * Whether a Range may be served under {@code If-Range} (section 13.1.5): absent, or a strong
         * entity tag equal to {@code etag}, or the date the file was last modified (when that date
         * is a strong validator: at least a second ago).
         */
        static boolean ifRangeHolds(String ifRange, String etag, long modifiedMillis) {
            if (ifRange == null) return true;
            String value = ifRange.trim();
            if (value.startsWith("\"")) return value.equals(etag);
            if (value.startsWith("W/")) return false;
            Instant date = HttpDate.parse(value);
            return date != null && date.getEpochSecond() == Math.floorDiv(modifiedMillis, 1000)
                    && System.currentTimeMillis() - modifiedMillis >= 1000;
        }
    }
}
