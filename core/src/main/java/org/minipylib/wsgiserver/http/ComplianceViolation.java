package org.minipylib.wsgiserver.http;

/**
 * A way a request can deviate from RFC 9110/9112, by name. The parser refuses every one of them by
 * default; {@link HttpCompliance} relaxes the ones marked {@linkplain #relaxable() relaxable}, one by
 * one. The others let a proxy and this server disagree about where a request ends (request
 * smuggling) or which host it is for, so they are always refused.
 *
 * <p>Every refusal caused by one of these is a {@code 400 Bad Request} that names the violation
 * ({@link BadRequestException#violation()}). At most 64 constants: the parser keeps a bit per constant.
 */
public enum ComplianceViolation {

    // ---- relaxable: accepting them cannot change where a request ends ----

    /** A head line ends in LF alone (RFC 9112 section 2.2 lets a server accept it). */
    BARE_LF_LINE_ENDINGS("RFC 9112 §2.2", "a request-line or field line ends in LF without CR", true),
    /** A field value continues on the next line (RFC 9112 section 5.2); relaxed, each fold becomes one SP. */
    OBS_FOLD("RFC 9112 §5.2", "a field line is continued on the next line (obs-fold)", true),
    /** An HTTP/1.1 request without Host (RFC 9112 section 3.2 requires a 400). */
    MISSING_HOST("RFC 9112 §3.2", "an HTTP/1.1 request has no Host header", true),
    /** The target has a fragment ({@code #...}), which a client must not send (RFC 9112 section 3.2); relaxed, it is dropped. */
    FRAGMENT_IN_TARGET("RFC 9112 §3.2", "the request-target contains a fragment (#)", true),
    /** Bytes 0x80-0xFF in the target, not percent-encoded (RFC 3986 section 2); relaxed, kept as ISO-8859-1 characters. */
    OBS_TEXT_IN_TARGET("RFC 9112 §3.2, RFC 3986 §2", "the request-target contains non-ASCII bytes", true),
    /** ASCII characters RFC 3986 does not allow in a URI: {@code " < > \ ^ ` { | }}; relaxed, passed as sent. */
    UNSAFE_CHARACTER_IN_TARGET("RFC 9112 §3.2, RFC 3986 §2", "the request-target contains \" < > \\ ^ ` { | or }", true),
    /** The same Content-Length value repeated, in a list or in several fields (RFC 9110 section 8.6 lets a server accept it). */
    CONTENT_LENGTH_REPEATED("RFC 9110 §8.6, RFC 9112 §6.3", "Content-Length is repeated with the same value", true),
    /** Transfer-Encoding in an HTTP/1.0 request (RFC 9112 section 6.1); relaxed, the body is read as chunked and the connection closed after. */
    HTTP_1_0_TRANSFER_ENCODING("RFC 9112 §6.1", "an HTTP/1.0 request has Transfer-Encoding", true),
    /**
     * A percent-encoded control character ({@code %00}-{@code %1F}, {@code %7F}) in the path, which
     * PATH_INFO would carry decoded (RFC 3986 section 7.3: a NUL "should be rejected if the
     * application is not expecting to receive raw data"); relaxed, passed on decoded.
     */
    ENCODED_CONTROL_IN_PATH("RFC 3986 §7.3", "the path contains a percent-encoded control character (%00-%1F, %7F)", true),

    // ---- never relaxable: each one is a request smuggling or host confusion vector ----

    /** A CR not followed by LF anywhere in the head (RFC 9112 section 2.2: MUST be refused or replaced). */
    BARE_CR("RFC 9112 §2.2", "a CR is not followed by LF", false),
    /** Whitespace between a field name and its colon (RFC 9112 section 5.1: MUST be refused). */
    WHITESPACE_BEFORE_COLON("RFC 9112 §5.1", "whitespace between a field name and the colon", false),
    /** A field line that starts with whitespace right after the request line (RFC 9112 section 2.2). */
    WHITESPACE_BEFORE_FIRST_FIELD("RFC 9112 §2.2", "whitespace between the request-line and the first field", false),
    /** A field name that is not a token, or a field line without a colon (RFC 9110 section 5.1). */
    INVALID_FIELD_NAME("RFC 9110 §5.1, RFC 9112 §5", "a field name is not a token, or a field line has no colon", false),
    /** A control character other than HTAB in a field value (RFC 9110 section 5.5). */
    INVALID_FIELD_VALUE("RFC 9110 §5.5", "a field value contains a control character", false),
    /** Host present more than once (RFC 9112 section 3.2). */
    DUPLICATE_HOST("RFC 9112 §3.2", "more than one Host header", false),
    /** Host is not a valid uri-host [":" port] (RFC 9112 section 3.2, RFC 3986 section 3.2.2). */
    INVALID_HOST("RFC 9112 §3.2, RFC 3986 §3.2", "the Host header or target authority is not a valid host[:port]", false),
    /** Userinfo ({@code user@}) in an absolute-form target or Host (RFC 9110 section 4.2.4). */
    USERINFO_IN_TARGET("RFC 9110 §4.2.4", "the request-target or Host contains userinfo (user@)", false),
    /** The request-line is not method SP request-target SP HTTP-version (RFC 9112 section 3). */
    INVALID_REQUEST_LINE("RFC 9112 §3", "the request-line is malformed", false),
    /** The target is in none of the forms RFC 9112 section 3.2 allows for its method, or is absolute with a scheme other than http or https. */
    INVALID_TARGET_FORM("RFC 9112 §3.2", "the request-target is not origin, absolute, or (OPTIONS only) asterisk form", false),
    /** A {@code %} not followed by two hex digits in the path (RFC 3986 section 2.1). */
    INVALID_PERCENT_ENCODING("RFC 3986 §2.1", "a % in the path is not followed by two hex digits", false),
    /** A {@code ..} segment in the path (literal or {@code %2E%2E}) that climbs above the root (RFC 3986 section 5.2.4). */
    DOT_SEGMENT_ABOVE_ROOT("RFC 3986 §5.2.4", "a .. segment in the path climbs above the root", false),
    /** The version is not HTTP/DIGIT.DIGIT (RFC 9112 section 2.3). */
    INVALID_VERSION("RFC 9112 §2.3", "the HTTP version is malformed", false),
    /** Content-Length that is not 1*DIGIT (RFC 9110 section 8.6); one of more than 18 digits is a 413 instead. */
    INVALID_CONTENT_LENGTH("RFC 9110 §8.6", "Content-Length is not a decimal number", false),
    /** Content-Length values that differ (RFC 9112 section 6.3). */
    CONFLICTING_CONTENT_LENGTH("RFC 9112 §6.3", "Content-Length has different values", false),
    /** Both Transfer-Encoding and Content-Length (RFC 9112 section 6.1 and 6.3). */
    TRANSFER_ENCODING_WITH_CONTENT_LENGTH("RFC 9112 §6.1, §6.3", "both Transfer-Encoding and Content-Length", false),
    /** Transfer-Encoding whose final coding is not chunked, or chunked twice or with parameters (RFC 9112 section 6.3). */
    CHUNKED_NOT_FINAL("RFC 9112 §6.1, §6.3", "Transfer-Encoding does not end with exactly one chunked", false),
    /** A chunk-size line that is not 1*HEXDIG [chunk-ext] CRLF, or a size that overflows (RFC 9112 section 7.1). */
    INVALID_CHUNK_SIZE("RFC 9112 §7.1", "a chunk-size line is malformed or its size overflows", false),
    /** A malformed chunk extension (RFC 9112 section 7.1.1). */
    INVALID_CHUNK_EXTENSION("RFC 9112 §7.1.1", "a chunk extension is malformed", false),
    /** Chunk data not followed by CRLF, or a chunked body that ends before its last chunk (RFC 9112 section 7.1). */
    INVALID_CHUNK_FRAMING("RFC 9112 §7.1", "chunk data is not followed by CRLF, or the body ends early", false);

    private final String rfcSection;
    private final String description;
    private final boolean relaxable;

    ComplianceViolation(String rfcSection, String description, boolean relaxable) {
        this.rfcSection = rfcSection;
        this.description = description;
        this.relaxable = relaxable;
    }

    /** Where the rule is, e.g. {@code RFC 9112 §5.2}. */
    public String rfcSection() {
        return rfcSection;
    }

    /** What the violation is, in one line. */
    public String description() {
        return description;
    }

    /** True if {@link HttpCompliance#relaxing} may accept it; false for smuggling vectors. */
    public boolean relaxable() {
        return relaxable;
    }
}
