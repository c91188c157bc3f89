package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.Header;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What {@link GzipApp} reads in a response's status and headers, and how it rewrites them. */
final class GzipHeaders {

    private static final Header VARY = Header.of("Vary", "Accept-Encoding");
    private static final Header GZIP = Header.of("Content-Encoding", "gzip");
    /** Integrity fields over the content or representation as sent (RFC 9530, and the obsolete RFC 3230 and RFC 1864). */
    private static final List<String> DIGESTS = List.of("Content-Digest", "Repr-Digest", "Digest", "Content-MD5");

    /**
     * The environ key under which an application (the {@link StaticFilesApp}) that answers 304 leaves
     * the headers (a {@code List<Header>}) the 200 it stands for would carry: a 304 names no
     * Content-Type or length (RFC 9110 section 15.4.5 says it should not), so this middleware could
     * not tell otherwise whether that 200 would be compressed.
     */
    static final String NOT_MODIFIED_STANDS_FOR = "wsgiserver.not_modified_stands_for";

    private GzipHeaders() {
    }

    /**
     * True if the response could be compressed for a client that accepts gzip: a status with content
     * that is not a part (not 204, 304, 206, nor with {@code Content-Range}), not encoded already, no
     * {@code Cache-Control: no-transform}, no digest of its bytes, a compressible {@code Content-Type}, and a length (its
     * {@code Content-Length}, else {@code knownLength}; -1: unknown) that is unknown or at least
     * {@code minSize}.
     */
    static boolean compressible(int status, List<Header> headers, long knownLength, CompressibleTypes types, long minSize) {
        if (status < 200 || status == 204 || status == 206 || status == 304) return false;
        if (value(headers, "Content-Range") != null || !transformable(headers)) return false;
        if (!types.matches(value(headers, "Content-Type"))) return false;
        long length = contentLength(headers);
        if (length < 0) length = knownLength;
        return length < 0 || length >= minSize;
    }

    /**
     * True if a 304 or 206 stands for a response that {@link #compressible} may have found
     * compressible, so that it must repeat the {@code Vary} that response carries (RFC 9110 sections
     * 15.4.5 and 15.3.7): nothing it says rules that out (a Content-Encoding, {@code no-transform}, a
     * digest, a Content-Type that is not compressible; a 304 usually names no type, a 206 of several
     * parts {@code multipart/byteranges}). The whole length is not known here, so a short one gets the
     * Vary too: a Vary too many costs a cache a revalidation, one too few lets it serve one coding
     * for the other.
     */
    static boolean mayStandForCompressible(List<Header> headers, CompressibleTypes types) {
        if (!transformable(headers)) return false;
        String type = value(headers, "Content-Type");
        return type == null || types.matches(type) || type.trim().toLowerCase(Locale.ROOT).startsWith("multipart/byteranges");
    }

    /** No Content-Encoding, no digest of the bytes as they are (a compressed body would not match it), no {@code no-transform}. */
    private static boolean transformable(List<Header> headers) {
        if (value(headers, "Content-Encoding") != null) return false;
        for (String digest : DIGESTS) {
            if (value(headers, digest) != null) return false;
        }
        for (Header h : headers) {
            if (h.is("Cache-Control") && hasToken(h.value(), "no-transform")) return false;
        }
        return true;
    }

    /**
     * The headers of a gzip-encoded response: no Content-Length, no Accept-Ranges (the application's
     * ranges are of its own bytes, not of the compressed ones), Content-Encoding gzip, a weak ETag, Vary.
     */
    static List<Header> encoded(List<Header> headers) {
        List<Header> out = new ArrayList<>(headers.size() + 2);
        for (Header h : headers) {
            if (h.is("Content-Length") || h.is("Accept-Ranges")) continue;
            out.add(h.is("ETag") ? Header.of(h.name(), weak(h.value())) : h);
        }
        out.add(GZIP);
        return withVary(out);
    }

    /**
     * A 304's headers: the ETag the 200 to the same request would carry (RFC 9110 section 15.4.5).
     * For a client that accepts gzip, a 304 that may stand for a compressible response (see
     * {@link #mayStandForCompressible}) and gives no Content-Length below {@code minSize} stands for
     * the gzip variant: its strong ETag is made weak as {@link #encoded} makes it (in doubt the weak
     * tag is the safe one: it matches either variant under the weak comparison a cache applies).
     * Otherwise unchanged.
     */
    static List<Header> notModified(List<Header> headers, boolean acceptsGzip, CompressibleTypes types, long minSize) {
        String etag = value(headers, "ETag");
        if (!acceptsGzip || etag == null || !etag.trim().startsWith("\"")) return headers;
        if (!mayStandForCompressible(headers, types)) return headers;
        long length = contentLength(headers);
        if (length >= 0 && length < minSize) return headers;
        return withWeakEtag(headers);
    }

    private static List<Header> withWeakEtag(List<Header> headers) {
        List<Header> out = new ArrayList<>(headers.size());
        for (Header h : headers) out.add(h.is("ETag") ? Header.of(h.name(), weak(h.value())) : h);
        return out;
    }

    /**
     * A 304's headers when the application said what the 200 it stands for would carry
     * ({@code standsFor}: its Content-Type, Content-Length, Content-Encoding...; see
     * {@link #NOT_MODIFIED_STANDS_FOR}): that 200 as this middleware would send it decides. One it would
     * compress gets the weak ETag (for a client that accepts gzip) and the Vary; one it would send as it
     * is but with a Vary (a client that does not accept gzip) gets the Vary; any other goes unchanged
     * (RFC 9110 section 15.4.5: the ETag and Vary that 200 would carry).
     */
    static List<Header> notModified(List<Header> headers, List<Header> standsFor, boolean acceptsGzip, CompressibleTypes types,
                                    long minSize) {
        if (!compressible(200, standsFor, -1, types, minSize)) return headers;
        return withVary(acceptsGzip ? withWeakEtag(headers) : headers); // weak() leaves a weak tag as it is
    }

    /** The headers with {@code Accept-Encoding} added to their Vary (merged into the first one), unless it is there or is {@code *}. */
    static List<Header> withVary(List<Header> headers) {
        int first = -1;
        for (int i = 0; i < headers.size(); i++) {
            Header h = headers.get(i);
            if (!h.is("Vary")) continue;
            if (hasToken(h.value(), "accept-encoding") || hasToken(h.value(), "*")) return headers;
            if (first < 0) first = i;
        }
        List<Header> out = new ArrayList<>(headers);
        if (first < 0) {
            out.add(VARY);
        } else {
            Header vary = out.get(first);
            String value = vary.value().trim();
            out.set(first, Header.of(vary.name(), value.isEmpty() ? VARY.value() : value + ", " + VARY.value()));
        }
        return out;
    }

    /** The first value of a field, or null. */
    static String value(List<Header> headers, String name) {
        for (Header h : headers) {
            if (h.is(name)) return h.value();
        }
        return null;
    }

    /** The Content-Length given, or -1 if none (or one that is no number: the server refuses that). */
    static long contentLength(List<Header> headers) {
        String value = value(headers, "Content-Length");
        if (value == null) return -1;
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The status code of a status line such as {@code "200 OK"}, or -1 if it does not start with three digits. */
    static int statusCode(String status) {
        if (status == null || status.length() < 3) return -1;
        int code = 0;
        for (int i = 0; i < 3; i++) {
            char c = status.charAt(i);
            if (c < '0' || c > '9') return -1;
            code = code * 10 + (c - '0');
        }
        return code;
    }

    /**
     * A strong entity tag made weak ({@code "x"} becomes {@code W/"x"}): the compressed bytes are not the
     * ones the tag names, yet the same content, which a weak tag says (nginx does the same). Weak tags
     * and anything else are left as they are.
     */
    static String weak(String etag) {
        String tag = etag.trim();
        return tag.startsWith("\"") ? "W/" + tag : etag;
    }

    /** True if a comma-separated list ({@code Cache-Control}, {@code Vary}) holds {@code token}, ignoring case and parameters. */
    private static boolean hasToken(String list, String token) {
        for (String element : list.split(",")) {
            int equals = element.indexOf('=');
            String name = (equals < 0 ? element : element.substring(0, equals)).trim();
            if (name.toLowerCase(Locale.ROOT).equals(token)) return true;
        }
        return false;
    }
}
