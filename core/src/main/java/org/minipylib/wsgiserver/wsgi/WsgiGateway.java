package org.minipylib.wsgiserver.wsgi;

import org.minipylib.wsgiserver.ByteBufferBody;
import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.FileBody;
import org.minipylib.wsgiserver.FileWrapper;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.http.Exchange;
import org.minipylib.wsgiserver.http.Gateway;
import org.minipylib.wsgiserver.http.HeaderFields;
import org.minipylib.wsgiserver.http.RequestHead;
import org.minipylib.wsgiserver.tls.SslEnviron;

import java.io.PrintStream;
import java.lang.reflect.UndeclaredThrowableException;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The WSGI gateway: turns each HTTP exchange into a call of a {@link WsgiApp} with a PEP 3333
 * environ, and streams the returned body out.
 *
 * <p>Bodies that are a {@link Collection} are fully in memory, so they get a Content-Length and go
 * out in as few writes as possible; other iterables are streamed, each chunk sent before the next is
 * asked for (PEP 3333 forbids delaying a block). A {@link ByteBufferBody} is written from its buffers
 * (a large direct one with no copy into the heap), a {@link FileBody} from its file (by the operating
 * system where the connection allows). An {@link AutoCloseable} body is closed exactly once.
 */
public final class WsgiGateway implements Gateway {

    private static final List<Integer> WSGI_VERSION = List.of(1, 0);
    private static final int MAX_CACHED_KEYS = 1024;
    /** Longer header names are not cached: 1024 of them at the header size limit would hold tens of megabytes. */
    private static final int MAX_CACHED_KEY_LENGTH = 64;
    /** Entries of every environ besides the HTTP_* ones (CGI variables and wsgi.*). */
    private static final int FIXED_ENTRIES = 22;
    private static final FileWrapper FILE_WRAPPER = FileWrapper.standard();

    private final WsgiApp app;
    private final String software;
    /**
     * HTTP_* keys by header name, so that a request's usual headers allocate no key. Emptied when
     * full: header names a scanner made up do not keep the usual ones out for good.
     */
    private final Map<String, String> cgiKeys = new ConcurrentHashMap<>();
    private static final System.Logger LOG = System.getLogger(WsgiGateway.class.getName());

    private volatile ErrorLogStream errors = new ErrorLogStream(); // replaced if an application closes it
    private volatile boolean closedErrorsWarned;
    private final AddressVariables addressVariables;
    private final WsgiResponse.CheckedStarts checkedStarts = new WsgiResponse.CheckedStarts();

    /**
     * @param app        the application
     * @param serverName SERVER_NAME to report, or {@code null} for the address the client connected to
     * @param software   SERVER_SOFTWARE to report
     */
    public WsgiGateway(WsgiApp app, String serverName, String software) {
        this.app = app;
        this.software = software;
        this.addressVariables = new AddressVariables(serverName);
    }

    @Override
    public void handle(Exchange exchange) throws Exception {
        DeferredEntries deferred = new DeferredEntries(exchange);
        Environ environ = environ(exchange, deferred);
        try {
            respond(exchange, environ);
        } finally {
            logReplacedClient(environ, deferred, exchange);
        }
    }

    private void respond(Exchange exchange, Environ environ) throws Exception {
        WsgiResponse response = new WsgiResponse(exchange.response(), checkedStarts, exchange.request().isHead());
        Iterable<byte[]> body = app.call(environ, response);
        // An interrupt flag the application left (restoring one it caught) is stale now, and a file
        // channel read with it set closes itself: a FileBody, sent or iterated, would fail.
        Thread.interrupted();
        if (body == null) throw new IllegalStateException("The application returned null instead of a body");
        Throwable failure = null;
        try {
            if (body instanceof FileBody file) {
                response.bodyLength(file.length());
                response.file(file.channel(), file.position(), file.length());
            } else if (body instanceof ByteBufferBody buffers) {
                sendBuffers(buffers, response, exchange.request().isHead());
            } else if (body instanceof Collection<byte[]> chunks) {
                response.bodyLength(totalLength(chunks));
                for (byte[] chunk : chunks) response.chunk(chunk, false);
            } else {
                boolean head = exchange.request().isHead();
                Iterator<byte[]> it = body.iterator();
                while (wantsMore(response, head) && it.hasNext()) response.chunk(it.next(), true);
            }
        } catch (Throwable t) {
            failure = t;
        }
        if (body instanceof AutoCloseable closeable) {
            boolean complete = false;
            if (failure == null) {
                // The client has its whole response before close() runs, which may go on working
                // (werkzeug's call_on_close, a metrics middleware), as wsgiref and gunicorn do.
                try {
                    response.finish();
                    exchange.response().flushUnlessPipelined();
                    complete = true;
                } catch (Throwable t) {
                    failure = t;
                }
            }
            try {
                closeable.close();
            } catch (Exception e) {
                if (!complete) {
                    failure.addSuppressed(e);
                } else { // the response is whole: only the clean-up after it failed
                    LOG.log(System.Logger.Level.ERROR, "The body's close() failed after the response to \""
                            + exchange.request().requestLine() + "\" was produced", e);
                }
            }
        }
        if (failure instanceof Exception e) throw e;
        if (failure instanceof Error e) throw e;
        if (failure != null) throw new UndeclaredThrowableException(failure); // a Throwable of neither kind (Kotlin, a sneaky throw)
        response.finish(); // a second call (after the close above) does nothing
    }

    /**
     * A {@link ByteBufferBody}'s buffers, written from where they are (see {@link ByteBufferBody}). With a
     * known length it is sent as Content-Length and the buffers are not flushed one by one, as for a
     * collection; else each is pushed out before the next is asked for.
     */
    private static void sendBuffers(ByteBufferBody body, WsgiResponse response, boolean head) throws Exception {
        long length = body.length();
        boolean streamed = length < 0;
        if (!streamed) response.bodyLength(length);
        Iterator<ByteBuffer> it = body.buffers();
        while (wantsMore(response, head) && it.hasNext()) response.chunk(it.next(), streamed);
    }

    /**
     * False once no more of a streamed body can be sent, looked at before each chunk is asked for (the
     * first too: write() may have given it all): for HEAD, a 204 or a 304 once the headers are out
     * (spare the app the work: an endless stream behind a 304 would never end), else once the
     * Content-Length is given (PEP 3333: stop iterating then).
     */
    private static boolean wantsMore(WsgiResponse response, boolean head) {
        return !((head || response.forbidsBody()) && response.headersSent()) && !response.bodyComplete();
    }

    private static long totalLength(Collection<byte[]> chunks) {
        long total = 0;
        for (byte[] chunk : chunks) {
            if (chunk != null) total += chunk.length;
        }
        return total;
    }

    /**
     * Builds the PEP 3333 environ for an exchange. What applications read on nearly every request
     * (the method, the path, the query, the body and its length, the scheme) is put at once, the rest
     * the first time anything may need it ({@link Environ#putLater}): an application that reads only
     * those keys costs no work for the others.
     */
    public Environ environ(Exchange exchange) {
        return environ(exchange, new DeferredEntries(exchange));
    }

    private Environ environ(Exchange exchange, DeferredEntries deferred) {
        RequestHead head = exchange.request();
        Environ env = new Environ(FIXED_ENTRIES + head.headers().size());
        env.put(Environ.REQUEST_METHOD, head.method());
        env.put(Environ.SCRIPT_NAME, "");
        env.put(Environ.PATH_INFO, head.path());
        env.put(Environ.QUERY_STRING, head.query() == null ? "" : head.query());
        if (head.framing() != RequestHead.BodyFraming.CHUNKED && head.contentLength() >= 0) {
            env.put(Environ.CONTENT_LENGTH, Long.toString(head.contentLength()));
        }
        env.put(Environ.WSGI_INPUT, exchange.body());
        env.put(Environ.WSGI_URL_SCHEME, exchange.scheme());
        env.putLater(deferred);
        return env;
    }

    /**
     * The client the application's middleware put in REMOTE_ADDR in place of the server's (a trusted
     * proxy's client: {@link org.minipylib.wsgiserver.apps.ForwardedHeadersApp}), named by the access log
     * as gunicorn does. Nothing to look at when the deferred entries were never put, since a put of
     * REMOTE_ADDR puts them first.
     */
    private static void logReplacedClient(Environ environ, DeferredEntries deferred, Exchange exchange) {
        String put = deferred.remoteAddr;
        if (put != null && environ.get(Environ.REMOTE_ADDR) instanceof String now && !now.equals(put)) {
            exchange.response().logClientAs(now);
        }
    }

    /** The entries {@link #environ} defers ({@link Environ#putLater}); remembers the REMOTE_ADDR they held. */
    private final class DeferredEntries implements Consumer<Map<String, Object>> {
        private final Exchange exchange;
        private String remoteAddr; // once put

        DeferredEntries(Exchange exchange) {
            this.exchange = exchange;
        }

        @Override
        public void accept(Map<String, Object> env) {
            putDeferred(env, exchange);
            remoteAddr = (String) env.get(Environ.REMOTE_ADDR);
        }
    }

    /** The entries {@link #environ} leaves to the first lookup that may need them (it puts none of these keys itself). */
    private void putDeferred(Map<String, Object> env, Exchange exchange) {
        RequestHead head = exchange.request();
        env.put(Environ.REQUEST_URI, head.target());
        env.put(Environ.SERVER_PROTOCOL, head.protocol());
        env.put(Environ.SERVER_SOFTWARE, software);

        addressVariables.put(env, exchange.localAddress(), exchange.remoteAddress());

        HeaderFields headers = head.headers();
        for (int i = 0; i < headers.size(); i++) {
            String name = headers.name(i);
            if (name.indexOf('_') >= 0) continue; // could impersonate a dash-named header (X_User vs X-User)
            String key = cgiKey(name);
            if (key.equals("HTTP_CONTENT_LENGTH")) continue; // CONTENT_LENGTH is set from the parsed framing
            if (key.equals("HTTP_HOST")) continue; // set from head.host() below (an absolute-form target overrides the header)
            if (key.equals("HTTP_CONTENT_TYPE")) key = Environ.CONTENT_TYPE; // and joined like any repeated field
            Object previous = env.get(key);
            String value = headers.value(i);
            if (previous instanceof String p) {
                value = p + (key.equals("HTTP_COOKIE") ? "; " : ", ") + value;
            }
            env.put(key, value);
        }
        if (head.host() != null) env.put("HTTP_HOST", head.host());

        env.put(Environ.WSGI_VERSION, WSGI_VERSION);
        env.put(Environ.WSGI_INPUT_TERMINATED, Boolean.TRUE);
        env.put(Environ.WSGI_ERRORS, errorStream());
        env.put(Environ.WSGI_MULTITHREAD, Boolean.TRUE);
        env.put(Environ.WSGI_MULTIPROCESS, Boolean.FALSE);
        env.put(Environ.WSGI_RUN_ONCE, Boolean.FALSE);
        env.put(Environ.WSGI_FILE_WRAPPER, FILE_WRAPPER);
        SslEnviron.addTo(env, exchange.sslSession());
        if (exchange.sslSession() == null) SslEnviron.addTo(env, exchange.proxiedTls()); // our own TLS wins
    }

    /**
     * {@code wsgi.errors}, shared by the requests (PEP 3333: the server's); once an application has
     * closed it, which would silence every later request's lines, a new one.
     */
    private PrintStream errorStream() {
        ErrorLogStream current = errors;
        if (current.isClosed()) {
            current = new ErrorLogStream();
            errors = current;
            // once a warning: an application that closes it on every request must not flood the log
            LOG.log(closedErrorsWarned ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING,
                    "An application closed wsgi.errors, which belongs to the server (PEP 3333); requests from now on get a new one");
            closedErrorsWarned = true;
        }
        return current.printStream();
    }

    /** How many header names the environ's key cache holds (for tests). */
    int cachedHeaderKeys() {
        return cgiKeys.size();
    }

    /**
     * {@code User-Agent} -> {@code HTTP_USER_AGENT}, cached for names seen often; a long name (a
     * client's invention: the cache outlives its request) is not kept.
     */
    private String cgiKey(String name) {
        String key = cgiKeys.get(name);
        if (key != null) return key;
        key = "HTTP_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
        if (name.length() > MAX_CACHED_KEY_LENGTH) return key;
        if (cgiKeys.size() >= MAX_CACHED_KEYS) cgiKeys.clear();
        cgiKeys.put(name, key);
        return key;
    }
}
