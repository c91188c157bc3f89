package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.StartResponse;
import org.minipylib.wsgiserver.WsgiApp;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Hosts several applications in one server, mounted by path prefix (CherryPy's
 * {@code WSGIPathInfoDispatcher}). The longest matching prefix wins; prefixes match on {@code /}
 * boundaries ({@code /blog} serves {@code /blog}, {@code /blog/} and {@code /blog/x}, not
 * {@code /blogx}); the matched prefix moves from PATH_INFO to SCRIPT_NAME. A request no prefix
 * matches gets a 404. Mount an application at {@code "/"} (or {@code ""}) to catch everything else
 * ({@code OPTIONS *} included). Paths match as PATH_INFO has them: the server has resolved dot
 * segments already ({@code /blog/../admin} arrives as {@code /admin}), so a request cannot name one
 * mount through another. A prefix beyond ASCII is matched as its UTF-8 bytes ({@link #asPathInfo}).
 *
 * <pre>{@code
 * WsgiApp root = new PathInfoDispatcher(Map.of("/", home, "/blog", blog));
 * }</pre>
 */
public final class PathInfoDispatcher implements WsgiApp {

    private record Mount(String prefix, WsgiApp app) {
    }

    private static final byte[] NOT_FOUND = "Not Found\n".getBytes(StandardCharsets.US_ASCII);

    private final List<Mount> mounts; // longest prefix first

    /**
     * Mounts each application at its prefix ({@code "/"} or {@code ""} for the root).
     *
     * @throws IllegalArgumentException if a prefix does not start with {@code /}, or two prefixes
     *                                  are the same once trailing slashes are dropped ({@code /app}
     *                                  and {@code /app/}): one would hide the other
     */
    public PathInfoDispatcher(Map<String, ? extends WsgiApp> apps) {
        List<Mount> list = new ArrayList<>();
        Map<String, String> given = new HashMap<>();
        for (Map.Entry<String, ? extends WsgiApp> e : apps.entrySet()) {
            String prefix = normalize(e.getKey());
            String other = given.putIfAbsent(prefix, e.getKey());
            if (other != null) {
                throw new IllegalArgumentException("prefixes \"" + other + "\" and \"" + e.getKey() + "\" mount at the same place");
            }
            list.add(new Mount(prefix, Objects.requireNonNull(e.getValue(), () -> "the application mounted at \"" + e.getKey() + "\"")));
        }
        list.sort(Comparator.comparingInt((Mount m) -> m.prefix.length()).reversed());
        this.mounts = List.copyOf(list);
    }

    /** A builder-style way to mount applications in order. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * {@code prefix} in the form PATH_INFO carries it (PEP 3333: one character per byte, ISO-8859-1),
     * which is how prefixes are matched: ASCII as it is; text beyond ASCII ({@code "/café"}) as its
     * UTF-8 bytes ({@code "/caf\u00c3\u00a9"}), which is what a request for {@code /caf%C3%A9} has; a
     * prefix given in that form already (characters up to 0xFF that are UTF-8 as bytes) as it is.
     */
    public static String asPathInfo(String prefix) {
        if (prefix == null) throw new IllegalArgumentException("prefix must not be null");
        boolean ascii = true;
        boolean bytes = true;
        for (int i = 0; i < prefix.length(); i++) {
            char c = prefix.charAt(i);
            if (c >= 0x80) ascii = false;
            if (c > 0xff) bytes = false;
        }
        if (ascii) return prefix;
        if (bytes && isUtf8(prefix.getBytes(StandardCharsets.ISO_8859_1))) return prefix;
        try { // a lone surrogate is no character: refused rather than sent as '?'
            ByteBuffer utf8 = StandardCharsets.UTF_8.newEncoder().encode(java.nio.CharBuffer.wrap(prefix)); // reports unmappable input
            return new String(utf8.array(), utf8.arrayOffset() + utf8.position(), utf8.remaining(), StandardCharsets.ISO_8859_1);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("prefix is not text (a lone surrogate?): " + prefix.length() + " characters", e);
        }
    }

    private static boolean isUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)); // reports malformed input
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static String normalize(String prefix) {
        String p = asPathInfo(prefix); // refuses null
        while (p.endsWith("/")) p = p.substring(0, p.length() - 1); // "/" -> "", "/blog/" -> "/blog"
        if (!p.isEmpty() && !p.startsWith("/")) throw new IllegalArgumentException("prefix must start with /: " + prefix);
        return p;
    }

    @Override
    public Iterable<byte[]> call(Environ environ, StartResponse startResponse) throws Exception {
        String path = environ.pathInfo();
        for (Mount m : mounts) {
            String prefix = m.prefix;
            // the root ("") takes everything left, "*" (OPTIONS *) included
            if (path.startsWith(prefix) && (prefix.isEmpty() || path.length() == prefix.length() || path.charAt(prefix.length()) == '/')) {
                environ.put(Environ.SCRIPT_NAME, environ.scriptName() + prefix);
                environ.put(Environ.PATH_INFO, path.substring(prefix.length()));
                return m.app.call(environ, startResponse);
            }
        }
        startResponse.start("404 Not Found", List.of(
                Header.of("Content-Type", "text/plain; charset=utf-8"),
                Header.of("Content-Length", Integer.toString(NOT_FOUND.length))));
        return List.of(NOT_FOUND);
    }

    /** Collects mounts, then builds the dispatcher. */
    public static final class Builder {
        private final Map<String, WsgiApp> apps = new LinkedHashMap<>();

        Builder() {
        }

        /** @throws IllegalArgumentException if {@code prefix} is mounted already (then, or by {@link #build()} after normalizing) */
        public Builder mount(String prefix, WsgiApp app) {
            Objects.requireNonNull(app, () -> "the application mounted at \"" + prefix + "\"");
            if (apps.putIfAbsent(prefix, app) != null) throw new IllegalArgumentException("\"" + prefix + "\" is mounted twice");
            return this;
        }

        /** The dispatcher, with the applications mounted so far. */
        public PathInfoDispatcher build() {
            return new PathInfoDispatcher(apps);
        }
    }
}
