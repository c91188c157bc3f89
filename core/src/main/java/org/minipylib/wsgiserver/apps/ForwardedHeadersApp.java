package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.HostAddress;
import org.minipylib.wsgiserver.StartResponse;
import org.minipylib.wsgiserver.WsgiApp;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Middleware for an application behind reverse proxies: when, and only when, the request comes from
 * a {@link TrustedProxies trusted proxy}, the environ describes the real client instead of the proxy.
 *
 * <ul>
 *   <li>One family of headers is believed, the one the proxies set ({@link Source}): by default
 *       {@code X-Forwarded-For}, {@code X-Forwarded-Proto} and {@code X-Forwarded-Host}, or else
 *       {@code Forwarded} (RFC 7239). Never both: a proxy that sets one family usually passes the
 *       other through from the client untouched, so believing it would let any client choose its
 *       own address.</li>
 *   <li>The client is found from the right: the last hop's address, then leftwards past every
 *       address that is itself a listed proxy ({@link TrustedProxies#trustsHop}: with {@code *} alone,
 *       none); the first one that is not is the client (so a client cannot pose as another by
 *       sending its own {@code X-Forwarded-For}). A {@code Forwarded} element that does not parse
 *       spoils only itself; where the client should be, it means nothing is believed.</li>
 *   <li>A UNIX socket proxy's peer credentials (REMOTE_USER, X_REMOTE_*) are removed with its address.</li>
 *   <li>REMOTE_ADDR (and REMOTE_PORT, when {@code Forwarded} gives one) become the client's;
 *       {@code wsgi.url_scheme} the protocol ({@code http}/{@code https} only); HTTP_HOST, SERVER_NAME and
 *       SERVER_PORT the host. The proxy's own address is kept in {@code wsgiserver.proxy_addr}. The
 *       server's access log names the client too (the server logs whatever middleware put in
 *       REMOTE_ADDR in place of its own value).</li>
 *   <li>From anyone else, or when the header is malformed, nothing changes: the application still
 *       sees the headers as HTTP_* variables, but the server's own values stand.</li>
 * </ul>
 */
public final class ForwardedHeadersApp implements WsgiApp {

    /** Where the address of the proxy that sent the request is kept when REMOTE_ADDR is replaced. */
    public static final String PROXY_ADDR = "wsgiserver.proxy_addr";

    /** Which headers the trusted proxies set (and so the only ones believed). */
    public enum Source {
        /** {@code X-Forwarded-For}, {@code X-Forwarded-Proto}, {@code X-Forwarded-Host} (nginx, HAProxy, most load balancers). */
        X_FORWARDED,
        /** {@code Forwarded} (RFC 7239). */
        FORWARDED
    }

    private final WsgiApp app;
    private final TrustedProxies trusted;
    private final Source source;

    /** Believes {@link Source#X_FORWARDED X-Forwarded-*} from {@code trusted} proxies. */
    public ForwardedHeadersApp(WsgiApp app, TrustedProxies trusted) {
        this(app, trusted, Source.X_FORWARDED);
    }

    /** Believes the headers of {@code source} from {@code trusted} proxies. */
    public ForwardedHeadersApp(WsgiApp app, TrustedProxies trusted, Source source) {
        this.app = Objects.requireNonNull(app, "app");
        this.trusted = Objects.requireNonNull(trusted, "trusted");
        this.source = Objects.requireNonNull(source, "source");
    }

    @Override
    public Iterable<byte[]> call(Environ environ, StartResponse startResponse) throws Exception {
        String peer = environ.string(Environ.REMOTE_ADDR);
        if (trusted.trusts(peer)) {
            if (source == Source.X_FORWARDED) {
                applyXForwarded(environ);
            } else {
                String forwarded = environ.string("HTTP_FORWARDED");
                if (forwarded != null) applyForwarded(environ, forwarded);
            }
        }
        return app.call(environ, startResponse);
    }

    private void applyForwarded(Environ env, String header) {
        List<Map<String, String>> elements = ForwardedHeader.parse(header);
        if (elements.isEmpty()) return;
        int chosen = elements.size() - 1;
        while (chosen > 0 && elements.get(chosen) != null && isTrustedHop(nodeAddress(elements.get(chosen).get("for")))) chosen--;
        Map<String, String> element = elements.get(chosen);
        if (element == null) return; // malformed where the client should be: nothing to believe (as nginx's realip)
        Map<String, String> nearest = elements.get(elements.size() - 1);
        String node = element.get("for");
        String address = nodeAddress(node);
        if (address != null && TrustedProxies.literal(address) != null) {
            setClient(env, address, nodePort(node));
        }
        String proto = element.getOrDefault("proto", nearest.get("proto"));
        String host = element.getOrDefault("host", nearest.get("host"));
        setScheme(env, proto);
        setHost(env, host);
    }

    private void applyXForwarded(Environ env) {
        String forwardedFor = env.string("HTTP_X_FORWARDED_FOR");
        if (forwardedFor != null) {
            String[] hops = forwardedFor.split(",", -1); // keep a trailing empty hop: it is not a trusted one
            int chosen = hops.length - 1;
            while (chosen > 0 && isTrustedHop(hops[chosen].trim())) chosen--;
            String address = hops[chosen].trim();
            if (TrustedProxies.literal(address) != null) setClient(env, address, null);
        }
        setScheme(env, last(env.string("HTTP_X_FORWARDED_PROTO")));
        setHost(env, last(env.string("HTTP_X_FORWARDED_HOST")));
    }

    /**
     * True if a hop named in a header is a trusted proxy. Only an IP address can be: a hop without one
     * (no {@code for=}, {@code unknown}, an empty list element) ends the search, even when UNIX socket
     * peers are trusted (their empty REMOTE_ADDR must not match a missing address).
     */
    private boolean isTrustedHop(String address) {
        return address != null && TrustedProxies.literal(address) != null && trusted.trustsHop(address);
    }

    /** The value the nearest proxy added to a comma-separated list. */
    private static String last(String list) {
        if (list == null) return null;
        int comma = list.lastIndexOf(',');
        return list.substring(comma + 1).trim();
    }

    private static void setClient(Environ env, String address, String port) {
        env.put(PROXY_ADDR, env.get(Environ.REMOTE_ADDR));
        env.put(Environ.REMOTE_ADDR, canonical(address));
        env.put(Environ.REMOTE_PORT, port != null ? port : "");
        // A UNIX socket peer's credentials (--peer-credentials) are the proxy's, not the client's.
        Object peerUser = env.get("X_REMOTE_USER");
        if (peerUser != null && peerUser.equals(env.get("REMOTE_USER"))) env.remove("REMOTE_USER");
        for (String key : PEER_CREDENTIALS) env.remove(key);
    }

    /** What {@code --peer-credentials} adds for a UNIX socket peer, besides REMOTE_USER (see ListenOptions). */
    private static final List<String> PEER_CREDENTIALS = List.of("X_REMOTE_USER", "X_REMOTE_GROUP", "X_REMOTE_UID", "X_REMOTE_GID");

    private static void setScheme(Environ env, String proto) {
        if (proto == null) return;
        String scheme = proto.toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) return;
        env.put(Environ.WSGI_URL_SCHEME, scheme);
        if (scheme.equals("https")) env.put("HTTPS", "on"); // kept in step, as the server sets them
        else env.remove("HTTPS");
    }

    /**
     * {@code host}, {@code host:port}, {@code [v6]} or {@code [v6]:port}; anything else is ignored.
     * An IPv6 SERVER_NAME is the address without brackets, as the server's own (the local address).
     */
    private static void setHost(Environ env, String host) {
        if (host == null || !host.matches("[A-Za-z0-9.\\-]+(:[0-9]{1,5})?|\\[[0-9A-Fa-f:.]+\\](:[0-9]{1,5})?")) return;
        int colon = host.lastIndexOf(':');
        boolean hasPort = colon > host.lastIndexOf(']');
        if (hasPort && !isPort(host.substring(colon + 1))) return;
        String name = hasPort ? host.substring(0, colon) : host;
        if (name.startsWith("[")) {
            if (TrustedProxies.literal(name.substring(1, name.length() - 1)) == null) return; // [::x:] is no address
            name = canonical(name.substring(1, name.length() - 1));
        }
        env.put("HTTP_HOST", host);
        env.put(Environ.SERVER_NAME, name);
        env.put(Environ.SERVER_PORT, hasPort ? host.substring(colon + 1)
                : "https".equals(env.get(Environ.WSGI_URL_SCHEME)) ? "443" : "80");
    }

    /** The address of a {@code for=} node: {@code 192.0.2.1}, {@code 192.0.2.1:80}, {@code [2001:db8::1]:80}. */
    private static String nodeAddress(String node) {
        if (node == null) return null;
        if (node.startsWith("[")) {
            int close = node.indexOf(']');
            return close < 0 ? null : node.substring(1, close);
        }
        int colon = node.indexOf(':');
        return colon < 0 ? node : node.substring(0, colon);
    }

    private static String nodePort(String node) {
        int close = node.lastIndexOf(']');
        int colon = node.indexOf(':', close + 1);
        if (colon < 0) return null;
        String port = node.substring(colon + 1);
        return isPort(port) ? port : null; // obfuscated ports ("_abc") are not ports
    }

    private static boolean isPort(String text) {
        return text.matches("[0-9]{1,5}") && Integer.parseInt(text) <= 65535;
    }

    /** IPv6 as RFC 5952 text, like the server's own REMOTE_ADDR. */
    private static String canonical(String address) {
        try {
            return HostAddress.text(InetAddress.getByAddress(TrustedProxies.literal(address)));
        } catch (UnknownHostException e) {
            return address;
        }
    }
}
