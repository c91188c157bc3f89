package org.minipylib.wsgiserver.http;

import org.minipylib.wsgiserver.Header;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The response to one request: status line and headers, then the body, framed by the HTTP layer.
 *
 * <p>Framing follows RFC 9112 section 6: the application's Content-Length if it gave one (the body
 * is cut there, and a short body closes the connection); else a length the gateway knows; else
 * chunked for HTTP/1.1; else close-delimited for HTTP/1.0. HEAD responses and 1xx/204/304 carry no
 * body but keep their framing headers; a HEAD response for which the application produced no body
 * and gave no Content-Length has none (see {@link #beginEmpty}). The server adds {@code Date}, {@code Server} and
 * {@code Connection} itself.
 */
public final class HttpResponse {

    private static final System.Logger LOG = System.getLogger(HttpResponse.class.getName());
    /** Most responses' status line, copied whole instead of assembled from four pieces. */
    private static final byte[] STATUS_LINE_200_OK = "HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.US_ASCII);

    private final HttpConnection connection;
    private final RequestHead request;
    private final ConnectionOutput out;
    private final String serverHeader;

    private int status;
    private boolean committed;
    private boolean finished;
    /** The connection gave up on this response (see {@link #abandon()}); volatile: an application may hold its writer on another thread. */
    private volatile boolean abandoned;
    private boolean noBody;
    private boolean chunked;
    private long declaredLength = -1;
    private long bodyBytes;
    private boolean closeAfter;
    /** The body ends where the connection does (HTTP/1.0 without a length). */
    private boolean endsAtClose;
    private boolean overrunLogged;
    private String loggedClient;

    HttpResponse(HttpConnection connection, RequestHead request, ConnectionOutput out, String serverHeader) {
        this.connection = connection;
        this.request = request;
        this.out = out;
        this.serverHeader = serverHeader;
    }

    /**
     * Writes the status line and headers (into the connection's buffer; see {@link #flush()}).
     *
     * @param status      200-599 (RFC 9110 section 15: other codes are invalid; 1xx is not allowed
     *                    either: the HTTP layer sends 100 Continue itself)
     * @param reason      the reason phrase
     * @param headers     end-to-end headers; a {@code Connection} header is read for {@code close} and
     *                    replaced by the server's own
     * @param knownLength the body length if the caller knows it and gave no Content-Length, else -1
     */
    public void begin(int status, String reason, List<Header> headers, long knownLength) throws IOException {
        begin(status, reason, headers, knownLength, false);
    }

    /**
     * As {@link #begin}, for a response whose application produced no body at all: {@code Content-Length: 0},
     * except for HEAD, whose Content-Length must be what GET would send (RFC 9110 sections 8.6 and
     * 9.3.2): not knowing it, the server sends none (and keeps the connection, as a HEAD response has
     * no body to delimit), unless the application gave one.
     */
    public void beginEmpty(int status, String reason, List<Header> headers) throws IOException {
        begin(status, reason, headers, 0, true);
    }

    // One method on purpose, long as it is: split into three (status line, header fields, framing),
    // the exchange benchmarks allocated 32-56 more bytes per pipelined request (what the JIT's escape
    // analysis keeps off the heap depends on what it inlines; measured 2026-12-07, 3 forks each).
    private void begin(int status, String reason, List<Header> headers, long knownLength, boolean empty) throws IOException {
        if (abandoned) throw abandonedError();
        if (committed) throw new IllegalStateException("response already started");
        if (status < 200 || status > 599) throw new IllegalArgumentException("status must be 200-599: " + status);
        connection.rethrowRequestBodyFailure(this); // a broken request body is answered 4xx by the server, not 200 by the app
        out.markResponseStart();
        committed = true;
        this.status = status;
        closeAfter = connection.closesAfterResponse(request); // first: it may read the rest of the request body
        boolean bodyForbidden = HttpStatus.forbidsBody(status);
        // RFC 9110 section 15.3.6: no content in a 205, which (unlike 204) needs framing to say so
        boolean resetContent = status == 205;
        noBody = bodyForbidden || resetContent || request.isHead();

        if (status == 200 && reason.equals("OK")) {
            out.write(STATUS_LINE_200_OK);
        } else {
            out.writeLatin1("HTTP/1.1 ");
            out.writeDecimal(status);
            out.write(' ');
            out.writeLatin1(reason);
            out.writeCrlf();
        }

        boolean hasDate = false;
        boolean hasServer = false;
        boolean appClose = false;
        long appLength = -1;
        String hopByHop = connectionOptions(headers);
        for (int i = 0, n = headers.size(); i < n; i++) {
            Header h = headers.get(i);
            String name = h.name();
            if (hopByHop != null && FieldValueList.contains(hopByHop, name)) continue;
            if (name.equalsIgnoreCase("Content-Length")) {
                if (status == 204 || resetContent || appLength >= 0) continue; // never in a 204 (RFC 9110 section 8.6); once
                appLength = Long.parseLong(h.value().trim());
            } else if (name.equalsIgnoreCase("Connection")) {
                if (FieldValueList.contains(h.value(), "close")) appClose = true;
                continue;
            } else if (name.equalsIgnoreCase("Date")) {
                hasDate = true;
            } else if (name.equalsIgnoreCase("Server")) {
                hasServer = true;
            }
            out.writeLatin1(name);
            out.write(':');
            out.write(' ');
            out.writeLatin1(h.value());
            out.writeCrlf();
        }
        if (!hasDate) out.write(HttpDate.headerLine());
        if (!hasServer && serverHeader != null) {
            out.writeLatin1("Server: ");
            out.writeLatin1(serverHeader);
            out.writeCrlf();
        }

        if (resetContent) {
            out.writeLatin1("Content-Length: 0\r\n");
        } else if (appLength >= 0) {
            declaredLength = appLength;
        } else if (empty && request.isHead()) {
            // no framing header: the length a GET would have is unknown, and there is no body to delimit
        } else if (!bodyForbidden) {
            if (knownLength >= 0) {
                declaredLength = knownLength;
                out.writeLatin1("Content-Length: ");
                out.writeDecimal(knownLength);
                out.writeCrlf();
            } else if (request.minorVersion() == 1) {
                chunked = true;
                out.writeLatin1("Transfer-Encoding: chunked\r\n");
            } else if (!request.isHead()) { // a response to HEAD has no body to delimit (RFC 9110 section 9.3.2)
                endsAtClose = true; // HTTP/1.0 without a length: the body ends when the connection does
                closeAfter = true;
            }
        }
        if (appClose) closeAfter = true;
        if (closeAfter) {
            out.writeLatin1("Connection: close\r\n");
        } else if (request.minorVersion() == 0) {
            out.writeLatin1("Connection: keep-alive\r\n");
        }
        out.writeCrlf();
        out.markBodyStart(); // the access log counts the body bytes that went out from here
    }

    /**
     * Writes body bytes. They are discarded for HEAD and bodiless statuses; bytes beyond a declared
     * Content-Length are dropped (logged) and the connection is closed afterwards.
     */
    public void write(byte[] b, int off, int len) throws IOException {
        len = sendable(len);
        if (len == 0) return;
        if (chunked) out.writeChunkSize(len);
        try {
            out.write(b, off, len);
        } catch (IOException | RuntimeException e) {
            bodyBytes += out.pieceWritten(); // a cut response is logged with what went out of it
            throw e;
        }
        if (chunked) out.writeCrlf();
        bodyBytes += len;
    }

    /**
     * Writes the remaining bytes of {@code b} as {@link #write(byte[], int, int)} does, without
     * moving its position or limit (one buffer may be shared by responses sent at the same time). A
     * large direct buffer goes to the socket with no copy into the Java heap.
     */
    public void write(ByteBuffer b) throws IOException {
        int len = sendable(b.remaining());
        if (len == 0) return;
        // A read-only view, whatever the application's buffer: the write path below then meets one
        // class of direct buffer (and one of heap), and the JIT's code for it, compiled for one
        // application's buffers, is not sent back by another's.
        ByteBuffer piece = b.asReadOnlyBuffer();
        piece.limit(piece.position() + len);
        if (chunked) out.writeChunkSize(len);
        try {
            out.write(piece);
        } catch (IOException | RuntimeException e) {
            bodyBytes += out.pieceWritten(); // a cut response is logged with what went out of it
            throw e;
        }
        if (chunked) out.writeCrlf();
        bodyBytes += len;
    }

    /**
     * Writes {@code count} bytes of {@code file} from {@code position} as {@link #write(byte[], int,
     * int)} does, by the operating system from file to socket where the transport can (see {@link
     * Transport#transferFrom}). If the file ends first, the body is short of its framing: a
     * Content-Length body closes the connection at {@link #finish()}; a chunked one throws
     * {@link EOFException} (its chunk cannot be completed), which aborts the response.
     */
    public void write(FileChannel file, long position, long count) throws IOException {
        long len = sendable(count);
        if (len == 0) return;
        if (chunked) out.writeChunkSize(len);
        long sent;
        try {
            sent = out.write(file, position, len);
        } catch (IOException | RuntimeException e) {
            bodyBytes += out.pieceWritten(); // a cut response is logged with what went out of it
            throw e;
        }
        bodyBytes += sent;
        if (sent < len && chunked) {
            throw new EOFException("The file ended " + (len - sent) + " bytes short of the chunk announced for it");
        }
        if (chunked) out.writeCrlf();
    }

    private int sendable(int len) {
        return (int) sendable((long) len);
    }

    /**
     * How many of {@code len} body bytes to send now: none for HEAD and bodiless statuses, at most
     * what is left of a declared Content-Length (the rest is dropped, logged, and the connection
     * closed afterwards).
     */
    private long sendable(long len) {
        if (abandoned) throw abandonedError();
        if (!committed) throw new IllegalStateException("response not started");
        if (finished) throw new IllegalStateException("response already finished");
        if (noBody || len == 0) return 0;
        if (declaredLength >= 0 && len > declaredLength - bodyBytes) {
            if (!overrunLogged) { // an application bug, whether or not the connection was closing anyway
                overrunLogged = true;
                LOG.log(System.Logger.Level.WARNING, "Response to \"{0}\" is longer than its Content-Length {1}; truncated",
                        request.requestLine(), declaredLength);
            }
            closeAfter = true;
            return declaredLength - bodyBytes;
        }
        return len;
    }

    /** Pushes everything written so far to the client. */
    public void flush() throws IOException {
        if (abandoned) throw abandonedError(); // its bytes are gone; the buffer holds the next response's
        out.flush();
    }

    /**
     * For a complete response ({@link #finish()} done) whose gateway may go on working before its
     * exchange ends (the JDK's {@code HttpExchange.close()}, a WSGI body's {@code close()}): pushes it
     * to the client now, unless bytes of the client's next request have arrived already (it
     * pipelines). Then it waits to share a write with the next responses, but no longer than a
     * batching window (as complete responses do behind a slow pipelined application).
     */
    public void flushUnlessPipelined() throws IOException {
        if (abandoned) throw abandonedError();
        if (connection.hasPipelinedInput()) {
            out.holdCompleteResponses();
        } else {
            out.flush();
        }
    }

    /**
     * Ends the body: writes the last chunk if chunked. A body shorter than its declared
     * Content-Length leaves the client waiting for bytes that never come, so the connection closes.
     * Does not flush: the connection decides when (to batch pipelined responses).
     */
    public void finish() throws IOException {
        if (finished || abandoned) return; // an abandoned one's last chunk would land in the next response
        if (!committed) throw new IllegalStateException("response not started");
        finished = true;
        if (noBody) return;
        if (chunked) {
            out.writeLatin1("0\r\n\r\n");
        } else if (declaredLength >= 0 && bodyBytes < declaredLength) {
            LOG.log(System.Logger.Level.WARNING, "Response to \"{0}\" is shorter than its Content-Length ({1} of {2} bytes); closing",
                    request.requestLine(), bodyBytes, declaredLength);
            closeAfter = true;
        }
    }

    /**
     * Refuses whatever more the application does with this response ({@code begin} and the writes
     * throw): the connection answered its request with an error response in its place, or closes.
     * An application that kept its writer past the failed request cannot put a response of its own
     * into the connection behind the error response, where the client would take it for the next
     * request's (nor body bytes into the next response, when the error response replaced one still
     * in the buffer); {@link #finish()} on it does nothing. A writer used on another thread at the
     * moment the connection gives up may still get one write in: the check and the write are not one step.
     */
    void abandon() {
        abandoned = true;
    }

    private static IllegalStateException abandonedError() {
        return new IllegalStateException("response abandoned: its request was answered with an error response, or its connection closed");
    }

    /** True once the status line was written. */
    public boolean isCommitted() {
        return committed;
    }

    /** True once {@link #finish()} ran. */
    public boolean isFinished() {
        return finished;
    }

    /** The status sent, or 0 if not started. */
    public int status() {
        return status;
    }

    /** Body bytes sent (after truncation; 0 for HEAD). */
    public long bodyBytes() {
        return bodyBytes;
    }

    /**
     * The Content-Length the body is framed by (the application's, or the length the gateway knew),
     * or -1: chunked, close-delimited, no framing header, or not begun.
     */
    public long declaredLength() {
        return declaredLength;
    }

    /** True if the connection must close after this response. */
    public boolean closeAfter() {
        return closeAfter;
    }

    /**
     * Names the client in this request's access-log entry instead of the connection's peer: the
     * client a trusted proxy forwarded the request for, as the application found it (gunicorn and
     * uvicorn log the same). Null (the default) names the peer.
     */
    public void logClientAs(String address) {
        loggedClient = address;
    }

    /** The client set by {@link #logClientAs}, or null: the access log names the connection's peer. */
    public String loggedClient() {
        return loggedClient;
    }

    /**
     * Closes the connection now, from any thread: a read of the request body or a write under way
     * fails at once, and nothing more of this response is sent. For a gateway whose application gave
     * up on an exchange another thread is still serving (see {@link HttpConnection#abort()}).
     */
    public void abortConnection() {
        connection.abort();
    }

    /**
     * True if the body is delimited by the connection's close (HTTP/1.0 without a length): a
     * response cut off should then end in a reset, or the client takes what it got for all of it
     * (see {@link HttpConnection#abort()}).
     */
    public boolean endsAtClose() {
        return endsAtClose;
    }

    /**
     * The fields the application's {@code Connection} header names besides {@code close} and
     * {@code keep-alive}, or null if none: options for the hop to this server (RFC 9110 section
     * 7.6.1), which it removes like a gateway instead of passing them on as ordinary fields.
     */
    private static String connectionOptions(List<Header> headers) {
        String options = null;
        for (int i = 0, n = headers.size(); i < n; i++) {
            Header h = headers.get(i);
            if (h.name().length() != 10 || !h.name().equalsIgnoreCase("Connection")) continue;
            for (String token : h.value().split(",")) {
                String t = token.trim();
                if (t.isEmpty() || t.equalsIgnoreCase("close") || t.equalsIgnoreCase("keep-alive")) continue;
                options = options == null ? t : options + "," + t;
            }
        }
        return options;
    }

}
