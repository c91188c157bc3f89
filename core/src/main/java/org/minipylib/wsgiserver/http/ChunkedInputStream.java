package org.minipylib.wsgiserver.http;

import java.io.IOException;
import java.io.InputStream;

/**
 * Decodes a chunked request body (RFC 9112 section 7.1): chunk sizes in pure hex, chunk extensions
 * checked and skipped, each chunk's data followed by CRLF, and the trailer section read (and
 * checked) at the end, so that the connection is positioned at the next request. Any deviation is a
 * {@link BadRequestException}; a body larger than the limit is one with status 413.
 */
public final class ChunkedInputStream extends InputStream {

    private final BodyInput in;
    private final HttpLimits limits;
    private final HeaderFields trailers = new HeaderFields();
    private final byte[] line;
    private final byte[] one = new byte[1];
    private long remainingInChunk;
    private long total;
    private long framingExcess;
    private boolean started;
    private boolean done;

    /** Each read bounded by {@code timeoutMillis} (0: unbounded), nothing else (for tests and benchmarks). */
    ChunkedInputStream(ConnectionInput in, HttpLimits limits, int timeoutMillis) {
        this(new BodyInput(in, timeoutMillis), limits);
    }

    ChunkedInputStream(BodyInput in, HttpLimits limits) {
        this.in = in;
        this.limits = limits;
        this.line = new byte[Math.max(limits.maxChunkExtensionLength() + 32, 256)];
    }

    /**
     * The trailer fields, once the body was read to its end, without those a trailer may not carry
     * (framing, routing, authentication, request modifiers, connection control, content format).
     */
    public HeaderFields trailers() {
        return trailers;
    }

    @Override
    public int read() throws IOException {
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (done) return -1;
        if (len == 0) return 0;
        if (remainingInChunk == 0) {
            if (started) expectCrlf();
            started = true;
            long size = readChunkSize();
            if (size == 0) {
                readTrailers();
                done = true;
                return -1;
            }
            total += size;
            if (total > limits.maxBodySize() || total < 0) {
                throw new BadRequestException(413, "Request body is larger than " + limits.maxBodySize() + " bytes");
            }
            remainingInChunk = size;
        }
        int n = in.read(b, off, (int) Math.min(len, remainingInChunk));
        if (n < 0) throw truncated();
        remainingInChunk -= n;
        return n;
    }

    @Override
    public int available() {
        return done ? 0 : (int) Math.min(in.available(), remainingInChunk);
    }

    /**
     * The data bytes left in this body if all the rest of it (its chunks, the last chunk and the
     * trailer section) is in {@code b[from, to)} already, else -1; 0 once it was read to its end. A
     * guess made without reading, for the connection to decide before the application has read the
     * body whether it can promise to keep the connection: lenient (a bare LF ends a line), as
     * reading the body still checks every byte.
     */
    long dataLeftIfArrived(byte[] b, int from, int to) {
        if (done) return 0;
        long data = remainingInChunk;
        int p = from;
        if (started) { // inside a chunk's data, or at the line end after it
            if (remainingInChunk > to - p) return -1;
            p = nextLine(b, p + (int) remainingInChunk, to);
        }
        while (p >= 0) {
            int digits = p;
            long size = 0;
            while (p < to && HttpChars.hexValue(b[p]) >= 0) { // every digit: leading zeros may be many (the reader takes them)
                if (size > (Long.MAX_VALUE >> 4)) return -1; // larger than any body: the reader refuses it
                size = (size << 4) | HttpChars.hexValue(b[p++]);
            }
            if (p == digits) return -1;
            p = nextLine(b, p, to); // past the extensions
            if (p < 0) return -1;
            if (size == 0) { // the trailer section, to its empty line
                while (true) {
                    int end = nextLine(b, p, to);
                    if (end < 0) return -1;
                    boolean empty = end - p == 1 || end - p == 2 && b[p] == '\r';
                    p = end;
                    if (empty) return data;
                }
            }
            if (size > to - p) return -1;
            data += size;
            p = nextLine(b, p + (int) size, to);
        }
        return -1;
    }

    /** The index after the next LF in {@code b[p, to)}, or -1 if there is none. */
    private static int nextLine(byte[] b, int p, int to) {
        for (; p < to; p++) if (b[p] == '\n') return p + 1;
        return -1;
    }

    private long readChunkSize() throws IOException {
        int len = readLine(line.length);
        int p = 0;
        long size = 0;
        while (p < len && HttpChars.hexValue(line[p]) >= 0) {
            if (size > (Long.MAX_VALUE >> 4)) throw violation(ComplianceViolation.INVALID_CHUNK_SIZE, "Chunk size is too large");
            size = (size << 4) | HttpChars.hexValue(line[p]);
            p++;
        }
        // after the digits only whitespace or ';' may follow: "0x5" and "5x" are sizes, not extensions
        if (p == 0 || p < len && line[p] != ';' && line[p] != ' ' && line[p] != '\t') {
            throw violation(ComplianceViolation.INVALID_CHUNK_SIZE, "Invalid chunk size");
        }
        checkExtensions(line, p, len);
        countFraming(len + 2, size); // the size line and the CRLF after the data, as Go counts
        return size;
    }

    /** Framing bytes a chunk may carry beyond twice its data before they count as excess. */
    static final int FRAMING_ALLOWANCE_PER_CHUNK = 16;
    /** Excess framing bytes a body may accumulate (see {@link #countFraming}) before it is refused. */
    static final int MAX_FRAMING_EXCESS = 16 * 1024;

    /**
     * Counts a chunk's framing (its size line, extensions and line ends) against the data it carries,
     * and refuses a body whose framing outgrows its data. Every chunk may carry 16 bytes plus twice
     * its data size; what it carries beyond that accumulates, and what it carries less pays back. One
     * byte per chunk ({@code 1\r\nx\r\n}, five bytes of framing) is fine for a client that streams,
     * but size lines padded with extensions would have the server read any number of bytes for a
     * small body, past the body size and drain limits (the rule Go's net/http adopted for
     * CVE-2023-39326).
     */
    private void countFraming(int framingBytes, long dataBytes) throws BadRequestException {
        long allowance = FRAMING_ALLOWANCE_PER_CHUNK + 2 * Math.min(dataBytes, MAX_FRAMING_EXCESS);
        framingExcess = Math.max(0, framingExcess + framingBytes - allowance);
        if (framingExcess > MAX_FRAMING_EXCESS) {
            throw BadRequestException.badRequest("Chunked body carries too much framing (chunk extensions) for its data");
        }
    }

    /** chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ), RFC 9112 section 7.1.1. */
    private void checkExtensions(byte[] b, int p, int end) throws BadRequestException {
        if (end - p > limits.maxChunkExtensionLength()) {
            throw BadRequestException.badRequest("Chunk extension is too long");
        }
        while (true) {
            int afterWhitespace = skipWhitespace(b, p, end);
            if (afterWhitespace == end) {
                // BWS is allowed only before ';': trailing whitespace on the line is not
                if (afterWhitespace != p) throw violation(ComplianceViolation.INVALID_CHUNK_EXTENSION, "Whitespace at the end of a chunk size line");
                return;
            }
            p = afterWhitespace;
            if (b[p] != ';') throw violation(ComplianceViolation.INVALID_CHUNK_EXTENSION, "Invalid chunk size line");
            p = skipWhitespace(b, p + 1, end);
            int nameStart = p;
            while (p < end && HttpChars.isTokenChar(b[p] & 0xff)) p++;
            if (p == nameStart) throw violation(ComplianceViolation.INVALID_CHUNK_EXTENSION, "Invalid chunk extension");
            p = skipWhitespace(b, p, end);
            if (p < end && b[p] == '=') {
                p = skipWhitespace(b, p + 1, end);
                if (p < end && b[p] == '"') {
                    p++;
                    while (true) {
                        if (p >= end) throw violation(ComplianceViolation.INVALID_CHUNK_EXTENSION, "Unterminated quoted string in chunk extension");
                        int c = b[p] & 0xff;
                        if (c == '"') {
                            p++;
                            break;
                        }
                        if (c == '\\') {
                            p++;
                            if (p >= end) throw violation(ComplianceViolation.INVALID_CHUNK_EXTENSION, "Invalid chunk extension");
                            c = b[p] & 0xff;
                        }
                        if ((c < 0x20 && c != '\t') || c == 0x7f) throw violation(ComplianceViolation.INVALID_CHUNK_EXTENSION, "Invalid chunk extension");
                        p++;
                    }
                } else {
                    int valueStart = p;
                    while (p < end && HttpChars.isTokenChar(b[p] & 0xff)) p++;
                    if (p == valueStart) throw violation(ComplianceViolation.INVALID_CHUNK_EXTENSION, "Invalid chunk extension");
                }
            }
        }
    }

    /**
     * Reads the trailer section: every field line is checked like a header field and counts against
     * the limits; fields RFC 9110 section 6.5.1 forbids in trailers ({@link ForbiddenTrailerFields})
     * are then dropped, the others kept in {@link #trailers()}.
     */
    private void readTrailers() throws IOException {
        int size = 0;
        int count = 0;
        while (true) {
            int len = readTrailerLine(limits.maxHeaderSectionSize() - size);
            if (len == 0) return;
            size += len + 2;
            RequestParser.parseFieldLine(trailerLine, 0, len, trailers);
            if (++count > limits.maxHeaderCount()) {
                throw new BadRequestException(431, "Too many trailer fields");
            }
            if (ForbiddenTrailerFields.contains(trailers.name(trailers.size() - 1))) trailers.removeLast();
        }
    }

    private byte[] trailerLine = new byte[256];

    /** Reads one trailer line into {@link #trailerLine} (at most {@code max} bytes); returns its length. */
    private int readTrailerLine(int max) throws IOException {
        int len = 0;
        while (true) {
            int c = in.read();
            if (c < 0) throw truncated();
            if (c == '\n') throw violation(ComplianceViolation.INVALID_CHUNK_FRAMING, "Trailer line must end with CRLF");
            if (c == '\r') {
                int lf = in.read();
                if (lf < 0) throw truncated();
                if (lf != '\n') throw violation(ComplianceViolation.BARE_CR, "Bare CR in trailer section");
                return len;
            }
            if (len >= max) throw new BadRequestException(431, "Trailer section is too large");
            if (len == trailerLine.length) trailerLine = java.util.Arrays.copyOf(trailerLine, len * 2);
            trailerLine[len++] = (byte) c;
        }
    }

    /** Reads a chunk-size line into {@link #line}; returns its length without CRLF. */
    private int readLine(int max) throws IOException {
        int len = 0;
        while (true) {
            int c = in.read();
            if (c < 0) throw truncated();
            if (c == '\n') throw violation(ComplianceViolation.INVALID_CHUNK_SIZE, "Chunk size line must end with CRLF");
            if (c == '\r') {
                int lf = in.read();
                if (lf < 0) throw truncated();
                if (lf != '\n') throw violation(ComplianceViolation.BARE_CR, "Bare CR in chunk size line");
                return len;
            }
            if (len >= max) throw violation(ComplianceViolation.INVALID_CHUNK_SIZE, "Chunk size line is too long");
            line[len++] = (byte) c;
        }
    }

    private void expectCrlf() throws IOException {
        int cr = in.read();
        int lf = cr < 0 ? -1 : in.read();
        if (cr < 0 || lf < 0) throw truncated();
        if (cr != '\r' || lf != '\n') throw violation(ComplianceViolation.INVALID_CHUNK_FRAMING, "Chunk data must be followed by CRLF");
    }

    private static int skipWhitespace(byte[] b, int p, int end) {
        while (p < end && (b[p] == ' ' || b[p] == '\t')) p++;
        return p;
    }


    private static BadRequestException violation(ComplianceViolation v, String message) {
        return BadRequestException.violation(v, message);
    }

    private static BadRequestException truncated() {
        return violation(ComplianceViolation.INVALID_CHUNK_FRAMING, "Chunked request body ended early");
    }
}
