package org.minipylib.wsgiserver.http;

/**
 * Finds where a request head that arrives in pieces ends, and refuses one that outgrows its limits
 * before all of it has arrived: a request line longer than {@link HttpLimits#maxRequestLineLength()}
 * ({@code 414}) or a header section larger than {@link HttpLimits#maxHeaderSectionSize()} ({@code 431})
 * as soon as that many bytes have come without its end, and a first line no request can start with,
 * a complete request line without a version, or one ending in a bare LF where that is not relaxed
 * ({@code 400}) at once. Each call scans only what arrived since the one before, so a head that
 * trickles in is not scanned again from its start. No I/O: it reads the connection's input buffer.
 * One per connection, used by one thread at a time.
 */
final class RequestHeadScanner {

    private final HttpLimits limits;
    private int scanned; // bytes of the head, from its start, already scanned for its end
    private boolean lineComplete;
    private int sectionStart; // once the request line is complete: where the header section starts, from the head's start

    RequestHeadScanner(HttpLimits limits) {
        this.limits = limits;
    }

    /** True if none of a head has been scanned yet: empty lines before a request line may still be skipped. */
    boolean atStart() {
        return scanned == 0;
    }

    /**
     * The index just past the empty line that ends the head beginning at {@code b[start]}, of which
     * {@code available} bytes have arrived; -1 if its end has not arrived yet. Once it returns an end,
     * the next call scans a new head.
     *
     * @throws BadRequestException if the head is already too large, or cannot be a request's
     */
    int findEnd(byte[] b, int start, int available) throws BadRequestException {
        boolean lineJustCompleted = false;
        if (!lineComplete) {
            int lf = RequestParser.indexOf(b, (byte) '\n', start + scanned, start + available);
            lineComplete = lineJustCompleted = lf >= 0;
            if (lineComplete) sectionStart = lf + 1 - start;
            // an unfinished line may end in the CR of its CRLF: that byte is not part of the line
            int lineLength = lineComplete ? lf - start - 1 : (b[start + available - 1] == '\r' ? available - 1 : available);
            if (lineLength > limits.maxRequestLineLength()) {
                throw overlongRequestLine(b, start, limits.maxRequestLineLength());
            }
        }
        int end = RequestParser.findHeadEnd(b, start, start + scanned, start + available);
        if (end < 0) {
            // judged whether or not its line is complete: a TLS ClientHello holds an LF (byte 0x0a) anywhere
            refuseImpossibleStart(b, start, start + available);
            if (lineJustCompleted) {
                refuseLineWithoutVersion(b, start, start + sectionStart - 1, limits.maxRequestLineLength());
                refuseBareLf(b, start, start + sectionStart - 1);
            }
            scanned = available;
            // A section within the limit ends by its empty line within limit + 2 bytes: refuse as soon
            // as more has come without one, not only once the buffer is full.
            boolean sectionTooLarge = lineComplete && available - sectionStart > limits.maxHeaderSectionSize() + 1;
            if (sectionTooLarge || available >= limits.maxHeadSize()) {
                throw new BadRequestException(431, "Request header section is larger than " + limits.maxHeaderSectionSize() + " bytes");
            }
            return -1;
        }
        scanned = 0;
        lineComplete = false;
        return end;
    }

    /**
     * Refuses at once an unfinished head that can never become a request: a byte in its method (the
     * bytes before the first space, CR or LF) that is not a token character, such as a TLS handshake
     * sent to a plain HTTP port (named as such), a binary protocol or noise, whether or not an LF has
     * arrived (a ClientHello holds bytes 0x0a). Without this, such a client would hold its
     * connection until the request head timeout (and get a 408). Everything else is left for
     * {@link RequestParser#parse} once the head is complete.
     */
    private static void refuseImpossibleStart(byte[] b, int start, int end) throws BadRequestException {
        for (int p = start; p < end; p++) {
            int c = b[p] & 0xff;
            if (c == ' ' || c == '\r' || c == '\n') return; // the method ends, or a line end: parse() judges the line
            if (!HttpChars.TCHAR[c]) {
                if (p == start && c == 0x16) { // a TLS record of type handshake
                    throw new BadRequestException(400, "TLS handshake on a plain HTTP port: use http://, or the server's HTTPS port");
                }
                throw BadRequestException.violation(ComplianceViolation.INVALID_REQUEST_LINE, "Malformed request line");
            }
        }
    }

    /**
     * Refuses at once a first line ending in LF without CR where that is not relaxed, as
     * {@link RequestParser#parse} refuses it once the head is complete: an empty one too (an LF
     * before the request line, which the connection skips only where bare LFs are relaxed), which
     * would leave whatever follows it unjudged until the head timeout.
     */
    private void refuseBareLf(byte[] b, int start, int lf) throws BadRequestException {
        if (lf - start > limits.maxRequestLineLength()) return; // one byte over, which findEnd's length check took for CRLF: the parser's 414
        if ((lf == start || b[lf - 1] != '\r') && !limits.compliance().allows(ComplianceViolation.BARE_LF_LINE_ENDINGS)) {
            throw BadRequestException.violation(ComplianceViolation.BARE_LF_LINE_ENDINGS, "Line must end with CRLF");
        }
    }

    /**
     * Refuses at once a complete request line in {@code b[start, lf)} ({@code lf} the index of its LF)
     * that has no version: {@code method SP request-target} and nothing more, as an HTTP/0.9 client
     * sends it ({@code GET /}), or a method alone. No byte still to come can make it a request, and
     * such a client sends no empty line after it: without this it would hold its connection until
     * the request head timeout. {@link RequestParser#parse} judges every other line once the head
     * is complete, and one longer than {@code maxLength} (a 414 there, however it arrived).
     */
    private static void refuseLineWithoutVersion(byte[] b, int start, int lf, int maxLength) throws BadRequestException {
        int lineEnd = lf > start && b[lf - 1] == '\r' ? lf - 1 : lf;
        if (lineEnd == start) return; // an empty line where a request line should be: parse() judges its line end
        if (lineEnd - start > maxLength) return; // a bare-LF line one byte over, which findEnd's length check took for CRLF
        int p = start;
        while (p < lineEnd && HttpChars.TCHAR[b[p] & 0xff]) p++;
        if (p == lineEnd) throw BadRequestException.violation(ComplianceViolation.INVALID_REQUEST_LINE, "Malformed request line");
        if (b[p] != ' ') return; // not a version missing: parse() names what is wrong
        int targetStart = ++p;
        while (p < lineEnd && b[p] != ' ') p++;
        if (p == lineEnd && p > targetStart) {
            throw BadRequestException.violation(ComplianceViolation.INVALID_REQUEST_LINE, "Missing HTTP version in request line");
        }
    }

    /**
     * The answer to a request line longer than {@code max} bytes, of which {@code b[start, start + max]}
     * is there: 501 if all of those bytes are still the method (a method longer than any implemented,
     * RFC 9112 section 3), else 414 (the request target is what is too long).
     */
    static BadRequestException overlongRequestLine(byte[] b, int start, int max) {
        int p = start;
        int end = start + max + 1;
        while (p < end && HttpChars.TCHAR[b[p] & 0xff]) p++;
        if (p == end) return new BadRequestException(501, "Request method is longer than " + max + " bytes");
        return new BadRequestException(414, "Request line is longer than " + max + " bytes");
    }
}
