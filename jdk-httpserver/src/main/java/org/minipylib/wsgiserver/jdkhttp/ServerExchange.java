package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.http.Exchange;
import org.minipylib.wsgiserver.http.HeaderFields;
import org.minipylib.wsgiserver.http.HttpDate;
import org.minipylib.wsgiserver.http.HttpStatus;
import org.minipylib.wsgiserver.http.LogText;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * One request and its response, as the JDK's API shows them, on the server's {@link Exchange}.
 *
 * <p>{@link #sendResponseHeaders} follows the JDK: a length of 0 means chunked (close-delimited for
 * HTTP/1.0), -1 no body ({@code Content-Length: 0}), more a fixed length; HEAD, 1xx, 204 and 304
 * responses have no body whatever the length says (a HEAD or 304 response keeps a Content-Length
 * the handler set itself). A response without a body ends the exchange at once. Once sent, the
 * response headers show the {@code Date} and the framing header the response went out with, as on
 * the JDK's server, if the context has filters (they run after the handler, and may read them).
 *
 * <p>Attributes belong to the exchange (the JDK's own server keeps them in the context's map,
 * shared by all its exchanges; the API says they are stored with the exchange).
 */
class ServerExchange extends HttpExchange {

    private static final System.Logger LOG = System.getLogger(ServerExchange.class.getName());

    private final Exchange exchange;
    private final URI uri;
    private final ServerContext context;
    private Headers requestHeaders; // made at the first call for them
    private final Headers responseHeaders = new Headers();
    private volatile Map<String, Object> attributes; // made at the first setAttribute
    private final RequestStream requestStream;
    private final ResponseStream responseStream;
    private InputStream in;
    private OutputStream out;
    private volatile int responseCode = -1;
    private volatile HttpPrincipal principal;
    private volatile boolean closed;

    ServerExchange(Exchange exchange, URI uri, ServerContext context) {
        this.exchange = exchange;
        this.uri = uri;
        this.context = context;
        this.requestStream = new RequestStream(exchange.body());
        this.responseStream = new ResponseStream(exchange.response(), () -> closed = true);
        this.in = requestStream;
        this.out = responseStream;
    }

    private static Headers requestHeaders(HeaderFields fields) {
        Headers h = new Headers();
        for (int i = 0, n = fields.size(); i < n; i++) h.add(fields.name(i), fields.value(i));
        return Headers.of(h);
    }

    @Override
    public Headers getRequestHeaders() {
        Headers h = requestHeaders;
        if (h == null) {
            h = requestHeaders(exchange.request().headers());
            requestHeaders = h;
        }
        return h;
    }

    @Override
    public Headers getResponseHeaders() {
        return responseHeaders;
    }

    @Override
    public URI getRequestURI() {
        return uri;
    }

    @Override
    public String getRequestMethod() {
        return exchange.request().method();
    }

    @Override
    public HttpContext getHttpContext() {
        return context;
    }

    /**
     * Ends the exchange: closes the request body this exchange made (not a wrapper {@link
     * #setStreams} put around it, as the JDK's server: a wrapper that fails to close cannot keep
     * the response from going out), then the current response body, which may be a wrapper, which
     * ends the response. Before the headers were sent, it only marks the exchange closed: the
     * server then answers 500 (the JDK's server closes the connection without an answer); unless
     * another thread's read of the request body is under way, which would wait for the client (up
     * to the server's read timeout): then the connection is closed at once, as the JDK's server
     * does, and that read fails.
     */
    @Override
    public void close() {
        if (closed) return;
        if (responseCode < 0) {
            closed = true;
            requestStream.close();
            if (requestStream.isReading()) exchange.response().abortConnection();
            return;
        }
        try {
            requestStream.close();
            out.close();
        } catch (IOException e) { // a fixed-length body closed short: the server closes the connection after it
            LOG.log(System.Logger.Level.DEBUG, "Closing the exchange of \"{0}\": {1}", exchange.request().requestLine(), e.toString());
        }
        closed = true;
    }

    @Override
    public InputStream getRequestBody() {
        return in;
    }

    @Override
    public OutputStream getResponseBody() {
        return out;
    }

    /** @throws IOException also once the handler returned (see {@link #handlerReturned()}) */
    @Override
    public void sendResponseHeaders(int rCode, long responseLength) throws IOException {
        responseStream.lock(); // with handlerReturned(): a late thread must not start a response on the connection
        try {
            responseStream.checkHandlerRunning();
            sendHeaders(rCode, responseLength);
        } finally {
            responseStream.unlock();
        }
    }

    private void sendHeaders(int rCode, long responseLength) throws IOException {
        if (responseCode >= 0) throw new IOException("headers already sent");
        if (closed) throw new IOException("exchange closed");
        if (responseLength < -1) throw new IllegalArgumentException("Content-Length: " + responseLength);
        boolean head = exchange.request().isHead();
        boolean bodiless = rCode < 200 || rCode == 204 || rCode == 304;
        if (bodiless && responseLength != -1 || head && responseLength >= 0) {
            LOG.log(System.Logger.Level.WARNING, "sendResponseHeaders: rCode = {0}, {1} for {2}: no body is sent",
                    rCode, responseLength, exchange.request().requestLine());
        }
        boolean keepOwnLength = head || rCode == 304; // as the JDK: the handler may say what GET would send
        List<Header> headers = headerList(keepOwnLength);
        // What went out is shown to the filters that run after the handler; without any, it is not
        // (a sixth of pipelined throughput). The Date is shown, not passed: the server writes its
        // own (encoded once a second); a handler's own is passed and kept.
        boolean show = !context.getFilters().isEmpty();
        if (show && !responseHeaders.containsKey("Date")) responseHeaders.set("Date", HttpDate.now());
        String reason = HttpStatus.reason(rCode);
        if (head || bodiless || responseLength == -1) {
            exchange.response().beginEmpty(rCode, reason, headers);
            responseCode = rCode;
            if (show) showFraming(head || bodiless, responseLength);
            responseStream.headersSent(0, true);
        } else {
            long fixed = responseLength > 0 ? responseLength : -1; // 0: chunked (HTTP/1.1) or till close (1.0)
            exchange.response().begin(rCode, reason, headers, fixed);
            responseCode = rCode;
            if (show) showFraming(false, responseLength);
            responseStream.headersSent(fixed, false);
        }
    }

    /**
     * Puts the framing header the response went out with into the response headers, as the JDK's
     * server does: filters that run after the handler (access logs, {@code SimpleFileServer}'s
     * output filter) read it there: {@code Content-Length} (0 for -1), or chunked. HEAD, 1xx, 204
     * and 304 responses keep the headers the handler set.
     */
    private void showFraming(boolean bodiless, long responseLength) {
        if (bodiless) return;
        // Names spelt as Headers keeps them (it would make a new string for another spelling).
        if (responseLength != 0) {
            responseHeaders.set("Content-length", responseLength > 0 ? Long.toString(responseLength) : "0");
        } else if (!exchange.request().protocol().equals("HTTP/1.0")) { // 1.0: the body ends at the close
            responseHeaders.set("Transfer-encoding", "chunked");
        }
    }

    /**
     * The response headers for the server; it writes the framing ones itself. Checked here, since
     * {@link Headers} lets through what the wire must not carry: a name that is no token, a value
     * with a control character or a char above U+00FF (written as its low byte, U+010A would be an
     * LF: another header), refused with an {@code IOException}; a line fold ({@code "a\r\n b"},
     * which RFC 9112 section 5.2 forbids a sender) is sent as one space.
     */
    private List<Header> headerList(boolean keepOwnLength) throws IOException {
        List<Header> list = new ArrayList<>(responseHeaders.size() + 2);
        for (Map.Entry<String, List<String>> e : responseHeaders.entrySet()) {
            String name = e.getKey();
            if (name.equalsIgnoreCase("Transfer-Encoding")) continue;
            if (!keepOwnLength && name.equalsIgnoreCase("Content-Length")) continue;
            if (!Header.isValidName(name)) throw new IOException("Invalid response header name: " + LogText.printable(name));
            for (String value : e.getValue()) {
                String unfolded = value == null ? "" : value.indexOf('\r') < 0 ? value : OBS_FOLD.matcher(value).replaceAll(" ");
                if (!Header.isValidValue(unfolded)) {
                    throw new IOException("Invalid character in the value of response header " + name);
                }
                list.add(new Header(name, unfolded));
            }
        }
        return list;
    }

    private static final Pattern OBS_FOLD = Pattern.compile("[ \\t]*\\r\\n[ \\t]+");


    @Override
    public InetSocketAddress getRemoteAddress() {
        return exchange.remoteAddress() instanceof InetSocketAddress a ? a : null;
    }

    @Override
    public int getResponseCode() {
        return responseCode;
    }

    @Override
    public InetSocketAddress getLocalAddress() {
        return exchange.localAddress() instanceof InetSocketAddress a ? a : null;
    }

    @Override
    public String getProtocol() {
        return exchange.request().protocol();
    }

    @Override
    public Object getAttribute(String name) {
        Objects.requireNonNull(name, "null name parameter");
        Map<String, Object> map = attributes;
        return map == null ? null : map.get(name);
    }

    @Override
    public synchronized void setAttribute(String name, Object value) {
        Objects.requireNonNull(name, "null name parameter");
        Map<String, Object> map = attributes;
        if (value == null) {
            if (map != null) map.remove(name);
            return;
        }
        if (map == null) {
            map = new ConcurrentHashMap<>();
            attributes = map;
        }
        map.put(name, value);
    }

    @Override
    public void setStreams(InputStream i, OutputStream o) {
        if (i != null) in = i;
        if (o != null) out = o;
    }

    @Override
    public HttpPrincipal getPrincipal() {
        return principal;
    }

    void setPrincipal(HttpPrincipal principal) {
        this.principal = principal;
    }

    /** The server's exchange underneath. */
    Exchange exchange() {
        return exchange;
    }

    /**
     * After the handler returned: ends a response it left open, as {@link #close()} would (the JDK's
     * server leaves such an exchange open, and its client waiting).
     *
     * @return true if a response was sent in full
     * @throws IllegalStateException if no response headers were sent: the server answers 500
     */
    boolean complete() {
        responseStream.lock(); // a thread the handler left the exchange to cannot start a response meanwhile
        try {
            try {
                if (responseCode < 0) {
                    throw new IllegalStateException(closed ? "The handler closed the exchange before it sent response headers"
                            : "The handler returned without sending response headers");
                }
                if (!responseStream.isClosed()) {
                    try {
                        responseStream.close();
                    } catch (IOException e) {
                        LOG.log(System.Logger.Level.DEBUG, "Ending the response to \"{0}\": {1}", exchange.request().requestLine(), e.toString());
                    }
                }
                return exchange.response().isFinished();
            } finally {
                responseStream.handlerReturned(); // nor after it: the server's 500, or the next request, is next
            }
        } finally {
            responseStream.unlock();
        }
    }

    /**
     * The handler returned (or failed): the connection goes on to its next request, so the exchange
     * refuses from now on whatever would read or write it, from any thread the handler left it to
     * (that request would get the bytes for its answer); waits for a read or write under way.
     */
    void handlerReturned() {
        responseStream.handlerReturned();
        requestStream.handlerReturned();
    }

    /** True once the response was ended. */
    boolean responseEnded() {
        return responseStream.isClosed();
    }
}
