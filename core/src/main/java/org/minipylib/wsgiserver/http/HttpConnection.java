package org.minipylib.wsgiserver.http;

import org.minipylib.wsgiserver.AccessLogEntry;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.minipylib.wsgiserver.Header;

/**
 * One client connection and its request loop (RFC 9112): read a request head, hand the exchange to
 * the gateway, finish the response, decide whether the connection can carry another request, and
 * repeat while requests are buffered (pipelining; responses in order, batched into few writes).
 *
 * <p>A connection alternates between waiting for a request ({@link #awaitRequest()}, which holds no
 * worker in the server's design) and serving the requests that arrived ({@link #serve()}). Which
 * threads run the two is the server's business. Errors the server itself answers: 400, 408, 413,
 * 414, 417, 431, 500, 501, 503, 505; after any doubt about framing the connection is closed.
 */
public final class HttpConnection {

    /** What a connection needs from the server that owns it. */
    public interface Owner {
        /** True while the server is shutting down: responses say {@code Connection: close}. */
        boolean isDraining();

        /** Called exactly once, when the connection is closed. */
        void connectionClosed(HttpConnection connection);
    }

    private static final System.Logger LOG = System.getLogger("org.minipylib.wsgiserver");
    private static final byte[] CONTINUE_100 = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int IDLE = 0;
    private static final int BUSY = 1;
    private static final int CLOSED = 2;
    private static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long LINGER_MAX_BYTES = 1 << 20;

    private final Transport transport;
    private final Gateway gateway;
    private final HttpSettings settings;
    private final Owner owner;
    private final RequestParser parser;
    private final ConnectionInput input;
    private final ConnectionOutput output;
    private final AtomicInteger state = new AtomicInteger(BUSY);
    private final int keepAliveMillis;
    private final int bodyReadMillis;
    private final long headTimeoutNanos;
    private final long writeTimeoutNanos;
    private RequestBody currentBody;
    private HttpResponse currentResponse;
    private boolean lingerOnClose;
    private long requests;

    public HttpConnection(Transport transport, Gateway gateway, HttpSettings settings, Owner owner) {
        this.transport = transport;
        this.gateway = gateway;
        this.settings = settings;
        this.owner = owner;
        this.parser = new RequestParser(settings.limits());
        this.output = new ConnectionOutput(transport, 16 * 1024);
        this.input = new ConnectionInput(transport, output, 8 * 1024, settings.limits().maxHeadSize() + 16);
        HttpTimeouts t = settings.timeouts();
        this.keepAliveMillis = HttpTimeouts.millis(t.keepAlive());
        this.bodyReadMillis = HttpTimeouts.millis(t.bodyRead());
        this.headTimeoutNanos = t.requestHead().toNanos();
        this.writeTimeoutNanos = t.write().toNanos();
    }

    /** The transport this connection speaks over. */
    public Transport transport() {
        return transport;
    }

    /** Requests answered on this connection so far. */
    public long requestCount() {
        return requests;
    }

    /** True once the connection is closed. */
    public boolean isClosed() {
        return state.get() == CLOSED;
    }

    /**
     * Waits for the first bytes of the next request (up to the keep-alive timeout). Blocks: the
     * server runs this on a virtual thread, so an idle connection holds no worker.
     *
     * @return true if request bytes arrived and the connection is now busy; false if it was closed
     *         (client gone, timeout, or server shutting down)
     */
    public boolean awaitRequest() {
        if (input.available() > 0) return state.get() != CLOSED; // pipelined bytes already here
        state.compareAndSet(BUSY, IDLE);
        if (owner.isDraining()) {
            closeIfIdle();
            return false;
        }
        try {
            int n = input.fill(keepAliveMillis);
            if (n < 0) {
                close();
                return false;
            }
        } catch (IOException e) { // timeout, reset, or closed by closeIfIdle()
            close();
            return false;
        }
        return state.compareAndSet(IDLE, BUSY);
    }

    /**
     * Serves requests while they are buffered or arriving, then returns.
     *
     * @return true if the connection is open and idle (no buffered bytes; call {@link #awaitRequest()}
     *         next); false if it was closed
     */
    public boolean serve() {
        try {
            while (true) {
                RequestHead head;
                try {
                    head = readHead();
                } catch (BadRequestException e) {
                    sendError(e.status(), e.getMessage());
                    closeGracefully();
                    return false;
                } catch (SocketTimeoutException e) {
                    if (headStarted) {
                        sendError(408, "The request head did not arrive in time");
                        closeGracefully();
                    } else {
                        close();
                    }
                    return false;
                }
                if (head == null) {
                    close();
                    return false;
                }
                if (!exchange(head)) {
                    closeGracefully();
                    return false;
                }
                if (input.available() == 0) {
                    output.flush();
                    return true;
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "Connection from {0} failed: {1}", transport.remoteAddress(), e.toString());
            abort();
            return false;
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.ERROR, "Unexpected error serving " + transport.remoteAddress(), t);
            abort();
            return false;
        }
    }

    /** Answers 503 (the server is full) and closes. */
    public void rejectBusy() {
        try {
            sendErrorWithHeaders(503, "The server is too busy to take this request; try again later.",
                    "Retry-After: 1\r\n");
        } catch (IOException e) {
            // the client is gone
        }
        lingerOnClose = true;
        closeGracefully();
    }

    /** Closes the connection if it is waiting for a request; returns true if it did. */
    public boolean closeIfIdle() {
        if (state.compareAndSet(IDLE, CLOSED)) {
            transport.close();
            owner.connectionClosed(this);
            return true;
        }
        return false;
    }

    /** Closes the connection now, whatever it is doing (a blocked read or write fails at once). */
    public void abort() {
        close();
    }

    /**
     * Closes the connection if a write has been blocked longer than the write timeout (the client
     * stopped reading). Called periodically by the server's watchdog.
     *
     * @return true if it closed the connection
     */
    public boolean checkWriteTimeout(long nowNanos) {
        long started = output.writeStartedNanos();
        if (started != 0 && nowNanos - started > writeTimeoutNanos && state.get() != CLOSED) {
            LOG.log(System.Logger.Level.DEBUG, "Write to {0} timed out; closing", transport.remoteAddress());
            abort();
            return true;
        }
        return false;
    }

    // ---- request head ----

    private boolean headStarted;

    /** Reads and parses the next request head; null at end of stream before a request began. */
    private RequestHead readHead() throws IOException {
        HttpLimits limits = settings.limits();
        headStarted = false;
        long deadline = 0;
        int scanned = 0;
        boolean lineComplete = false;
        while (true) {
            if (scanned == 0) skipEmptyLines();
            int avail = input.available();
            if (avail > 0) {
                headStarted = true;
                byte[] b = input.buf;
                int start = input.pos;
                if (!lineComplete) {
                    int lf = RequestParser.indexOf(b, (byte) '\n', start + scanned, start + avail);
                    lineComplete = lf >= 0;
                    // an unfinished line may end in the CR of its CRLF: that byte is not part of the line
                    int lineLength = lineComplete ? lf - start - 1 : (b[start + avail - 1] == '\r' ? avail - 1 : avail);
                    if (lineLength > limits.maxRequestLineLength()) {
                        throw new BadRequestException(414, "Request line is longer than " + limits.maxRequestLineLength() + " bytes");
                    }
                }
                int end = RequestParser.findHeadEnd(b, start, start + scanned, start + avail);
                if (end >= 0) {
                    RequestHead head = parser.parse(b, start, end);
                    input.skip(end - start);
                    return head;
                }
                scanned = avail;
                if (avail >= limits.maxHeadSize()) {
                    throw new BadRequestException(431, "Request header section is larger than " + limits.maxHeaderSectionSize() + " bytes");
                }
            }
            long now = System.nanoTime();
            if (deadline == 0) deadline = now + headTimeoutNanos;
            long left = deadline - now;
            if (left <= 0) throw new SocketTimeoutException("request head timeout");
            int n = input.fill((int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(left))));
            if (n < 0) return null;
        }
    }

    /** RFC 9112 section 2.2: ignore empty lines before a request line. */
    private void skipEmptyLines() {
        byte[] b = input.buf;
        while (input.pos < input.limit && (b[input.pos] == '\r' || b[input.pos] == '\n')) input.pos++;
    }

    // ---- one exchange ----

    /** Runs one request through the gateway; returns true if the connection may carry another. */
    private boolean exchange(RequestHead head) throws IOException {
        long startNanos = System.nanoTime();
        HttpLimits limits = settings.limits();
        requests++;
        if (head.contentLength() > limits.maxBodySize()) { // refused before 100-continue
            sendError(413, "Request body is larger than " + limits.maxBodySize() + " bytes");
            lingerOnClose = true;
            log(head, 413, 0, startNanos);
            return false;
        }
        RequestBody body = newBody(head);
        currentBody = body;
        HttpResponse response = new HttpResponse(this, head, output, settings.serverHeader());
        currentResponse = response;
        Throwable failure = null;
        try {
            gateway.handle(new Exchange(head, body, response, transport.localAddress(), transport.remoteAddress(),
                    transport.scheme()));
        } catch (Throwable t) {
            failure = t;
        }
        if (failure != null || !response.isFinished()) {
            if (output.failed()) { // the client went away mid-response
                LOG.log(System.Logger.Level.DEBUG, "Client {0} went away during \"{1}\"", transport.remoteAddress(), head.requestLine());
                return false;
            }
            if (response.isCommitted()) {
                if (failure != null) {
                    LOG.log(System.Logger.Level.ERROR, "Error after the response to \"" + head.requestLine() + "\" started; closing the connection", failure);
                }
                abort();
                return false;
            }
            IOException bodyError = body.failure();
            if (bodyError instanceof BadRequestException bad) {
                response = errorResponse(head, bad.status(), bad.getMessage(), true);
            } else if (bodyError instanceof SocketTimeoutException) {
                response = errorResponse(head, 408, "The request body did not arrive in time", true);
            } else if (bodyError != null) {
                return false; // the client went away while sending its body
            } else {
                if (failure != null) {
                    LOG.log(System.Logger.Level.ERROR, "Error serving \"" + head.requestLine() + "\"", failure);
                } else {
                    LOG.log(System.Logger.Level.ERROR, "Gateway did not finish the response to \"{0}\"", head.requestLine());
                }
                response = errorResponse(head, 500, "The server could not complete your request.", false);
            }
        }
        boolean keep = !response.closeAfter() && head.keepAlive() && !owner.isDraining();
        if (!body.isFullyRead()) {
            if (keep) {
                boolean neverAskedForBody = head.expectContinue() && !body.isStarted();
                keep = !neverAskedForBody && body.drain(limits.maxDrainSize());
            }
            if (!keep) lingerOnClose = true;
        }
        log(head, response.status(), response.bodyBytes(), startNanos);
        currentBody = null;
        currentResponse = null;
        return keep;
    }

    private RequestBody newBody(RequestHead head) {
        return switch (head.framing()) {
            case NONE -> new RequestBody(null, null);
            case CONTENT_LENGTH -> new RequestBody(
                    new FixedLengthInputStream(input, head.contentLength(), bodyReadMillis), continueHook(head));
            case CHUNKED -> new RequestBody(
                    new ChunkedInputStream(input, settings.limits(), bodyReadMillis), continueHook(head));
        };
    }

    private RequestBody.FirstReadHook continueHook(RequestHead head) {
        if (!head.expectContinue()) return null;
        return () -> {
            // The client waits for this before it sends the body; once a response started it is too late.
            if (input.available() == 0 && !currentResponse.isCommitted()) {
                output.write(CONTINUE_100);
                output.flush();
            }
        };
    }

    /** Called by {@link HttpResponse#begin}: true if the connection will close after this response. */
    boolean mustCloseAfter(RequestHead request) {
        if (!request.keepAlive() || owner.isDraining()) return true;
        RequestBody body = currentBody;
        if (body == null || body.isFullyRead()) return false;
        if (body.failure() != null) return true;
        if (body.remainingLength() > settings.limits().maxDrainSize()) return true; // too much to drain
        // The client waits for 100 Continue that we never sent: it may or may not send the body.
        return request.expectContinue() && !body.isStarted();
    }

    private HttpResponse errorResponse(RequestHead head, int status, String message, boolean close) throws IOException {
        HttpResponse response = new HttpResponse(this, head, output, settings.serverHeader());
        byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        List<Header> headers = close
                ? List.of(Header.of("Content-Type", "text/plain; charset=utf-8"), Header.of("X-Content-Type-Options", "nosniff"),
                        Header.of("Connection", "close"))
                : List.of(Header.of("Content-Type", "text/plain; charset=utf-8"), Header.of("X-Content-Type-Options", "nosniff"));
        response.begin(status, HttpStatus.reason(status), headers, body.length);
        response.write(body, 0, body.length);
        response.finish();
        return response;
    }

    /** Writes a complete error response when there is no usable request head, and flushes it. */
    private void sendError(int status, String message) throws IOException {
        sendErrorWithHeaders(status, message, "");
    }

    private void sendErrorWithHeaders(int status, String message, String extraHeaders) throws IOException {
        byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        output.writeLatin1("HTTP/1.1 " + status + " " + HttpStatus.reason(status) + "\r\n");
        output.write(HttpDate.headerLine());
        if (settings.serverHeader() != null) output.writeLatin1("Server: " + settings.serverHeader() + "\r\n");
        output.writeLatin1("Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n"
                + extraHeaders + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n");
        output.write(body);
        output.flush();
    }

    private void log(RequestHead head, int status, long bodyBytes, long startNanos) {
        var accessLog = settings.accessLog();
        if (accessLog == null) return;
        long duration = System.nanoTime() - startNanos;
        SocketAddress remote = transport.remoteAddress();
        String addr = remote instanceof InetSocketAddress isa ? isa.getAddress().getHostAddress() : String.valueOf(remote);
        try {
            accessLog.log(new AccessLogEntry(addr, Instant.now().minusNanos(duration), head.requestLine(), status, bodyBytes,
                    head.headers().get("Referer"), head.headers().get("User-Agent"), duration));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Access log failed", e);
        }
    }

    // ---- closing ----

    private void close() {
        if (state.getAndSet(CLOSED) != CLOSED) {
            transport.close();
            owner.connectionClosed(this);
        }
    }

    /**
     * Closes after a response. If the client may still be sending (an unread body, a refused
     * request), first half-close and read what it sends for a short while: closing a socket with
     * unread input makes the kernel send a reset, which can destroy the response before the client
     * read it. The lingering runs on a virtual thread so that no worker waits for it.
     */
    private void closeGracefully() {
        try {
            output.flush();
        } catch (IOException e) {
            close();
            return;
        }
        if (!lingerOnClose && input.available() == 0) {
            close();
            return;
        }
        if (state.getAndSet(CLOSED) == CLOSED) return;
        owner.connectionClosed(this);
        Thread.ofVirtual().name("wsgiserver-linger").start(this::linger);
    }

    private void linger() {
        try {
            transport.shutdownOutput();
            byte[] scratch = new byte[8192];
            long deadline = System.nanoTime() + LINGER_NANOS;
            long total = 0;
            while (total < LINGER_MAX_BYTES) {
                long left = deadline - System.nanoTime();
                if (left <= 0) break;
                int n = transport.read(scratch, 0, scratch.length, (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                if (n < 0) break;
                total += n;
            }
        } catch (IOException e) {
            // timeout or reset: either way we are done
        } finally {
            transport.close();
        }
    }
}
