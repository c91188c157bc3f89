package org.minipylib.wsgiserver.http;

/**
 * Decodes the percent-encoding of a request path the way PEP 3333 wants PATH_INFO: each decoded
 * byte becomes one ISO-8859-1 character. {@code %2F} (an encoded slash; {@code %2f} too, as {@code %2F}) stays encoded, so that it
 * cannot be mistaken for a path separator; and so does a {@code %25} (an encoded percent sign)
 * that two hex digits follow, so that the percent sign cannot be mistaken for an escape:
 * {@code /a%252Fb} stays apart from {@code /a%2Fb}, and {@code /a%25ab} from {@code /a%ab}. In the
 * result, a {@code %} followed by two hex digits is always an escape ({@code %2F} or {@code %25}),
 * so no two paths share a PATH_INFO.
 *
 * <p>Dot segments are then resolved (RFC 3986 sections 5.2.4 and 6.2.2: {@code %2E} is a dot like
 * any other): {@code /a/./b} and {@code /a/x/../b} become {@code /a/b}, so that a path-prefix
 * mount, or an access rule keyed on the path, sees the path the request names. A {@code ..}
 * above the root is refused.
 */
public final class PercentDecoder {

    private PercentDecoder() {
    }

    /**
     * Decodes {@code raw}, whose characters are bytes (ISO-8859-1).
     *
     * @throws BadRequestException on a {@code %} not followed by two hex digits
     */
    public static String decodePath(String raw) throws BadRequestException {
        return removeDotSegments(percentDecode(raw));
    }

    private static String percentDecode(String raw) throws BadRequestException {
        int first = raw.indexOf('%');
        if (first < 0) return raw;
        StringBuilder sb = new StringBuilder(raw.length());
        sb.append(raw, 0, first);
        for (int i = first; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c != '%') {
                sb.append(c);
                continue;
            }
            int b = decodedAt(raw, i);
            if (b < 0) throw malformed();
            if (b == '/' || (b == '%' && twoHexDigitsFollow(raw, i + 3))) {
                sb.append(b == '/' ? "%2F" : "%25"); // kept encoded; %2f too is %2F (RFC 3986 section 6.2.2.1)
            } else {
                sb.append((char) b);
            }
            i += 2;
        }
        return sb.toString();
    }

    /**
     * Resolves the {@code .} and {@code ..} segments of a decoded path (RFC 3986 section 5.2.4);
     * segments are split at {@code /} only, so an encoded slash never separates one.
     *
     * @throws BadRequestException if a {@code ..} climbs above the root
     */
    static String removeDotSegments(String path) throws BadRequestException {
        if (path.indexOf("/.") < 0 || !path.startsWith("/")) return path; // no segment starts with a dot
        StringBuilder out = null; // made at the first dot segment
        int n = path.length();
        for (int i = 0; i < n; ) { // path[i] is the '/' before a segment
            int next = path.indexOf('/', i + 1);
            if (next < 0) next = n;
            int length = next - i - 1;
            boolean dot = length == 1 && path.charAt(i + 1) == '.';
            boolean dotDot = length == 2 && path.charAt(i + 1) == '.' && path.charAt(i + 2) == '.';
            if (dot || dotDot) {
                if (out == null) out = new StringBuilder(n).append(path, 0, i);
                if (dotDot) {
                    if (out.isEmpty()) {
                        throw BadRequestException.violation(ComplianceViolation.DOT_SEGMENT_ABOVE_ROOT,
                                "The path climbs above the root");
                    }
                    out.setLength(out.lastIndexOf("/"));
                }
                if (next == n) out.append('/'); // "/a/." and "/a/b/.." name the directory: "/a/"
            } else if (out != null) {
                out.append(path, i, next);
            }
            i = next;
        }
        if (out == null) return path;
        return out.isEmpty() ? "/" : out.toString();
    }

    /** Whether the path decoded from {@code raw[from...]} starts with two hex digits. */
    private static boolean twoHexDigitsFollow(String raw, int from) {
        if (HttpChars.hexValue(decodedAt(raw, from)) < 0) return false;
        return HttpChars.hexValue(decodedAt(raw, from + (raw.charAt(from) == '%' ? 3 : 1))) >= 0;
    }


    /** The byte the path decodes to at {@code raw[at]}, or -1 past its end or at a malformed escape. */
    private static int decodedAt(String raw, int at) {
        if (at >= raw.length()) return -1;
        char c = raw.charAt(at);
        if (c != '%') return c;
        if (at + 2 >= raw.length()) return -1;
        int hi = HttpChars.hexValue(raw.charAt(at + 1));
        int lo = HttpChars.hexValue(raw.charAt(at + 2));
        return hi < 0 || lo < 0 ? -1 : (hi << 4) | lo;
    }

    private static BadRequestException malformed() {
        return BadRequestException.violation(ComplianceViolation.INVALID_PERCENT_ENCODING, "Malformed percent-encoding in path");
    }
}
