package org.minipylib.wsgiserver.http;

/**
 * A parsed request head: the request line, the header fields, and what they say about framing and
 * the connection. Produced by {@link RequestParser}; immutable once built.
 */
public final class RequestHead {

    /** Body framing of a request (RFC 9112 section 6.3). */
    public enum BodyFraming { NONE, CONTENT_LENGTH, CHUNKED }

    private final String method;
    private final String target;
    private final String rawPath;
    private final String path;
    private final String query;
    private final int minorVersion;
    private final HeaderFields headers;
    private final String host;
    private final BodyFraming framing;
    private final long contentLength;
    private final boolean keepAlive;
    private final boolean expectContinue;

    RequestHead(String method, String target, String rawPath, String path, String query, int minorVersion,
                HeaderFields headers, String host, BodyFraming framing, long contentLength,
                boolean keepAlive, boolean expectContinue) {
        this.method = method;
        this.target = target;
        this.rawPath = rawPath;
        this.path = path;
        this.query = query;
        this.minorVersion = minorVersion;
        this.headers = headers;
        this.host = host;
        this.framing = framing;
        this.contentLength = contentLength;
        this.keepAlive = keepAlive;
        this.expectContinue = expectContinue;
    }

    /** The method, e.g. {@code GET} (case-sensitive, as sent). */
    public String method() { return method; }

    /** The request target exactly as sent: {@code /a%20b?x=1}, {@code *}, or an absolute URI. */
    public String target() { return target; }

    /** The path of the target, still percent-encoded ({@code *} for an asterisk-form target). */
    public String rawPath() { return rawPath; }

    /** The path, percent-decoded byte for byte to ISO-8859-1 characters, with {@code %2F} kept encoded. */
    public String path() { return path; }

    /** The query (after {@code ?}, raw), or {@code null} if the target has none. */
    public String query() { return query; }

    /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
    public int minorVersion() { return minorVersion; }

    /** {@code HTTP/1.0} or {@code HTTP/1.1}. */
    public String protocol() { return minorVersion == 0 ? "HTTP/1.0" : "HTTP/1.1"; }

    /** The header fields in order. */
    public HeaderFields headers() { return headers; }

    /**
     * The host the request is for: the authority of an absolute-form target, else the Host header
     * (RFC 9112 section 3.2.2); {@code null} if there is neither (HTTP/1.0 only).
     */
    public String host() { return host; }

    /** How the request body is framed. */
    public BodyFraming framing() { return framing; }

    /** The declared Content-Length, or -1 if the body is chunked or absent. */
    public long contentLength() { return contentLength; }

    /** True if the client is willing to keep the connection open after this request. */
    public boolean keepAlive() { return keepAlive; }

    /** True if the client sent {@code Expect: 100-continue} (HTTP/1.1 only). */
    public boolean expectContinue() { return expectContinue; }

    /** True for HEAD, whose response carries no body. */
    public boolean isHead() { return "HEAD".equals(method); }

    /**
     * The request line, e.g. {@code GET / HTTP/1.1} (for logs): the method and target as sent, and the
     * version the request is served as ({@code HTTP/1.2} and later are served, and so logged, as
     * {@code HTTP/1.1}: RFC 9110 section 2.5).
     */
    public String requestLine() {
        return method + ' ' + target + ' ' + protocol();
    }

    @Override
    public String toString() {
        return requestLine();
    }
}
