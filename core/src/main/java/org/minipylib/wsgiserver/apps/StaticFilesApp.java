package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.FileBody;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.StartResponse;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.http.HttpDate;
import org.minipylib.wsgiserver.http.RequestParser;

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
import java.time.Instant;
import java.util.ArrayList;
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
 * links followed) is not under the root's real path; a link to a file inside the root is served. A
 * segment that starts with a dot ({@code .git}, {@code .env}) is a 404 unless {@link #withDotFiles}
 * says otherwise. Only regular files are served (no devices, pipes or sockets: 404); a file the
 * server may not read is a {@code 403}. A directory serves its {@code index.html} (a 404 without one:
 * never a listing); asked for without its trailing slash, it is a {@code 301} to the URL with it.
 *
 * <p>Responses carry {@code Content-Type} from the file name's extension (text types with
 * {@code charset=utf-8}; {@code application/octet-stream} when unknown), {@code X-Content-Type-Options:
 * nosniff}, {@code Last-Modified}, a strong {@code ETag} made of the size and modification time,
 * {@code Accept-Ranges: bytes} and the {@link #withCacheControl Cache-Control} given. Conditional
 * requests are evaluated in RFC 9110 section 13.2.2's order ({@code If-Match}, {@code
 * If-Unmodified-Since}: {@code 412}; {@code If-None-Match}, {@code If-Modified-Since}: {@code 304}).
 * One byte range ({@code Range: bytes=0-99}, {@code 100-}, {@code -100}) is a {@code 206}, subject
 * to {@code If-Range}; several ranges are answered with the whole file ({@code 200}, which the RFC
 * allows: no {@code multipart/byteranges}); a range past the end is a {@code 416}; a malformed
 * {@code Range} is ignored. Other methods get {@code 405} with {@code Allow: GET, HEAD}.
 *
 * <p>Instances are immutable and may serve any number of requests at once.
 */
public final class StaticFilesApp implements WsgiApp {

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

    private final Path root;
    private final String cacheControl;
    private final boolean dotFiles;

    private StaticFilesApp(Path root, String cacheControl, boolean dotFiles) {
        this.root = root;
        this.cacheControl = cacheControl;
        this.dotFiles = dotFiles;
    }

    /**
     * Serves the files under {@code root}, with no {@code Cache-Control} and no dot files. The root
     * is resolved anew for each request, so a symbolic link to it may be switched to a new release.
     *
     * @throws IllegalArgumentException if {@code root} is not a directory
     */
    public static StaticFilesApp of(Path root) {
        if (!Files.isDirectory(root)) throw new IllegalArgumentException("not a directory: " + root);
        return new StaticFilesApp(root.toAbsolutePath(), null, false);
    }

    /** This app, sending {@code Cache-Control: value} with its files (null: none). */
    public StaticFilesApp withCacheControl(String value) {
        if (value != null && !Header.isValidValue(value)) throw new IllegalArgumentException("not a header value: " + value);
        return new StaticFilesApp(root, value, dotFiles);
    }

    /** This app, serving files and directories whose names start with a dot ({@code true}) or not (the default). */
    public StaticFilesApp withDotFiles(boolean serve) {
        return new StaticFilesApp(root, cacheControl, serve);
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
        Path file = inside(named, realRoot);
        BasicFileAttributes attributes = attributes(file);
        if (attributes != null && attributes.isDirectory()) {
            if (!pathInfo.endsWith("/")) return redirectToDirectory(environ, startResponse);
            named = named.resolve(INDEX);
            file = inside(named, realRoot);
            attributes = attributes(file);
        } else if (pathInfo.endsWith("/")) {
            attributes = null; // a file is no directory
        }
        // only a regular file, checked before it is opened: opening a pipe would wait for a writer
        if (attributes == null || !attributes.isRegularFile()) return plain(startResponse, "404 Not Found");
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (AccessDeniedException e) {
            return plain(startResponse, "403 Forbidden");
        } catch (IOException e) { // gone since
            return plain(startResponse, "404 Not Found");
        }
        Iterable<byte[]> body = null;
        try {
            body = respond(environ, startResponse, head, contentType(named.getFileName().toString()), attributes, channel);
            return body;
        } finally {
            if (!(body instanceof FileBody)) channel.close(); // a FileBody closes it when the response is over
        }
    }

    /** The answer for a regular file, open as {@code channel}: conditions, then ranges. */
    private Iterable<byte[]> respond(Environ environ, StartResponse startResponse, boolean head, String contentType,
                                     BasicFileAttributes attributes, FileChannel channel) throws IOException {
        long length = channel.size();
        long modifiedMillis = attributes.lastModifiedTime().toMillis();
        long modifiedSecond = Math.floorDiv(modifiedMillis, 1000);
        String etag = "\"" + Long.toHexString(length) + "-" + Long.toHexString(attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS)) + "\"";
        List<Header> headers = new ArrayList<>(8);
        headers.add(Header.of("ETag", etag));
        headers.add(Header.of("Last-Modified", HttpDate.format(modifiedSecond)));
        if (cacheControl != null) headers.add(Header.of("Cache-Control", cacheControl));

        String failed = Preconditions.evaluate(environ, etag, modifiedSecond);
        if (failed != null) {
            if (failed.startsWith("412")) return plain(startResponse, failed);
            startResponse.start(failed, headers); // 304
            return List.of();
        }
        headers.add(Header.of("Accept-Ranges", "bytes"));
        headers.add(Header.of("Content-Type", contentType));
        headers.add(NOSNIFF);
        long first = 0;
        long count = length;
        String status = "200 OK";
        String range = environ.header("Range");
        if (range != null && Preconditions.ifRangeHolds(environ.header("If-Range"), etag, modifiedMillis)) {
            long[] span = ByteRange.parse(range, length);
            if (span != null && span.length == 0) {
                return plain(startResponse, "416 Range Not Satisfiable", Header.of("Content-Range", "bytes */" + length));
            }
            if (span != null) {
                first = span[0];
                count = span[1] - span[0] + 1;
                status = "206 Partial Content";
                headers.add(Header.of("Content-Range", "bytes " + span[0] + "-" + span[1] + "/" + length));
            }
        }
        headers.add(Header.of("Content-Length", Long.toString(count)));
        startResponse.start(status, headers);
        return head ? List.of() : FileBody.of(channel, first, count);
    }

    /** The path under the root that PATH_INFO names, or null if it is not one this app serves. */
    private Path path(String pathInfo) {
        if (!pathInfo.isEmpty() && pathInfo.charAt(0) != '/') return null;
        Path path = root;
        for (String segment : pathInfo.split("/")) {
            if (segment.isEmpty()) continue; // the root's own "", or "//"
            String name = fileName(segment);
            if (name == null || name.equals(".") || name.equals("..") || (name.startsWith(".") && !dotFiles)) return null;
            try {
                path = path.resolve(name);
            } catch (InvalidPathException e) { // a name this file system cannot have
                return null;
            }
        }
        return path;
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
            if (c == '%' && i + 2 < segment.length() && RequestParser.isHex(segment.charAt(i + 1)) && RequestParser.isHex(segment.charAt(i + 2))) {
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
            boolean escape = c == '%' && i + 2 < path.length() && RequestParser.isHex(path.charAt(i + 1)) && RequestParser.isHex(path.charAt(i + 2));
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
    static String contentType(String name) {
        int dot = name.lastIndexOf('.');
        if (dot < 0) return UNKNOWN_TYPE;
        return TYPES.getOrDefault(name.substring(dot + 1).toLowerCase(Locale.ROOT), UNKNOWN_TYPE);
    }

    /** A short plain-text answer with the status as its body. */
    private static Iterable<byte[]> plain(StartResponse startResponse, String status, Header... extra) {
        byte[] body = (status.substring(4) + "\n").getBytes(StandardCharsets.US_ASCII);
        List<Header> headers = new ArrayList<>(List.of(Header.of("Content-Type", "text/plain; charset=utf-8"), NOSNIFF));
        headers.addAll(List.of(extra));
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
            int i = 0;
            while (i < list.length()) {
                char c = list.charAt(i);
                if (c == ',' || c == ' ' || c == '\t') {
                    i++;
                    continue;
                }
                boolean weak = list.startsWith("W/", i);
                int open = weak ? i + 2 : i;
                if (open >= list.length() || list.charAt(open) != '"') return false;
                int close = list.indexOf('"', open + 1);
                if (close < 0) return false;
                if ((!strong || !weak) && list.regionMatches(open, etag, 0, etag.length()) && close + 1 - open == etag.length()) {
                    return true;
                }
                i = close + 1;
            }
            return false;
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

    /** A {@code Range: bytes=...} header field (RFC 9110 section 14.1.2). */
    static final class ByteRange {

        private ByteRange() {
        }

        /**
         * The one range {@code field} asks of a representation of {@code length} bytes, as {@code
         * {first, last}}; an empty array if it cannot be satisfied; null if the field is to be
         * ignored: not a valid {@code bytes} range set, several ranges (served whole), or an empty file.
         */
        static long[] parse(String field, long length) {
            String f = field.trim();
            if (!f.regionMatches(true, 0, "bytes=", 0, 6) || length == 0) return null;
            String spec = f.substring(6).trim();
            if (spec.indexOf(',') >= 0) return null; // several ranges (or a malformed list): the whole file
            int dash = spec.indexOf('-');
            if (dash < 0) return null;
            long first = digits(spec.substring(0, dash).trim());
            long last = digits(spec.substring(dash + 1).trim());
            if (dash == 0) { // -suffix-length: the last bytes
                if (last <= 0) return last == 0 ? new long[0] : null;
                return new long[] {Math.max(0, length - last), length - 1};
            }
            if (first < 0 || (last < 0 && dash + 1 < spec.length())) return null;
            if (last >= 0 && last < first) return null; // invalid: ignored
            if (first >= length) return new long[0];
            return new long[] {first, last < 0 ? length - 1 : Math.min(last, length - 1)};
        }

        /** The value of an unsigned decimal (saturated at {@code Long.MAX_VALUE}), or -1 if {@code s} is not one. */
        private static long digits(String s) {
            if (s.isEmpty()) return -1;
            long value = 0;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c < '0' || c > '9') return -1;
                value = value > (Long.MAX_VALUE - 9) / 10 ? Long.MAX_VALUE : value * 10 + (c - '0');
            }
            return value;
        }
    }
}
