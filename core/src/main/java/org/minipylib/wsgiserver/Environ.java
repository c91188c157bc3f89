package org.minipylib.wsgiserver;

import org.minipylib.wsgiserver.http.RequestBody;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.channels.ReadableByteChannel;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The CGI/WSGI variables of one request: a mutable {@code Map<String, Object>} with the keys of
 * PEP 3333 (REQUEST_METHOD, SCRIPT_NAME, PATH_INFO, QUERY_STRING, CONTENT_TYPE, CONTENT_LENGTH,
 * SERVER_NAME, SERVER_PORT, SERVER_PROTOCOL, HTTP_*, wsgi.*...) plus typed accessors on top.
 *
 * <p>String values are "bytes as ISO-8859-1", as in PEP 3333: each character is one byte of the
 * request. Middleware may change entries (the {@code PathInfoDispatcher} moves a prefix from
 * PATH_INFO to SCRIPT_NAME); the accessors always read the current entries.
 *
 * <p>Entries may be deferred ({@link #putLater}): the server puts what applications read on nearly
 * every request at once, and the rest (the headers, the addresses, most {@code wsgi.*} keys) the
 * first time anything may need them. So, unlike a {@code HashMap}, even a lookup may change an
 * environ: it is not safe for concurrent use, lookups included. Hand it from thread to thread (as
 * through an executor), never share it.
 */
public final class Environ extends AbstractMap<String, Object> {

    // The standard keys. Every CGI value is a String (PEP 3333), SERVER_PORT and REMOTE_PORT too; the
    // typed accessors below parse them.

    /** The method, e.g. {@code GET}. */
    public static final String REQUEST_METHOD = "REQUEST_METHOD";
    /** Where the application is mounted: the path before PATH_INFO ({@code ""} at the root). */
    public static final String SCRIPT_NAME = "SCRIPT_NAME";
    /** The rest of the path, percent-decoded, one ISO-8859-1 character per byte. */
    public static final String PATH_INFO = "PATH_INFO";
    /** The query after {@code ?}, as sent (not decoded); {@code ""} for none. */
    public static final String QUERY_STRING = "QUERY_STRING";
    /** The request target as sent. */
    public static final String REQUEST_URI = "REQUEST_URI";
    /** The Content-Type header; absent when the request has none. */
    public static final String CONTENT_TYPE = "CONTENT_TYPE";
    /** The Content-Length header, as decimal text; absent without one (a chunked body, or none). */
    public static final String CONTENT_LENGTH = "CONTENT_LENGTH";
    /** The configured server name, else the address the client connected to. */
    public static final String SERVER_NAME = "SERVER_NAME";
    /** The port the client connected to, as text. */
    public static final String SERVER_PORT = "SERVER_PORT";
    /** {@code HTTP/1.1} or {@code HTTP/1.0}. */
    public static final String SERVER_PROTOCOL = "SERVER_PROTOCOL";
    /** The server's name and version. */
    public static final String SERVER_SOFTWARE = "SERVER_SOFTWARE";
    /** The client's address (an IPv6 one without brackets). */
    public static final String REMOTE_ADDR = "REMOTE_ADDR";
    /** The client's port, as text. */
    public static final String REMOTE_PORT = "REMOTE_PORT";
    /** A {@code List<Integer>}: {@code [1, 0]}. */
    public static final String WSGI_VERSION = "wsgi.version";
    /** {@code "http"} or {@code "https"}. */
    public static final String WSGI_URL_SCHEME = "wsgi.url_scheme";
    /** The request body: an {@link java.io.InputStream} (see {@link #input()}). */
    public static final String WSGI_INPUT = "wsgi.input";
    /** A {@code Boolean}: true, reading {@code wsgi.input} to its end is safe whatever the framing. */
    public static final String WSGI_INPUT_TERMINATED = "wsgi.input_terminated";
    /** A {@link PrintStream} whose lines go to the server's error log (see {@link #errors()}). */
    public static final String WSGI_ERRORS = "wsgi.errors";
    /** A {@code Boolean}: true, requests may be served on several threads at once. */
    public static final String WSGI_MULTITHREAD = "wsgi.multithread";
    /** A {@code Boolean}: false, one process serves. */
    public static final String WSGI_MULTIPROCESS = "wsgi.multiprocess";
    /** A {@code Boolean}: false, the application serves many requests. */
    public static final String WSGI_RUN_ONCE = "wsgi.run_once";
    /** A {@link FileWrapper} (see {@link #fileWrapper()}). */
    public static final String WSGI_FILE_WRAPPER = "wsgi.file_wrapper";

    /** Room for a typical request's entries (about 20, plus one per request header) before growing. */
    private static final int EXPECTED_ENTRIES = 32;

    private final LinearProbingMap map;
    private Consumer<? super Map<String, Object>> deferred; // see putLater
    private Set<Entry<String, Object>> entrySet;

    /** An empty environ (for tests and for calling applications directly). */
    public Environ() {
        this(EXPECTED_ENTRIES);
    }

    /** An empty environ with room for {@code expectedEntries} before it grows (the server sizes each request's). */
    public Environ(int expectedEntries) {
        this.map = new LinearProbingMap(expectedEntries);
    }

    /** An environ holding a copy of {@code entries}. */
    public Environ(Map<String, ?> entries) {
        this.map = new LinearProbingMap(Math.max(EXPECTED_ENTRIES, entries.size()));
        this.map.putAll(entries);
    }

    // ---- Map ----

    @Override
    public Object get(Object key) {
        Object value = map.get(key);
        return value != null || deferred == null ? value : withDeferred().get(key);
    }

    @Override
    public boolean containsKey(Object key) {
        return map.containsKey(key) || deferred != null && withDeferred().containsKey(key);
    }

    /** Puts an entry; the deferred entries are added first unless {@code key} is present (none of them is, then). */
    @Override
    public Object put(String key, Object value) {
        if (deferred != null && !map.containsKey(key)) addDeferred();
        return map.put(key, value);
    }

    @Override
    public Object remove(Object key) {
        return withDeferred().remove(key);
    }

    @Override
    public void clear() {
        deferred = null;
        map.clear();
    }

    @Override
    public int size() {
        return withDeferred().size();
    }

    @Override
    public boolean isEmpty() {
        return map.isEmpty() && withDeferred().isEmpty();
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
        Set<Entry<String, Object>> set = entrySet;
        if (set == null) {
            set = new AbstractSet<>() {
                @Override public Iterator<Entry<String, Object>> iterator() { return withDeferred().entrySet().iterator(); }
                @Override public int size() { return Environ.this.size(); }
                @Override public void clear() { Environ.this.clear(); }
            };
            entrySet = set;
        }
        return set;
    }

    /**
     * Defers entries, as if {@code entries} put them now: it runs once, the first time any of them
     * may be needed (a lookup of a key not present, the put of a key not present, a removal, a size,
     * an iteration), and puts them into the map it is given. It must put only keys not present now,
     * must not use this environ nor keep the map, and should not fail: if it throws, the entries it
     * had not put yet are lost. Entries deferred earlier are put before these.
     */
    public void putLater(Consumer<? super Map<String, Object>> entries) {
        Objects.requireNonNull(entries, "entries");
        Consumer<? super Map<String, Object>> earlier = deferred;
        deferred = earlier == null ? entries : m -> {
            earlier.accept(m);
            entries.accept(m);
        };
    }

    /** The map holding every entry: the deferred ones are added first if there are any. */
    private LinearProbingMap withDeferred() {
        if (deferred != null) addDeferred();
        return map;
    }

    private void addDeferred() {
        Consumer<? super Map<String, Object>> entries = deferred;
        deferred = null; // at most once, even if it fails
        entries.accept(map);
    }

    // ---- typed accessors ----

    /** The string value of {@code key}, or {@code null} if absent or not a string. */
    public String string(String key) {
        return get(key) instanceof String s ? s : null;
    }

    private String stringOr(String key, String fallback) {
        String s = string(key);
        return s == null ? fallback : s;
    }

    /** REQUEST_METHOD, e.g. {@code GET}. */
    public String method() { return stringOr(REQUEST_METHOD, "GET"); }

    /** SCRIPT_NAME: where the application is mounted ({@code ""} at the root). */
    public String scriptName() { return stringOr(SCRIPT_NAME, ""); }

    /** PATH_INFO: the percent-decoded path below SCRIPT_NAME ({@code %2F} stays encoded). */
    public String pathInfo() { return stringOr(PATH_INFO, ""); }

    /** SCRIPT_NAME + PATH_INFO: the whole decoded path of the request. */
    public String path() { return scriptName() + pathInfo(); }

    /** QUERY_STRING, raw (not decoded), without the {@code ?}; {@code ""} if there is none. */
    public String queryString() { return stringOr(QUERY_STRING, ""); }

    /** REQUEST_URI: the request target exactly as the client sent it. */
    public String requestUri() { return string(REQUEST_URI); }

    /** SERVER_PROTOCOL, e.g. {@code HTTP/1.1}. */
    public String protocol() { return stringOr(SERVER_PROTOCOL, "HTTP/1.1"); }

    /** wsgi.url_scheme: {@code http} or {@code https}. */
    public String urlScheme() { return stringOr(WSGI_URL_SCHEME, "http"); }

    /** SERVER_NAME. */
    public String serverName() { return string(SERVER_NAME); }

    /** SERVER_PORT as a number, or -1 if absent or not numeric. */
    public int serverPort() { return parseInt(string(SERVER_PORT)); }

    /** REMOTE_ADDR: the client's address. */
    public String remoteAddr() { return string(REMOTE_ADDR); }

    /** REMOTE_PORT as a number, or -1 if absent. */
    public int remotePort() { return parseInt(string(REMOTE_PORT)); }

    /** CONTENT_TYPE, or {@code null} if the request had none. */
    public String contentType() {
        String s = string(CONTENT_TYPE);
        return s == null || s.isEmpty() ? null : s;
    }

    /** CONTENT_LENGTH as a number, or -1 if absent (for example, a chunked request body). */
    public long contentLength() {
        String s = string(CONTENT_LENGTH);
        if (s == null || s.isEmpty()) return -1;
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * A request header by its HTTP name, ignoring case: {@code header("User-Agent")} reads
     * HTTP_USER_AGENT; {@code Content-Type} and {@code Content-Length} read their CGI keys.
     * Repeated headers come joined with {@code ", "}. Returns {@code null} if absent, and for a name
     * with an underscore: the server drops such headers, and {@code X_User}'s key would be its
     * twin {@code X-User}'s, which any client may send.
     */
    public String header(String name) {
        if (name.indexOf('_') >= 0) return null;
        String upper = name.toUpperCase(Locale.ROOT).replace('-', '_');
        if (upper.equals("CONTENT_TYPE") || upper.equals("CONTENT_LENGTH")) {
            String s = string(upper);
            return s == null || s.isEmpty() ? null : s;
        }
        return string("HTTP_" + upper);
    }

    /** wsgi.input: the request body, bounded by its framing (reads return -1 at its end). */
    public InputStream input() {
        return get(WSGI_INPUT) instanceof InputStream in ? in : InputStream.nullInputStream();
    }

    /**
     * wsgi.input as a channel, to read the body into {@link java.nio.ByteBuffer}s. Each call gives a
     * new channel over the same stream. The server's own body stream reads a large Content-Length
     * body into a direct buffer with no copy through the heap where its connection allows (see
     * {@link RequestBody#channel()}), and closing that channel leaves the stream alone; any other
     * stream (a middleware's) is adapted as {@code Channels.newChannel(InputStream)} does, by a
     * channel whose {@code close()} closes the stream, though its reads hold no monitor (before
     * JDK 24 a read that waits for the client inside one pins a virtual thread's carrier).
     */
    public ReadableByteChannel inputChannel() {
        InputStream in = input();
        return in instanceof RequestBody body ? body.channel() : new InputStreamChannel(in);
    }

    /**
     * wsgi.file_wrapper: makes a response body of an open file (see {@link FileWrapper}); the
     * standard one if the environ has none.
     */
    public FileWrapper fileWrapper() {
        return get(WSGI_FILE_WRAPPER) instanceof FileWrapper wrapper ? wrapper : FileWrapper.standard();
    }

    /** wsgi.errors: where an application may write error text; it goes to the server's error log. */
    public PrintStream errors() {
        return get(WSGI_ERRORS) instanceof PrintStream ps ? ps : System.err;
    }

    private static int parseInt(String s) {
        if (s == null) return -1;
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
