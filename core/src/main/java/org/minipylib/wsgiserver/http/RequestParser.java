package org.minipylib.wsgiserver.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Parses a request head (RFC 9112 sections 2-3, 5 and 6) from bytes: no I/O, so it can be tested on
 * byte arrays. Strict by default: anything that could make two parties disagree about where a
 * request ends (request smuggling) is refused, with the status RFC 9110/9112 asks for.
 *
 * <p>Use {@link #findHeadEnd} to learn whether a buffer holds a complete head, then {@link #parse}.
 */
public final class RequestParser {

    private static final boolean[] TCHAR = new boolean[256];
    private static final boolean[] HOST_CHAR = new boolean[256];

    static {
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) TCHAR[c] = true;
        for (char c = '0'; c <= '9'; c++) TCHAR[c] = true;
        for (char c = 'a'; c <= 'z'; c++) TCHAR[c] = true;
        for (char c = 'A'; c <= 'Z'; c++) TCHAR[c] = true;
        // RFC 3986 reg-name / IP-literal / port characters
        for (char c : "-._~!$&'()*+,;=:[]%".toCharArray()) HOST_CHAR[c] = true;
        for (char c = '0'; c <= '9'; c++) HOST_CHAR[c] = true;
        for (char c = 'a'; c <= 'z'; c++) HOST_CHAR[c] = true;
        for (char c = 'A'; c <= 'Z'; c++) HOST_CHAR[c] = true;
    }

    private final HttpLimits limits;

    public RequestParser(HttpLimits limits) {
        this.limits = limits;
    }

    /** True if {@code c} may appear in a token (RFC 9110 section 5.6.2). */
    public static boolean isTokenChar(int c) {
        return c >= 0 && c < 256 && TCHAR[c];
    }

    /**
     * Finds the end of a head that starts at {@code headStart}: the index just past the empty line
     * that ends it, or -1 if it is not complete within {@code b[headStart, to)}. Scanning resumes at
     * {@code from} (bytes before it were scanned already). Bare-LF line ends are recognised too, so
     * that such a head is found and then refused by {@link #parse}, not waited on.
     */
    public static int findHeadEnd(byte[] b, int headStart, int from, int to) {
        for (int i = Math.max(from, headStart); i < to; i++) {
            if (b[i] != '\n') continue;
            if (i - 1 >= headStart && b[i - 1] == '\n') return i + 1;
            if (i - 2 >= headStart && b[i - 1] == '\r' && b[i - 2] == '\n') return i + 1;
        }
        return -1;
    }

    /**
     * Parses the head in {@code b[start, end)}, where {@code end} came from {@link #findHeadEnd}.
     *
     * @throws BadRequestException with the status to answer (400, 414, 417, 431, 501, 505)
     */
    public RequestHead parse(byte[] b, int start, int end) throws BadRequestException {
        int lf = indexOf(b, (byte) '\n', start, end);
        if (lf < 0) throw bad("Incomplete request line");
        if (lf == start || b[lf - 1] != '\r') throw bad("Request line must end with CRLF");
        int lineEnd = lf - 1;
        if (lineEnd - start > limits.maxRequestLineLength()) {
            throw new BadRequestException(414, "Request line is longer than " + limits.maxRequestLineLength() + " bytes");
        }

        // method SP request-target SP HTTP-version
        int p = start;
        while (p < lineEnd && TCHAR[b[p] & 0xff]) p++;
        if (p == start || p >= lineEnd || b[p] != ' ') throw bad("Malformed request line");
        String method = KnownNames.method(b, start, p - start);
        int targetStart = ++p;
        while (p < lineEnd && b[p] != ' ') {
            int c = b[p] & 0xff;
            if (c < 0x21 || c == 0x7f) throw bad("Invalid character in request target");
            p++;
        }
        if (p == targetStart) throw bad("Malformed request line");
        if (p >= lineEnd) throw bad("Missing HTTP version in request line");
        int targetEnd = p++;
        int minorVersion = parseVersion(b, p, lineEnd);

        String target = new String(b, targetStart, targetEnd - targetStart, StandardCharsets.ISO_8859_1);

        HeaderFields headers = new HeaderFields();
        int pos = lf + 1;
        while (true) {
            int nl = indexOf(b, (byte) '\n', pos, end);
            if (nl < 0) throw bad("Incomplete header section");
            if (nl == pos || b[nl - 1] != '\r') throw bad("Header line must end with CRLF");
            int lineEndAt = nl - 1; // the field line is b[pos, lineEndAt)
            if (lineEndAt == pos) {
                pos = nl + 1;
                break;
            }
            parseFieldLine(b, pos, lineEndAt, headers);
            if (headers.size() > limits.maxHeaderCount()) {
                throw new BadRequestException(431, "More than " + limits.maxHeaderCount() + " header fields");
            }
            pos = nl + 1;
        }
        if (pos - (lf + 1) > limits.maxHeaderSectionSize()) {
            throw new BadRequestException(431, "Header section is larger than " + limits.maxHeaderSectionSize() + " bytes");
        }
        return interpret(method, target, minorVersion, headers);
    }

    private static int parseVersion(byte[] b, int p, int lineEnd) throws BadRequestException {
        if (lineEnd - p != 8 || b[p] != 'H' || b[p + 1] != 'T' || b[p + 2] != 'T' || b[p + 3] != 'P'
                || b[p + 4] != '/' || !isDigit(b[p + 5]) || b[p + 6] != '.' || !isDigit(b[p + 7])) {
            throw bad("Malformed HTTP version");
        }
        int major = b[p + 5] - '0';
        int minor = b[p + 7] - '0';
        if (major != 1) throw new BadRequestException(505, "HTTP version " + major + "." + minor + " is not supported");
        return minor == 0 ? 0 : 1; // HTTP/1.2+ is answered as HTTP/1.1 (RFC 9110 section 2.5)
    }

    /**
     * Parses one field line {@code b[from, to)} (without its CRLF) into {@code into}: RFC 9112
     * section 5 with no obs-fold, no whitespace before the colon, token names, and values free of
     * control characters other than HTAB.
     */
    static void parseFieldLine(byte[] b, int from, int to, HeaderFields into) throws BadRequestException {
        int c0 = b[from];
        if (c0 == ' ' || c0 == '\t') throw bad("Obsolete line folding (obs-fold) is not allowed");
        int p = from;
        while (p < to && TCHAR[b[p] & 0xff]) p++;
        if (p == from) throw bad("Invalid header field name");
        if (p >= to || b[p] != ':') {
            if (p < to && (b[p] == ' ' || b[p] == '\t')) throw bad("Whitespace between header field name and colon");
            throw bad(p >= to ? "Header field without a colon" : "Invalid character in header field name");
        }
        String name = KnownNames.header(b, from, p - from);
        p++;
        while (p < to && (b[p] == ' ' || b[p] == '\t')) p++;
        int ve = to;
        while (ve > p && (b[ve - 1] == ' ' || b[ve - 1] == '\t')) ve--;
        for (int i = p; i < ve; i++) {
            int c = b[i] & 0xff;
            if ((c < 0x20 && c != '\t') || c == 0x7f) throw bad("Invalid character in header field value");
        }
        into.add(name, ve == p ? "" : new String(b, p, ve - p, StandardCharsets.ISO_8859_1));
    }

    private RequestHead interpret(String method, String target, int minorVersion, HeaderFields headers)
            throws BadRequestException {
        String rawPath;
        String query = null;
        String authority = null;
        if (method.equals("CONNECT")) throw new BadRequestException(501, "CONNECT is not supported");
        char first = target.charAt(0);
        if (first == '/') {
            int q = target.indexOf('?');
            rawPath = q < 0 ? target : target.substring(0, q);
            query = q < 0 ? null : target.substring(q + 1);
        } else if (target.equals("*")) {
            if (!method.equals("OPTIONS")) throw bad("Asterisk-form request target is only for OPTIONS");
            rawPath = "*";
        } else {
            int schemeEnd = target.indexOf("://");
            if (schemeEnd <= 0 || !isScheme(target, schemeEnd)) throw bad("Invalid request target");
            int authStart = schemeEnd + 3;
            int authEnd = authStart;
            while (authEnd < target.length() && target.charAt(authEnd) != '/' && target.charAt(authEnd) != '?') authEnd++;
            authority = target.substring(authStart, authEnd);
            if (authority.isEmpty() || authority.indexOf('@') >= 0) throw bad("Invalid authority in request target");
            int q = target.indexOf('?', authEnd);
            rawPath = q < 0 ? target.substring(authEnd) : target.substring(authEnd, q);
            if (rawPath.isEmpty()) rawPath = "/";
            query = q < 0 ? null : target.substring(q + 1);
        }
        if (target.indexOf('#') >= 0) throw bad("Fragment in request target");

        int hostCount = 0;
        String host = null;
        String contentLength = null;
        boolean transferEncoding = false;
        List<String> codings = new ArrayList<>(2);
        boolean close = false;
        boolean keepAliveToken = false;
        boolean expectContinue = false;
        for (int i = 0; i < headers.size(); i++) {
            String name = headers.name(i);
            String value = headers.value(i);
            if (is(name, "Host")) {
                hostCount++;
                host = value;
            } else if (is(name, "Content-Length")) {
                String v = parseContentLength(value);
                if (contentLength != null && !contentLength.equals(v)) throw bad("Conflicting Content-Length values");
                contentLength = v;
            } else if (is(name, "Transfer-Encoding")) {
                transferEncoding = true;
                parseTransferEncoding(value, codings);
            } else if (is(name, "Connection")) {
                for (String token : value.split(",")) {
                    String t = token.trim();
                    if (t.equalsIgnoreCase("close")) close = true;
                    else if (t.equalsIgnoreCase("keep-alive")) keepAliveToken = true;
                }
            } else if (is(name, "Expect") && minorVersion == 1) {
                String v = value.trim();
                if (v.equalsIgnoreCase("100-continue")) expectContinue = true;
                else if (!v.isEmpty()) throw new BadRequestException(417, "Unsupported expectation: " + v);
            }
        }

        if (minorVersion == 1) {
            if (hostCount == 0) throw bad("Missing Host header (required in HTTP/1.1)");
            if (hostCount > 1) throw bad("More than one Host header");
        } else if (hostCount > 1) {
            throw bad("More than one Host header");
        }
        if (host != null && !isValidHost(host)) throw bad("Invalid Host header");
        if (authority != null) {
            if (!isValidHost(authority)) throw bad("Invalid authority in request target");
            host = authority;
        }

        RequestHead.BodyFraming framing = RequestHead.BodyFraming.NONE;
        long length = -1;
        if (transferEncoding) {
            if (minorVersion == 0) throw bad("Transfer-Encoding is not allowed in an HTTP/1.0 request");
            if (contentLength != null) throw bad("Both Transfer-Encoding and Content-Length");
            checkCodings(codings);
            framing = RequestHead.BodyFraming.CHUNKED;
        } else if (contentLength != null) {
            length = Long.parseLong(contentLength);
            framing = length == 0 ? RequestHead.BodyFraming.NONE : RequestHead.BodyFraming.CONTENT_LENGTH;
        }
        boolean keepAlive = minorVersion == 1 ? !close : keepAliveToken && !close;

        String path = rawPath.equals("*") ? rawPath : PercentDecoder.decodePath(rawPath);
        return new RequestHead(method, target, rawPath, path, query, minorVersion, headers, host, framing,
                length, keepAlive, expectContinue);
    }

    /** Returns the canonical digits of a Content-Length value (a list of identical values is allowed). */
    private static String parseContentLength(String value) throws BadRequestException {
        String result = null;
        int i = 0;
        int n = value.length();
        while (i <= n) {
            int comma = value.indexOf(',', i);
            if (comma < 0) comma = n;
            int s = i;
            int e = comma;
            while (s < e && (value.charAt(s) == ' ' || value.charAt(s) == '\t')) s++;
            while (e > s && (value.charAt(e - 1) == ' ' || value.charAt(e - 1) == '\t')) e--;
            if (s == e) throw bad("Invalid Content-Length");
            for (int k = s; k < e; k++) {
                char c = value.charAt(k);
                if (c < '0' || c > '9') throw bad("Invalid Content-Length");
            }
            // strip leading zeros, then at most 18 digits fit a long
            while (s < e - 1 && value.charAt(s) == '0') s++;
            if (e - s > 18) throw bad("Content-Length is too large");
            String v = value.substring(s, e);
            if (result != null && !result.equals(v)) throw bad("Conflicting Content-Length values");
            result = v;
            i = comma + 1;
        }
        return result;
    }

    /** Adds the codings of one Transfer-Encoding field line to {@code codings} (lower-cased). */
    private static void parseTransferEncoding(String value, List<String> codings) throws BadRequestException {
        for (String element : value.split(",", -1)) {
            String coding = element.trim();
            if (coding.isEmpty()) continue; // empty list elements are allowed (RFC 9110 section 5.6.1)
            int semi = coding.indexOf(';');
            String bare = (semi < 0 ? coding : coding.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
            if (bare.isEmpty()) throw bad("Invalid Transfer-Encoding");
            for (int k = 0; k < bare.length(); k++) {
                if (!isTokenChar(bare.charAt(k))) throw bad("Invalid Transfer-Encoding");
            }
            if (bare.equals("chunked") && semi >= 0) throw bad("Transfer-Encoding: chunked takes no parameters");
            codings.add(bare);
        }
    }

    /**
     * RFC 9112 section 6.1/6.3: chunked must be the final coding, and only once (else 400); any other
     * coding is one we do not implement (501).
     */
    private static void checkCodings(List<String> codings) throws BadRequestException {
        if (codings.isEmpty() || !codings.get(codings.size() - 1).equals("chunked")) {
            throw bad("Transfer-Encoding does not end with chunked");
        }
        for (int i = 0; i < codings.size() - 1; i++) {
            if (codings.get(i).equals("chunked")) throw bad("Transfer-Encoding: chunked is not the final coding");
        }
        if (codings.size() > 1) {
            throw new BadRequestException(501, "Transfer-Encoding " + codings.get(0) + " is not implemented");
        }
    }

    private static boolean isValidHost(String host) {
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c >= 256 || !HOST_CHAR[c]) return false;
        }
        return true;
    }

    private static boolean isScheme(String target, int end) {
        if (!Character.isLetter(target.charAt(0))) return false;
        for (int i = 1; i < end; i++) {
            char c = target.charAt(i);
            if (!(c < 128 && (Character.isLetterOrDigit(c) || c == '+' || c == '-' || c == '.'))) return false;
        }
        return true;
    }

    private static boolean is(String name, String known) {
        return name == known || name.equalsIgnoreCase(known);
    }

    private static boolean isDigit(byte c) {
        return c >= '0' && c <= '9';
    }

    static int indexOf(byte[] b, byte value, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == value) return i;
        }
        return -1;
    }

    private static BadRequestException bad(String message) {
        return BadRequestException.badRequest(message);
    }
}
