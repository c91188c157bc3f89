package org.minipylib.wsgiserver.wsgi;

import org.minipylib.wsgiserver.BodyWriter;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.StartResponse;
import org.minipylib.wsgiserver.http.HttpResponse;
import org.minipylib.wsgiserver.http.HttpStatus;
import org.minipylib.wsgiserver.http.LogText;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;

/**
 * PEP 3333's {@code start_response} and {@code write} for one request, on top of the HTTP layer's
 * {@link HttpResponse}: remembers status and headers, sends them at the first non-empty body chunk
 * (or at the end for an empty body), and implements the {@code exc_info} rules.
 */
final class WsgiResponse implements StartResponse, BodyWriter {

    /** Hop-by-hop headers an application may not set (PEP 3333; Connection is allowed for "close"). */
    private static final String[] HOP_BY_HOP = {"Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
            "TE", "Trailer", "Trailers", "Transfer-Encoding", "Upgrade"};

    private final HttpResponse http;
    private final CheckedStarts checked;
    private final boolean head;
    private boolean started;
    private int status;
    private String reason;
    private List<Header> headers;
    private long bodyLength = -1;
    /** Body bytes the application gave (returned or written), sent or not. */
    private long given;

    WsgiResponse(HttpResponse http, CheckedStarts checked, boolean head) {
        this.http = http;
        this.checked = checked;
        this.head = head;
    }

    /**
     * The status line and header list most recently checked, shared by the requests of one gateway.
     * Applications usually pass the same constant status string and immutable header list to every
     * call: such a list, once checked, need not be checked again (an immutable list of immutable
     * headers cannot change), and a string is immutable too. A race between two threads only costs
     * a check.
     */
    static final class CheckedStarts {
        private volatile ParsedStatus status;
        /** An immutable header list found valid. */
        private volatile List<Header> headers;
    }

    private record ParsedStatus(String text, int code, String reason) {
    }

    @Override
    public BodyWriter start(String status, List<Header> headers, Throwable excInfo) {
        if (excInfo != null) {
            if (http.isCommitted()) {
                // PEP 3333: too late to change the response; re-raise so the server aborts it.
                if (excInfo instanceof RuntimeException re) throw re;
                if (excInfo instanceof Error err) throw err;
                throw new IllegalStateException("Response already started", excInfo);
            }
        } else if (started) {
            throw new IllegalStateException("start() was already called for this response (pass excInfo to replace it)");
        }
        ParsedStatus parsed = checked.status;
        if (parsed == null || parsed.text() != status) {
            parsed = parseStatus(status);
            checked.status = parsed;
        }
        java.util.Objects.requireNonNull(headers, "headers (List.of() for none)");
        List<Header> copy;
        try {
            copy = List.copyOf(headers); // the same list when it is immutable already
        } catch (NullPointerException e) { // a malformed header, as the contract says, not a bare NullPointerException
            throw new IllegalArgumentException("Header " + headers.indexOf(null) + " of " + headers.size() + " is null"); // not the values: cookies, tokens
        }
        if (checked.headers != copy) {
            checkHeaders(copy);
            if (copy == headers) checked.headers = copy; // a list made per call is not worth remembering
        }
        // only once status and headers were both accepted: a refused call changes nothing
        this.status = parsed.code();
        this.reason = parsed.reason();
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
        java.util.Objects.checkFromIndexSize(offset, length, data.length);
        if (!started) throw new IllegalStateException("write() called before start()");
        if (length == 0) return;
        sendHeaders(-1);
        http.write(data, offset, length);
        http.flush();
        checkWithinContentLength(length);
    }

    @Override
    public void write(ByteBuffer data) throws IOException {
        if (!started) throw new IllegalStateException("write() called before start()");
        if (!data.hasRemaining()) return;
        sendHeaders(-1);
        int length = data.remaining();
        http.write(data);
        http.flush();
        checkWithinContentLength(length);
    }

    /**
     * Counts {@code length} more bytes given by {@code write()}; if they go past the Content-Length,
     * whose part was sent (the HTTP layer cut the rest), raises the error PEP 3333 asks for ("raise
     * an error if the application tries to write() past that point"): the application learns that
     * its body is not what it meant to send.
     */
    private void checkWithinContentLength(int length) {
        given += length;
        long declared = http.declaredLength();
        if (declared >= 0 && given > declared) {
            throw new IllegalStateException("write() past the response's Content-Length " + declared
                    + " (" + given + " bytes given; the rest was not sent)");
        }
    }

    /**
     * True once the application gave as many body bytes as the response's Content-Length: PEP 3333
     * has the server stop iterating over the body then (a streamed body may hold more, e.g. a whole
     * file behind a Content-Length for part of it).
     */
    boolean bodyComplete() {
        long declared = http.declaredLength();
        return declared >= 0 && given >= declared;
    }

    boolean isStarted() {
        return started;
    }

    boolean headersSent() {
        return http.isCommitted();
    }

    /** True if the status started is one whose response has no body (1xx, 204, 304). */
    boolean forbidsBody() {
        return HttpStatus.forbidsBody(status);
    }

    /**
     * The whole body's length, when the returned iterable is a collection or a {@link
     * org.minipylib.wsgiserver.ByteBufferBody} that knows it: sent as Content-Length
     * (unless the application gave one) when the headers go out with the first non-empty chunk.
     */
    void bodyLength(long length) {
        this.bodyLength = length;
    }

    /** Sends one body chunk from the returned iterable; {@code flush} pushes it out at once. */
    void chunk(byte[] data, boolean flush) throws IOException {
        if (data == null || data.length == 0) return;
        if (!started) throw new IllegalStateException("The application produced a body before calling start()");
        sendHeaders(bodyLength);
        given += data.length;
        http.write(data, 0, data.length);
        if (flush) http.flush();
    }

    /** Sends one buffer of a {@link org.minipylib.wsgiserver.ByteBufferBody}, as {@link #chunk(byte[], boolean)}. */
    void chunk(ByteBuffer data, boolean flush) throws IOException {
        if (data == null || !data.hasRemaining()) return;
        if (!started) throw new IllegalStateException("The application produced a body before calling start()");
        sendHeaders(bodyLength);
        given += data.remaining();
        http.write(data);
        if (flush) http.flush();
    }

    /**
     * Sends {@code length} bytes of {@code file} from {@code position} (a {@link
     * org.minipylib.wsgiserver.FileBody}), headers first (with the length as Content-Length, unless
     * the application gave one: a HEAD response too).
     */
    void file(FileChannel file, long position, long length) throws IOException {
        if (!started) throw new IllegalStateException("The application produced a body before calling start()");
        sendHeaders(bodyLength);
        if (length > 0) http.write(file, position, length);
    }

    /** Sends status and headers now, if not sent yet; {@code knownLength} is the whole body's length or -1. */
    void sendHeaders(long knownLength) throws IOException {
        if (!http.isCommitted()) http.begin(status, reason, headers, knownLength);
    }

    /**
     * Ends the response: headers if nothing was sent, then the last chunk. An empty body gets
     * Content-Length 0, except for HEAD (see {@link HttpResponse#beginEmpty}): a HEAD response with
     * no body and no Content-Length from the application gets the framing a streamed GET body would,
     * {@code Transfer-Encoding: chunked} on HTTP/1.1 (RFC 9112 section 6.1 allows it on HEAD; without
     * a framing field Node's http client drops the connection after the response).
     */
    void finish() throws IOException {
        if (!started) throw new IllegalStateException("The application returned without calling start()");
        if (!http.isCommitted()) {
            if (head) http.begin(status, reason, headers, -1);
            else http.beginEmpty(status, reason, headers);
        }
        http.finish();
    }

    /** Checks every header, and that Content-Length headers agree. */
    private static void checkHeaders(List<Header> headers) {
        long length = -1;
        boolean date = false;
        for (int i = 0, n = headers.size(); i < n; i++) {
            Header h = headers.get(i);
            validate(h);
            if (h.is("Content-Length")) {
                long v = Long.parseLong(h.value().trim());
                if (length >= 0 && v != length) throw new IllegalArgumentException("Conflicting Content-Length headers");
                length = v;
            } else if (h.is("Date")) { // RFC 9110 section 6.6.1: one Date, and a list of two is none
                if (date) throw new IllegalArgumentException("More than one Date header");
                date = true;
            }
        }
    }

    private static ParsedStatus parseStatus(String s) {
        if (s == null || s.length() < 3 || !isDigit(s.charAt(0)) || !isDigit(s.charAt(1)) || !isDigit(s.charAt(2))
                || (s.length() > 3 && s.charAt(3) != ' ')) {
            throw new IllegalArgumentException("Status must be three digits, then a space and a reason phrase, like \"200 OK\": " + s);
        }
        int code = (s.charAt(0) - '0') * 100 + (s.charAt(1) - '0') * 10 + (s.charAt(2) - '0');
        if (code < 100) throw new IllegalArgumentException("Status codes below 100 are invalid (RFC 9110 section 15): " + s);
        if (code < 200) throw new IllegalArgumentException("Applications may not send 1xx statuses: " + s);
        if (code > 599) throw new IllegalArgumentException("Status codes above 599 are invalid (RFC 9110 section 15): " + s);
        String r = s.length() > 4 ? s.substring(4) : "";
        if (!Header.isValidValue(r)) throw new IllegalArgumentException("Invalid character in status reason phrase");
        return new ParsedStatus(s, code, r);
    }

    private static void validate(Header h) {
        String name = h.name();
        if (name.isEmpty()) throw new IllegalArgumentException("Empty header name");
        if (!Header.isValidName(name)) throw new IllegalArgumentException("Invalid header name: " + LogText.printable(name));
        String value = h.value();
        if (!Header.isValidValue(value)) throw new IllegalArgumentException("Invalid character in the value of header " + name);
        for (String hopByHop : HOP_BY_HOP) {
            if (name.equalsIgnoreCase(hopByHop)) {
                throw new IllegalArgumentException("Hop-by-hop header not allowed from an application: " + name);
            }
        }
        if (name.equalsIgnoreCase("Content-Length")) {
            String v = value.trim();
            if (v.isEmpty() || v.length() > 18 || !allDigits(v)) {
                throw new IllegalArgumentException("Invalid Content-Length: " + value);
            }
        }
    }

    private static boolean allDigits(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (!isDigit(s.charAt(i))) return false;
        }
        return true;
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }
}
