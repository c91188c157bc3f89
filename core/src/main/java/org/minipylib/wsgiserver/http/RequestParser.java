package org.minipylib.wsgiserver.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Parses a request head (RFC 9112 sections 2-3, 5 and 6) from bytes: no I/O, so it can be tested on
 * byte arrays. Strict by default: anything that could make two parties disagree about where a
 * request ends (request smuggling) is refused, with the status RFC 9110/9112 asks for.
 *
 * <p>A connection learns that its buffer holds a complete head from a {@link RequestHeadScanner}
 * (which also refuses heads that outgrow their limits while they arrive), then calls {@link #parse};
 * {@link #findHeadEnd} is the bare scan for the end, for a head already whole.
 * A parser logs each relaxed violation it accepts at DEBUG the first time; a parser lent to many
 * connections ({@link RequestParserPool}) is given each connection's record of what it logged
 * ({@link #violationsLogged(long)}), so that it logs once per connection. Not thread-safe.
 */
public final class RequestParser {

    private static final boolean[] TCHAR = HttpChars.TCHAR;
    /** RFC 3986 reg-name characters: unreserved and sub-delims ({@code %} is checked separately). */
    private static final boolean[] REG_NAME_CHAR = new boolean[256];
    /** What a byte in a request-target is: one of the TARGET_* values. */
    private static final byte[] TARGET_CLASS = new byte[256];
    private static final byte TARGET_OK = 0;
    private static final byte TARGET_INVALID = 1; // CTL, SP, DEL: ends or breaks the request-line
    private static final byte TARGET_UNSAFE = 2;  // " < > \ ^ ` { | }
    private static final byte TARGET_OBS_TEXT = 3;
    private static final byte TARGET_HASH = 4;
    /** What {@link #connectionOptions} found in a Connection field: bits of the options acted on (RFC 9112 section 9.3). */
    private static final int CONNECTION_CLOSE = 1;
    private static final int CONNECTION_KEEP_ALIVE = 2;

    static {
        for (char c = '0'; c <= '9'; c++) REG_NAME_CHAR[c] = true;
        for (char c = 'a'; c <= 'z'; c++) REG_NAME_CHAR[c] = true;
        for (char c = 'A'; c <= 'Z'; c++) REG_NAME_CHAR[c] = true;
        for (char c : "-._~!$&'()*+,;=".toCharArray()) REG_NAME_CHAR[c] = true;
        for (int c = 0; c < 0x21; c++) TARGET_CLASS[c] = TARGET_INVALID;
        TARGET_CLASS[0x7f] = TARGET_INVALID;
        for (char c : "\"<>\\^`{|}".toCharArray()) TARGET_CLASS[c] = TARGET_UNSAFE;
        for (int c = 0x80; c < 256; c++) TARGET_CLASS[c] = TARGET_OBS_TEXT;
        TARGET_CLASS['#'] = TARGET_HASH;
    }

    private static final System.Logger LOG = System.getLogger(RequestParser.class.getName());

    private final HttpLimits limits;
    private final HttpCompliance compliance;
    /** Relaxed violations already logged (one bit per ordinal), so each is logged once (per connection, when lent). */
    private long violationsLogged;

    /**
     * Field values of the previous head this parser parsed, by position: a client sends mostly the
     * same fields again in the same order (Host, User-Agent, Accept...), and clients of one kind
     * send the same as each other; a field whose bytes are the same reuses the checked String
     * instead of checking and copying them again.
     */
    private static final int REMEMBERED_FIELDS = 12;
    /**
     * The fields whose values are remembered (canonical names, as {@link KnownNames#header} gives
     * them): those that say what kind of client sent the request. Credentials, cookies, addresses,
     * referring URLs, tags and unknown fields are not: a parser is lent to many connections (and
     * behind a proxy one connection carries many clients), and a remembered value is matched
     * against the next client's bytes, a little faster where they agree.
     */
    private static final Set<String> REMEMBERED_NAMES = Set.of(
            "Host", "Accept", "Accept-Encoding", "Accept-Language", "Accept-Charset", "User-Agent",
            "Connection", "Content-Type", "Expect", "Origin", "Cache-Control", "Pragma", "Upgrade",
            "Upgrade-Insecure-Requests", "Keep-Alive", "TE", "X-Forwarded-Proto", "X-Forwarded-Host",
            "X-Requested-With", "Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "Sec-Fetch-User",
            "Priority", "DNT", "Content-Encoding", "Transfer-Encoding");
    /** Longer values are not remembered: a parser keeps little. */
    private static final int REMEMBERED_VALUE_MAX = 512;
    /** The fields of the head being parsed (reused: a request gets a compact copy). */
    private final HeaderFields fieldsInProgress = new HeaderFields();
    // The request line parseRequestLine just read, taken by parse(): fields, not a record, because a
    // record per request was not scalar-replaced (24 bytes more per request, ExchangeBenchmark).
    private String lineMethod;
    private String lineTarget;
    private int lineMinorVersion;
    private final String[] rememberedNames = new String[REMEMBERED_FIELDS];
    private final byte[][] rememberedBytes = new byte[REMEMBERED_FIELDS][];
    private final String[] rememberedValues = new String[REMEMBERED_FIELDS];
    /** The previous Host value found valid (the same String when the bytes repeat). */
    private String validHost;

    /** A parser for heads within {@code limits}, as strict as {@link HttpLimits#compliance()} says. */
    public RequestParser(HttpLimits limits) {
        this.limits = limits;
        this.compliance = limits.compliance();
    }

    /** The limits this parser checks heads against. */
    HttpLimits limits() {
        return limits;
    }

    /** Relaxed violations logged so far (one bit per {@link ComplianceViolation#ordinal()}). */
    long violationsLogged() {
        return violationsLogged;
    }

    /** Sets which relaxed violations count as logged already: the record of the connection this parser now parses for. */
    void violationsLogged(long logged) {
        violationsLogged = logged;
    }

    /**
     * Finds the end of a head that starts at {@code headStart}: the index just past the empty line
     * that ends it, or -1 if it is not complete within {@code b[headStart, to)}. Scanning resumes at
     * {@code from} (bytes before it were scanned already). Bare-LF line ends are recognised too, so
     * that such a head is found and then refused (or, if relaxed, accepted) by {@link #parse}, not
     * waited on.
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
     * @throws BadRequestException with the status to answer (400, 414, 417, 431, 501, 505); a 400
     *                             for a broken rule names it ({@link BadRequestException#violation()})
     */
    public RequestHead parse(byte[] b, int start, int end) throws BadRequestException {
        rejectBareCr(b, start, end);
        int lf = indexOf(b, (byte) '\n', start, end);
        if (lf < 0) throw violation(ComplianceViolation.INVALID_REQUEST_LINE, "Incomplete request line");
        parseRequestLine(b, start, lf);
        String method = lineMethod, target = lineTarget;
        lineMethod = lineTarget = null; // an idle connection keeps no strings of its last request
        HeaderFields fields = parseFieldLines(b, lf + 1, end);
        return interpret(method, target, lineMinorVersion, fields);
    }

    /**
     * Parses the request line in {@code b[start, lf)}, {@code lf} the index of its LF (RFC 9112
     * section 3: {@code method SP request-target SP HTTP-version}), into lineMethod, lineTarget and
     * lineMinorVersion.
     */
    private void parseRequestLine(byte[] b, int start, int lf) throws BadRequestException {
        int lineEnd = lineEnd(b, start, lf);
        if (lineEnd - start > limits.maxRequestLineLength()) throw RequestHeadScanner.overlongRequestLine(b, start, limits.maxRequestLineLength());
        int p = start;
        while (p < lineEnd && TCHAR[b[p] & 0xff]) p++;
        if (p == start || p >= lineEnd || b[p] != ' ') throw violation(ComplianceViolation.INVALID_REQUEST_LINE, "Malformed request line");
        String method = KnownNames.method(b, start, p - start);
        int targetStart = ++p;
        int fragment = -1;
        for (; p < lineEnd && b[p] != ' '; p++) {
            byte kind = TARGET_CLASS[b[p] & 0xff];
            if (kind != TARGET_OK) checkTargetByte(kind);
            if (kind == TARGET_HASH && fragment < 0) fragment = p;
        }
        if (p == targetStart) throw violation(ComplianceViolation.INVALID_REQUEST_LINE, "Malformed request line");
        if (p >= lineEnd) throw violation(ComplianceViolation.INVALID_REQUEST_LINE, "Missing HTTP version in request line");
        int targetEnd = fragment >= 0 ? fragment : p; // a relaxed fragment is dropped
        int minorVersion = parseVersion(b, p + 1, lineEnd);
        if (targetEnd == targetStart) throw violation(ComplianceViolation.INVALID_TARGET_FORM, "Empty request target");
        lineMethod = method;
        lineTarget = new String(b, targetStart, targetEnd - targetStart, StandardCharsets.ISO_8859_1);
        lineMinorVersion = minorVersion;
    }

    /**
     * Parses the field lines from {@code b[from, end)} up to the empty line that ends the head
     * (RFC 9112 section 5), checking the count and size limits.
     */
    private HeaderFields parseFieldLines(byte[] b, int from, int end) throws BadRequestException {
        HeaderFields headers = fieldsInProgress;
        headers.clear(); // a parse that failed may have left fields
        int pos = from;
        while (true) {
            int nl = indexOf(b, (byte) '\n', pos, end);
            if (nl < 0) throw bad("Incomplete header section");
            int lineEndAt = lineEnd(b, pos, nl); // the field line is b[pos, lineEndAt)
            if (lineEndAt == pos) break; // the empty line: not part of the section
            if (b[pos] == ' ' || b[pos] == '\t') {
                unfold(b, pos, lineEndAt, headers);
            } else if (headers.size() < REMEMBERED_FIELDS) {
                parseRememberedFieldLine(b, pos, lineEndAt, headers);
            } else {
                parseFieldLine(b, pos, lineEndAt, headers);
            }
            if (headers.size() > limits.maxHeaderCount()) {
                throw new BadRequestException(431, "More than " + limits.maxHeaderCount() + " header fields");
            }
            pos = nl + 1;
        }
        if (pos - from > limits.maxHeaderSectionSize()) { // field lines with their line ends
            throw new BadRequestException(431, "Header section is larger than " + limits.maxHeaderSectionSize() + " bytes");
        }
        HeaderFields fields = headers.compactCopy(); // arrays of exactly its size: about 120 bytes less per request than a fresh set
        headers.clear(); // an idle connection keeps no strings of its last request
        return fields;
    }

    /** RFC 9112 section 2.2: a CR must be followed by LF, everywhere in the head. */
    private static void rejectBareCr(byte[] b, int start, int end) throws BadRequestException {
        for (int i = start; i < end; i++) {
            if (b[i] == '\r' && (i + 1 >= end || b[i + 1] != '\n')) {
                throw violation(ComplianceViolation.BARE_CR, "CR not followed by LF");
            }
        }
    }

    /** The end of the line whose LF is at {@code lf}: before its CR, or (if allowed) at a bare LF. */
    private int lineEnd(byte[] b, int lineStart, int lf) throws BadRequestException {
        if (lf > lineStart && b[lf - 1] == '\r') return lf - 1;
        allowOrThrow(ComplianceViolation.BARE_LF_LINE_ENDINGS, "Line must end with CRLF");
        return lf;
    }

    private void checkTargetByte(byte kind) throws BadRequestException {
        switch (kind) {
            case TARGET_INVALID -> throw violation(ComplianceViolation.INVALID_REQUEST_LINE, "Invalid character in request target");
            case TARGET_UNSAFE -> allowOrThrow(ComplianceViolation.UNSAFE_CHARACTER_IN_TARGET, "Character not allowed in a URI in request target");
            case TARGET_OBS_TEXT -> allowOrThrow(ComplianceViolation.OBS_TEXT_IN_TARGET, "Non-ASCII byte in request target");
            case TARGET_HASH -> allowOrThrow(ComplianceViolation.FRAGMENT_IN_TARGET, "Fragment in request target");
            default -> { }
        }
    }

    private void allowOrThrow(ComplianceViolation v, String message) throws BadRequestException {
        if (!compliance.allows(v)) throw violation(v, message);
        if ((violationsLogged & (1L << v.ordinal())) == 0) { // the first time (on this connection, when lent)
            violationsLogged |= 1L << v.ordinal();
            LOG.log(System.Logger.Level.DEBUG, "Accepted a relaxed {0} ({1}): {2}", v.name(), v.rfcSection(), message);
        }
    }

    /** A relaxed obs-fold line: its content joins the previous field's value after one SP (RFC 9112 section 5.2). */
    private void unfold(byte[] b, int from, int to, HeaderFields headers) throws BadRequestException {
        if (headers.size() == 0) {
            throw violation(ComplianceViolation.WHITESPACE_BEFORE_FIRST_FIELD, "Whitespace before the first header field");
        }
        allowOrThrow(ComplianceViolation.OBS_FOLD, "Obsolete line folding (obs-fold) is not allowed");
        int s = from;
        int e = to;
        while (s < e && (b[s] == ' ' || b[s] == '\t')) s++;
        while (e > s && (b[e - 1] == ' ' || b[e - 1] == '\t')) e--;
        checkFieldValue(b, s, e);
        int last = headers.size() - 1;
        String name = headers.name(last);
        // a proxy that does not unfold the same way would frame or route the request differently
        if (isFramingOrHost(name)) {
            throw violation(ComplianceViolation.OBS_FOLD, "Obsolete line folding (obs-fold) in " + name + " is never allowed");
        }
        String misread = nameIfReadAsField(b, s, e);
        if (misread != null && isFramingOrHost(misread)) {
            throw violation(ComplianceViolation.OBS_FOLD, "A folded line that reads as a " + misread + " field is never allowed");
        }
        String previous = headers.value(last);
        String more = new String(b, s, e - s, StandardCharsets.ISO_8859_1);
        headers.setValue(last, previous.isEmpty() ? more : more.isEmpty() ? previous : previous + ' ' + more);
    }

    private static boolean isFramingOrHost(String name) {
        return is(name, "Transfer-Encoding") || is(name, "Content-Length") || is(name, "Host");
    }

    /** The field name a continuation line {@code b[from, to)} would have to a proxy that took it for a field line, or null. */
    private static String nameIfReadAsField(byte[] b, int from, int to) {
        int p = from;
        while (p < to && TCHAR[b[p] & 0xff]) p++;
        int nameEnd = p;
        while (p < to && (b[p] == ' ' || b[p] == '\t')) p++;
        return nameEnd > from && p < to && b[p] == ':' ? KnownNames.header(b, from, nameEnd - from) : null;
    }

    /** True if {@code b[from, to)} holds a space followed, later, by a byte that is not one. */
    private static boolean spaceBeforeLastWord(byte[] b, int from, int to) {
        int last = to - 1;
        while (last >= from && b[last] == ' ') last--;
        for (int i = from; i < last; i++) if (b[i] == ' ') return true;
        return false;
    }

    private static int parseVersion(byte[] b, int p, int lineEnd) throws BadRequestException {
        if (lineEnd - p != 8 || b[p] != 'H' || b[p + 1] != 'T' || b[p + 2] != 'T' || b[p + 3] != 'P'
                || b[p + 4] != '/' || !isDigit(b[p + 5]) || b[p + 6] != '.' || !isDigit(b[p + 7])) {
            if (spaceBeforeLastWord(b, p, lineEnd)) { // "GET /a b HTTP/1.1", "GET /a  HTTP/1.1": not the version's fault
                throw violation(ComplianceViolation.INVALID_REQUEST_LINE, "Malformed request line (a space in the target, or two)");
            }
            throw violation(ComplianceViolation.INVALID_VERSION, "Malformed HTTP version");
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
        int colon = fieldNameEnd(b, from, to);
        int vs = valueStart(b, colon + 1, to);
        int ve = valueEnd(b, vs, to);
        checkFieldValue(b, vs, ve);
        into.add(KnownNames.header(b, from, colon - from), latin1(b, vs, ve));
    }

    /**
     * As {@link #parseFieldLine}, for the field at position {@code headers.size()}: a value whose name
     * and bytes are those of the field at that position in the previous head this parser parsed
     * (if its value was remembered) is that field's String.
     */
    private void parseRememberedFieldLine(byte[] b, int from, int to, HeaderFields headers) throws BadRequestException {
        int index = headers.size();
        int colon = fieldNameEnd(b, from, to);
        String name = KnownNames.header(b, from, colon - from);
        int vs = valueStart(b, colon + 1, to);
        int ve = valueEnd(b, vs, to);
        byte[] known = rememberedBytes[index];
        if (known != null && name.equals(rememberedNames[index]) && Arrays.equals(b, vs, ve, known, 0, known.length)) {
            headers.add(name, rememberedValues[index]);
            return;
        }
        checkFieldValue(b, vs, ve);
        String value = latin1(b, vs, ve);
        boolean remember = ve - vs <= REMEMBERED_VALUE_MAX && REMEMBERED_NAMES.contains(name);
        rememberedNames[index] = remember ? name : null;
        rememberedBytes[index] = remember ? Arrays.copyOfRange(b, vs, ve) : null;
        rememberedValues[index] = remember ? value : null;
        headers.add(name, value);
    }

    /** The index of the colon after a field line's token name, or the violation the line commits. */
    private static int fieldNameEnd(byte[] b, int from, int to) throws BadRequestException {
        int c0 = b[from];
        if (c0 == ' ' || c0 == '\t') throw violation(ComplianceViolation.OBS_FOLD, "Obsolete line folding (obs-fold) is not allowed");
        int p = from;
        while (p < to && TCHAR[b[p] & 0xff]) p++;
        if (p == from) throw violation(ComplianceViolation.INVALID_FIELD_NAME, "Invalid header field name");
        if (p >= to || b[p] != ':') {
            if (p < to && (b[p] == ' ' || b[p] == '\t')) {
                int q = p;
                while (q < to && (b[q] == ' ' || b[q] == '\t')) q++;
                if (q < to && b[q] == ':') {
                    throw violation(ComplianceViolation.WHITESPACE_BEFORE_COLON, "Whitespace between header field name and colon");
                }
                p = q; // a name with whitespace inside it, or a line without a colon
            }
            throw violation(ComplianceViolation.INVALID_FIELD_NAME,
                    indexOf(b, (byte) ':', p, to) < 0 ? "Header field without a colon" : "Invalid character in header field name");
        }
        return p;
    }

    /** Where a field value starts: past the optional whitespace after the colon. */
    private static int valueStart(byte[] b, int p, int to) {
        while (p < to && (b[p] == ' ' || b[p] == '\t')) p++;
        return p;
    }

    /** Where a field value starting at {@code from} ends: before the optional trailing whitespace. */
    private static int valueEnd(byte[] b, int from, int to) {
        int ve = to;
        while (ve > from && (b[ve - 1] == ' ' || b[ve - 1] == '\t')) ve--;
        return ve;
    }

    private static String latin1(byte[] b, int from, int to) {
        return from == to ? "" : new String(b, from, to - from, StandardCharsets.ISO_8859_1);
    }

    /** RFC 9110 section 5.5: field-vchar, SP and HTAB only (obs-text allowed). */
    private static void checkFieldValue(byte[] b, int from, int to) throws BadRequestException {
        for (int i = from; i < to; i++) {
            int c = b[i] & 0xff;
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                throw violation(ComplianceViolation.INVALID_FIELD_VALUE, "Invalid character in header field value");
            }
        }
    }

    /**
     * What a parsed head means. The checks run in this order, and the first fault found is the one
     * answered: the request target's form, then the fields in the order they arrived (Content-Length,
     * Transfer-Encoding, Expect), then Host, then the body framing, then the path.
     */
    private RequestHead interpret(String method, String target, int minorVersion, HeaderFields headers)
            throws BadRequestException {
        String authority = absoluteFormAuthority(method, target);
        String rawPath;
        String query = null;
        if (target.equals("*")) { // asterisk-form, for OPTIONS
            rawPath = "*";
        } else { // origin-form, or absolute-form after its authority
            int pathStart = authority == null ? 0 : target.indexOf("://") + 3 + authority.length();
            int q = target.indexOf('?', pathStart);
            rawPath = q < 0 ? target.substring(pathStart) : target.substring(pathStart, q);
            if (rawPath.isEmpty()) rawPath = "/"; // an absolute-form without a path
            query = q < 0 ? null : target.substring(q + 1);
        }

        int hostCount = 0;
        String host = null;
        String contentLength = null;
        boolean transferEncoding = false;
        List<String> codings = null; // made for a Transfer-Encoding field only
        int connection = 0; // CONNECTION_* bits of the Connection fields
        boolean expectContinue = false;
        for (int i = 0; i < headers.size(); i++) {
            String name = headers.name(i);
            String value = headers.value(i);
            if (is(name, "Host")) {
                hostCount++;
                host = value;
            } else if (is(name, "Content-Length")) {
                contentLength = parseContentLength(value, contentLength);
            } else if (is(name, "Transfer-Encoding")) {
                transferEncoding = true;
                if (codings == null) codings = new ArrayList<>(2);
                parseTransferEncoding(value, codings);
            } else if (is(name, "Connection")) {
                connection |= connectionOptions(value);
            } else if (is(name, "Expect") && minorVersion == 1) {
                if (expectsContinue(value)) expectContinue = true;
            }
        }

        checkHostField(hostCount, host, minorVersion);
        if (authority != null) host = authority; // RFC 9112 section 3.2.2
        long length = bodyLength(contentLength, transferEncoding, codings, minorVersion);
        RequestHead.BodyFraming framing = transferEncoding ? RequestHead.BodyFraming.CHUNKED
                : length > 0 ? RequestHead.BodyFraming.CONTENT_LENGTH : RequestHead.BodyFraming.NONE;
        boolean keepAlive = staysOpen(minorVersion, connection, transferEncoding);
        String path = decodedPath(rawPath);
        return new RequestHead(method, target, rawPath, path, query, minorVersion, headers, host, framing,
                length, keepAlive, expectContinue);
    }

    /** RFC 9112 section 3.2: the authority of an absolute-form target, null for origin-form or asterisk-form; refuses any other. */
    private static String absoluteFormAuthority(String method, String target) throws BadRequestException {
        if (method.equals("CONNECT")) throw new BadRequestException(501, "CONNECT is not supported"); // authority-form, 3.2.3
        char first = target.charAt(0);
        if (first == '/') return null;
        if (target.equals("*")) { // 3.2.4
            if (!method.equals("OPTIONS")) {
                throw violation(ComplianceViolation.INVALID_TARGET_FORM, "Asterisk-form request target is only for OPTIONS");
            }
            return null;
        }
        int schemeEnd = target.indexOf("://");
        if (schemeEnd <= 0 || !isScheme(target, schemeEnd)) {
            throw violation(ComplianceViolation.INVALID_TARGET_FORM, "Invalid request target");
        }
        if (!isHttpScheme(target, schemeEnd)) { // RFC 9112 section 3.2.2: an origin server serves http and https URIs
            throw violation(ComplianceViolation.INVALID_TARGET_FORM, "Request target scheme is not http or https");
        }
        int authStart = schemeEnd + 3;
        int authEnd = authStart;
        while (authEnd < target.length() && target.charAt(authEnd) != '/' && target.charAt(authEnd) != '?') authEnd++;
        String authority = target.substring(authStart, authEnd);
        if (authority.indexOf('@') >= 0) {
            throw violation(ComplianceViolation.USERINFO_IN_TARGET, "Userinfo in request target");
        }
        if (authority.isEmpty() || !isValidHost(authority)) {
            throw violation(ComplianceViolation.INVALID_HOST, "Invalid authority in request target");
        }
        return authority;
    }

    /** RFC 9112 section 9.3: the close and keep-alive options of one Connection field value, as CONNECTION_* bits. */
    private static int connectionOptions(String value) {
        int options = 0;
        for (int from = 0; from <= value.length(); ) { // a list (RFC 9110 section 5.6.1), scanned without a string per member
            int to = FieldValueList.memberEnd(value, from);
            if (FieldValueList.memberIs(value, from, to, "close")) options |= CONNECTION_CLOSE;
            else if (FieldValueList.memberIs(value, from, to, "keep-alive")) options |= CONNECTION_KEEP_ALIVE;
            from = to + 1;
        }
        return options;
    }

    /**
     * RFC 9110 section 10.1.1: whether an Expect value (a list) expects 100-continue; any other
     * expectation is refused (417). Empty members are ignored (section 5.6.1), and a repeated
     * 100-continue is one, as in two Expect fields.
     */
    private static boolean expectsContinue(String value) throws BadRequestException {
        boolean expects = false;
        for (int from = 0; from <= value.length(); ) {
            int to = FieldValueList.memberEnd(value, from);
            if (FieldValueList.memberIs(value, from, to, "100-continue")) {
                expects = true;
            } else if (!FieldValueList.memberIs(value, from, to, "")) {
                throw new BadRequestException(417, "Unsupported expectation: " + value.substring(from, to).strip());
            }
            from = to + 1;
        }
        return expects;
    }

    /** RFC 9112 section 3.2 / RFC 9110 section 7.2: refuses a repeated or invalid Host field, and a missing one in HTTP/1.1. */
    private void checkHostField(int hostCount, String host, int minorVersion) throws BadRequestException {
        if (hostCount > 1) throw violation(ComplianceViolation.DUPLICATE_HOST, "More than one Host header");
        if (hostCount == 0 && minorVersion == 1) {
            allowOrThrow(ComplianceViolation.MISSING_HOST, "Missing Host header (required in HTTP/1.1)");
        }
        if (host != null) {
            if (host.indexOf('@') >= 0) throw violation(ComplianceViolation.USERINFO_IN_TARGET, "Userinfo in Host header");
            if (host != validHost) {
                if (!isValidHost(host)) throw violation(ComplianceViolation.INVALID_HOST, "Invalid Host header");
                validHost = host;
            }
        }
    }

    /** RFC 9112 sections 6.1-6.3: the body length Content-Length gives, or -1 (none, or chunked); refuses faulty framing fields. */
    private long bodyLength(String contentLength, boolean transferEncoding, List<String> codings, int minorVersion)
            throws BadRequestException {
        if (transferEncoding) {
            if (contentLength != null) {
                throw violation(ComplianceViolation.TRANSFER_ENCODING_WITH_CONTENT_LENGTH, "Both Transfer-Encoding and Content-Length");
            }
            if (minorVersion == 0) {
                allowOrThrow(ComplianceViolation.HTTP_1_0_TRANSFER_ENCODING, "Transfer-Encoding is not allowed in an HTTP/1.0 request");
            }
            checkCodings(codings);
            return -1;
        }
        if (contentLength == null) return -1;
        if (contentLength.length() > 18) { // a valid number (at most 18 digits fit a long), larger than any body limit
            throw new BadRequestException(413, "Content-Length is larger than the request body limit");
        }
        return Long.parseLong(contentLength);
    }

    /** RFC 9112 section 9.3: whether the connection persists after this request (not after an HTTP/1.0 Transfer-Encoding: 6.1). */
    private static boolean staysOpen(int minorVersion, int connectionOptions, boolean transferEncoding) {
        if ((connectionOptions & CONNECTION_CLOSE) != 0) return false;
        if (minorVersion == 1) return true;
        return (connectionOptions & CONNECTION_KEEP_ALIVE) != 0 && !transferEncoding;
    }

    /** RFC 3986 sections 2.1 and 5.2.4: the path percent-decoded, without dot segments; an encoded control (7.3) only if relaxed. */
    private String decodedPath(String rawPath) throws BadRequestException {
        String path = rawPath.equals("*") ? rawPath : PercentDecoder.decodePath(rawPath);
        if (path != rawPath && hasControlCharacter(path)) { // raw ones were refused with the target: these were encoded
            allowOrThrow(ComplianceViolation.ENCODED_CONTROL_IN_PATH, "Percent-encoded control character in the path");
        }
        return path;
    }

    /**
     * Checks one Content-Length field value against what earlier fields said ({@code previous}, or
     * null) and returns its canonical digits. RFC 9110 section 8.6: 1*DIGIT; a list, or a repeat,
     * only of identical values and only if {@link ComplianceViolation#CONTENT_LENGTH_REPEATED} is
     * relaxed; different values never.
     */
    private String parseContentLength(String value, String previous) throws BadRequestException {
        String result = previous;
        int i = 0;
        int n = value.length();
        while (i <= n) {
            int comma = value.indexOf(',', i);
            if (comma < 0) comma = n;
            int s = i;
            int e = comma;
            while (s < e && (value.charAt(s) == ' ' || value.charAt(s) == '\t')) s++;
            while (e > s && (value.charAt(e - 1) == ' ' || value.charAt(e - 1) == '\t')) e--;
            if (s == e) throw violation(ComplianceViolation.INVALID_CONTENT_LENGTH, "Invalid Content-Length");
            for (int k = s; k < e; k++) {
                char c = value.charAt(k);
                if (c < '0' || c > '9') throw violation(ComplianceViolation.INVALID_CONTENT_LENGTH, "Invalid Content-Length");
            }
            while (s < e - 1 && value.charAt(s) == '0') s++; // canonical: no leading zeros
            String v = value.substring(s, e);
            if (result != null) {
                if (!result.equals(v)) {
                    throw violation(ComplianceViolation.CONFLICTING_CONTENT_LENGTH, "Conflicting Content-Length values");
                }
                allowOrThrow(ComplianceViolation.CONTENT_LENGTH_REPEATED, "Content-Length is repeated");
            }
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
            if (bare.isEmpty()) throw violation(ComplianceViolation.CHUNKED_NOT_FINAL, "Invalid Transfer-Encoding");
            for (int k = 0; k < bare.length(); k++) {
                if (!HttpChars.isTokenChar(bare.charAt(k))) throw violation(ComplianceViolation.CHUNKED_NOT_FINAL, "Invalid Transfer-Encoding");
            }
            if (bare.equals("chunked") && semi >= 0) {
                throw violation(ComplianceViolation.CHUNKED_NOT_FINAL, "Transfer-Encoding: chunked takes no parameters");
            }
            codings.add(bare);
        }
    }

    /**
     * RFC 9112 section 6.1/6.3: chunked must be the final coding, and only once (else 400); any other
     * coding is one we do not implement (501).
     */
    private static void checkCodings(List<String> codings) throws BadRequestException {
        if (codings.isEmpty() || !codings.get(codings.size() - 1).equals("chunked")) {
            throw violation(ComplianceViolation.CHUNKED_NOT_FINAL, "Transfer-Encoding does not end with chunked");
        }
        for (int i = 0; i < codings.size() - 1; i++) {
            if (codings.get(i).equals("chunked")) {
                throw violation(ComplianceViolation.CHUNKED_NOT_FINAL, "Transfer-Encoding: chunked is not the final coding");
            }
        }
        if (codings.size() > 1) {
            throw new BadRequestException(501, "Transfer-Encoding " + codings.get(0) + " is not implemented");
        }
    }

    /**
     * RFC 9112 section 3.2 / RFC 3986 section 3.2.2: {@code uri-host [":" port]}, where uri-host is an
     * IP-literal in brackets or a reg-name (an IPv4 address is one too); may be empty.
     */
    static boolean isValidHost(String host) {
        int n = host.length();
        int i = 0;
        if (n > 0 && host.charAt(0) == '[') {
            int close = host.indexOf(']');
            if (close < 2 || IpLiteral.ipv6(host.substring(1, close)) == null) return false; // IPvFuture too
            i = close + 1;
        } else {
            while (i < n && host.charAt(i) != ':') {
                char c = host.charAt(i);
                if (c == '%') {
                    if (i + 2 >= n || !HttpChars.isHexDigit(host.charAt(i + 1)) || !HttpChars.isHexDigit(host.charAt(i + 2))) return false;
                    i += 3;
                    continue;
                }
                // a comma is a list separator first: two Host lines joined by a proxy look like "a,b"
                if (c >= 256 || !REG_NAME_CHAR[c] || c == ',') return false;
                i++;
            }
            if (i == 0 && n > 0) return false; // ":80": a port without a host (RFC 9110 section 4.2.1: an empty host MUST be refused)
        }
        if (i == n) return true;
        if (host.charAt(i) != ':') return false;
        for (i++; i < n; i++) {
            char c = host.charAt(i);
            if (c < '0' || c > '9') return false;
        }
        return true;
    }

    private static boolean hasControlCharacter(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) return true;
        }
        return false;
    }

    /** {@code http} or {@code https}, in any case (RFC 3986 section 3.1: schemes are case-insensitive). */
    private static boolean isHttpScheme(String target, int end) {
        return (end == 4 || end == 5) && target.regionMatches(true, 0, "https", 0, end);
    }

    /** RFC 3986 section 3.1: {@code ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )}, ASCII only. */
    private static boolean isScheme(String target, int end) {
        if (!isAsciiLetter(target.charAt(0))) return false;
        for (int i = 1; i < end; i++) {
            char c = target.charAt(i);
            if (!(isAsciiLetter(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')) return false;
        }
        return true;
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean is(String name, String known) {
        return name == known || name.equalsIgnoreCase(known);
    }

    private static boolean isDigit(byte c) {
        return c >= '0' && c <= '9';
    }

    /**
     * The first line of {@code b[from, from + length)}, the start of a request as far as it arrived
     * (up to 1024 bytes of it), for the access log entry of a refusal; null if it is empty.
     */
    public static String firstLine(byte[] b, int from, int length) {
        int end = from;
        int limit = from + Math.min(length, 1024);
        while (end < limit && b[end] != '\r' && b[end] != '\n') end++;
        return end == from ? null : new String(b, from, end - from, StandardCharsets.ISO_8859_1);
    }

    /**
     * Whether {@code b[from, from + length)}, the start of a request as far as it arrived, is a HEAD
     * request (methods are case-sensitive, RFC 9110 section 9.1): its error answer has no content.
     */
    public static boolean startsWithHeadMethod(byte[] b, int from, int length) {
        return length >= 5 && b[from] == 'H' && b[from + 1] == 'E' && b[from + 2] == 'A' && b[from + 3] == 'D'
                && b[from + 4] == ' ';
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

    private static BadRequestException violation(ComplianceViolation v, String message) {
        return BadRequestException.violation(v, message);
    }
}
