package org.minipylib.wsgiserver.apps;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.HostAddress;
import org.minipylib.wsgiserver.http.IpLiteral;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes what a client (through a proxy, or posing as one) controls in {@link ForwardedHeadersApp}:
 * {@link ForwardedHeader#parse} (RFC 7239), the {@code X-Forwarded-*} handling, and the address
 * literals ({@link IpLiteral}, {@link HostAddress}) they lead to. None of them documents an exception,
 * so none may come out. {@code Forwarded}: one entry per non-blank comma-separated part, a malformed
 * one null, names lower-case tokens; the elements written again (names in any case, values as tokens
 * or quoted strings, spaces around the separators) parse back the same. The middleware: an untrusted
 * peer changes nothing, the unbelieved header family changes nothing, and what it sets stays within
 * bounds: REMOTE_ADDR a canonical IP literal (with only trusted hops to its right in
 * {@code X-Forwarded-For}), ports 0-65535, the scheme http or https. Literals: what parses is a literal
 * (never a name), and reads back the same from its canonical text, which follows RFC 5952.
 * The bytes are the {@code Forwarded}, {@code X-Forwarded-For}, {@code X-Forwarded-Proto} and
 * {@code X-Forwarded-Host} values, separated by LF (a byte no header value holds).
 * A normal build replays the seed corpus; {@code JAZZER_FUZZ=1} fuzzes (see docs/http-compliance.md).
 */
class ForwardedHeaderFuzzTest {

    private static final String[] TRUSTED = {"*", "127.0.0.1", "10.0.0.0/8, ::1, unix", "*, 192.0.2.0/24, 2001:db8::/32"};
    private static final String[] PEERS = {"127.0.0.1", "10.1.2.3", "::1", "", "192.0.2.7", "2001:db8::5"};

    @FuzzTest(maxDuration = "10s")
    // libFuzzer dictionary syntax: \xNN escapes, \" and \\
    @DictionaryEntries({"for=", "proto=", "host=", "by=", ";", ",", "\\\"", "\\\\", "[", "]:", "https", "unknown", "_hidden", "::ffff:",
            "10.0.0.1", "192.0.2.60", "2001:db8::", "\\x0A", ":65535"})
    void forwarded(FuzzedDataProvider data) {
        Random random = new Random(data.consumeLong());
        int trust = data.consumeInt(0, TRUSTED.length - 1);
        String peer = PEERS[data.consumeInt(0, PEERS.length - 1)];
        byte[] ipv6 = data.consumeBytes(16);
        String[] fields = new String(data.consumeRemainingAsBytes(), StandardCharsets.ISO_8859_1).split("\n", -1);
        String forwarded = fields[0];
        String forwardedFor = fields.length > 1 ? fields[1] : null;
        String proto = fields.length > 2 ? fields[2] : null;
        String host = fields.length > 3 ? fields[3] : null;

        List<Map<String, String>> elements = ForwardedHeader.parse(forwarded);
        checkElements(forwarded, elements);
        List<Map<String, String>> again = ForwardedHeader.parse(written(elements, random));
        assertEquals(elements, again, "written again: " + written(elements, random));

        for (String field : fields) literal(field);
        if (forwardedFor != null) for (String hop : forwardedFor.split(",", -1)) literal(hop.trim());
        for (Map<String, String> element : elements) if (element != null && element.get("for") != null) literal(element.get("for"));
        if (ipv6.length == 16) writtenIpv6(ipv6, random);

        TrustedProxies trusted = TrustedProxies.parse(TRUSTED[trust]);
        for (ForwardedHeadersApp.Source source : ForwardedHeadersApp.Source.values()) {
            Environ before = environ(peer, forwarded, forwardedFor, proto, host);
            Environ after = call(trusted, source, before);
            if (!trusted.trusts(peer)) {
                assertEquals(before, after, "an untrusted peer changed the environ");
                continue;
            }
            checkEnviron(before, after, trusted, source, forwardedFor);
            // the family not believed changes nothing
            Environ other = source == ForwardedHeadersApp.Source.FORWARDED ? environ(peer, forwarded, null, null, null)
                    : environ(peer, null, forwardedFor, proto, host);
            Environ otherAfter = call(trusted, source, other);
            for (String key : new String[] {"REMOTE_ADDR", "REMOTE_PORT", "wsgi.url_scheme", "HTTPS", "HTTP_HOST", "SERVER_NAME",
                    "SERVER_PORT", ForwardedHeadersApp.PROXY_ADDR}) {
                assertEquals(after.get(key), otherAfter.get(key), source + " app, " + key + " depends on the other headers");
            }
        }
    }

    // ---- Forwarded ----

    private static void checkElements(String value, List<Map<String, String>> elements) {
        int parts = 0;
        for (String part : value.split(",", -1)) if (!part.isBlank()) parts++;
        assertEquals(parts, elements.size(), "one entry per non-blank element");
        for (Map<String, String> element : elements) {
            if (element == null) continue;
            assertTrue(!element.isEmpty());
            element.forEach((name, v) -> {
                assertTrue(name.matches("[!#$%&'*+\\-.^_`|~0-9a-z]+"), "parameter name " + name);
                assertTrue(v.indexOf(',') < 0, "a comma in a value: " + v);
            });
        }
    }

    /** The elements as a header: names in random case, values as tokens or quoted strings, a malformed element as {@code x}. */
    private static String written(List<Map<String, String>> elements, Random random) {
        StringBuilder sb = new StringBuilder();
        for (Map<String, String> element : elements) {
            if (!sb.isEmpty()) sb.append(random.nextBoolean() ? "," : " ,\t");
            if (element == null) {
                sb.append(" x");
                continue;
            }
            boolean first = true;
            for (Map.Entry<String, String> e : element.entrySet()) {
                if (!first) sb.append(random.nextBoolean() ? ";" : " ; ");
                first = false;
                String name = e.getKey();
                sb.append(random.nextBoolean() ? name : name.toUpperCase(Locale.ROOT)).append('=');
                String v = e.getValue();
                if (!v.isEmpty() && v.chars().allMatch(c -> c > 32 && c < 127 && "()<>@,;:\\\"/[]?={} \t".indexOf(c) < 0)
                        && random.nextBoolean()) {
                    sb.append(v);
                } else {
                    sb.append('"');
                    for (char c : v.toCharArray()) {
                        if (c == '"' || c == '\\' || random.nextInt(8) == 0) sb.append('\\'); // any character may be escaped
                        sb.append(c);
                    }
                    sb.append('"');
                }
            }
            if (random.nextInt(4) == 0) sb.append(';'); // a trailing ";" is allowed
        }
        return sb.toString();
    }

    // ---- the middleware ----

    private static Environ environ(String peer, String forwarded, String forwardedFor, String proto, String host) {
        Environ env = new Environ();
        env.put(Environ.REMOTE_ADDR, peer);
        env.put(Environ.REMOTE_PORT, peer.isEmpty() ? "" : "5000");
        env.put(Environ.WSGI_URL_SCHEME, "http");
        env.put("HTTP_HOST", "backend:8000");
        env.put(Environ.SERVER_NAME, "backend");
        env.put(Environ.SERVER_PORT, "8000");
        if (peer.isEmpty()) {
            env.put("REMOTE_USER", "proxy");
            env.put("X_REMOTE_USER", "proxy");
            env.put("X_REMOTE_UID", "1000");
        }
        if (forwarded != null) env.put("HTTP_FORWARDED", forwarded);
        if (forwardedFor != null) env.put("HTTP_X_FORWARDED_FOR", forwardedFor);
        if (proto != null) env.put("HTTP_X_FORWARDED_PROTO", proto);
        if (host != null) env.put("HTTP_X_FORWARDED_HOST", host);
        return env;
    }

    private static Environ call(TrustedProxies trusted, ForwardedHeadersApp.Source source, Environ before) {
        Environ env = new Environ(before);
        Environ[] seen = new Environ[1];
        try {
            new ForwardedHeadersApp((e, startResponse) -> {
                seen[0] = e;
                return List.of();
            }, trusted, source).call(env, null);
        } catch (Exception e) {
            throw new AssertionError("the middleware threw", e);
        }
        assertNotNull(seen[0], "the application was not called");
        return new Environ(seen[0]);
    }

    private static void checkEnviron(Environ before, Environ after, TrustedProxies trusted, ForwardedHeadersApp.Source source,
            String forwardedFor) {
        String address = after.string(Environ.REMOTE_ADDR);
        boolean moved = !address.equals(before.string(Environ.REMOTE_ADDR)) || after.containsKey(ForwardedHeadersApp.PROXY_ADDR);
        if (moved) {
            InetAddress parsed = IpLiteral.parse(address);
            assertNotNull(parsed, "REMOTE_ADDR " + address);
            assertEquals(HostAddress.text(parsed), address, "REMOTE_ADDR in canonical form");
            assertEquals(before.get(Environ.REMOTE_ADDR), after.get(ForwardedHeadersApp.PROXY_ADDR));
            for (String key : new String[] {"X_REMOTE_USER", "X_REMOTE_UID", "REMOTE_USER"}) {
                assertTrue(!after.containsKey(key), key + " of the proxy kept for the client");
            }
            if (source == ForwardedHeadersApp.Source.X_FORWARDED) {
                String[] hops = forwardedFor.split(",", -1);
                int chosen = hops.length - 1;
                while (chosen > 0 && isTrustedHop(trusted, hops[chosen].trim())) chosen--;
                // found from the right: every hop right of the client is a trusted proxy, and the client is not one (or left-most)
                assertEquals(HostAddress.text(IpLiteral.parse(hops[chosen].trim())), address, "the client in " + forwardedFor);
            }
        } else {
            assertEquals(before.get(Environ.REMOTE_PORT), after.get(Environ.REMOTE_PORT));
        }
        String port = after.string(Environ.REMOTE_PORT);
        assertTrue(port.isEmpty() || isPort(port), "REMOTE_PORT " + port);
        String scheme = after.string(Environ.WSGI_URL_SCHEME);
        assertTrue(scheme.equals("http") || scheme.equals("https"), "wsgi.url_scheme " + scheme);
        assertEquals(scheme.equals("https"), "on".equals(after.get("HTTPS")), "HTTPS in step with the scheme");
        assertTrue(isPort(after.string(Environ.SERVER_PORT)), "SERVER_PORT " + after.get(Environ.SERVER_PORT));
        String name = after.string(Environ.SERVER_NAME);
        assertTrue(name.matches("[A-Za-z0-9.\\-]+") || (IpLiteral.parse(name) != null && HostAddress.text(IpLiteral.parse(name)).equals(name)),
                "SERVER_NAME " + name);
        String hostHeader = after.string("HTTP_HOST");
        assertTrue(hostHeader.chars().allMatch(c -> c > 32 && c < 127), "HTTP_HOST " + hostHeader);
        if (trusted.toString().equals("*") && source == ForwardedHeadersApp.Source.X_FORWARDED && forwardedFor != null) {
            // '*' trusts the peer, no hop: only the hop the peer added counts
            String last = forwardedFor.substring(forwardedFor.lastIndexOf(',') + 1).trim();
            InetAddress client = IpLiteral.parse(last);
            assertEquals(client == null ? before.get(Environ.REMOTE_ADDR) : HostAddress.text(client), address);
        }
    }

    private static boolean isTrustedHop(TrustedProxies trusted, String hop) {
        return IpLiteral.parse(hop) != null && trusted.trustsHop(hop);
    }

    private static boolean isPort(String text) {
        return text.matches("[0-9]{1,5}") && Integer.parseInt(text) <= 65535;
    }

    // ---- address literals ----

    /** Any text: a literal or null, never a name; a literal reads back the same from its canonical text. */
    private static void literal(String text) {
        InetAddress address = IpLiteral.parse(text);
        if (address == null) return;
        assertTrue(text.matches("[0-9A-Fa-f:.]+"), "a literal of other characters: " + text);
        String canonical = canonical(address);
        assertEquals(address, IpLiteral.parse(canonical), "read back from " + canonical);
        if (text.indexOf(':') < 0) {
            assertTrue(address instanceof Inet4Address);
            assertEquals(text, canonical, "an IPv4 literal has one form");
        }
        assertTrue(Arrays.equals(address.getAddress(), TrustedProxies.literal(text)));
    }

    /** {@link HostAddress#text}, checked against RFC 5952 section 4. */
    private static String canonical(InetAddress address) {
        String text = HostAddress.text(address);
        if (address instanceof Inet4Address) {
            assertEquals(address.getHostAddress(), text);
            return text;
        }
        assertTrue(text.matches("[0-9a-f:]+"), "lower case hex, no dotted tail: " + text);
        int doubleColon = text.indexOf("::");
        assertTrue(doubleColon == text.lastIndexOf("::") && !text.contains(":::"), "one :: at most: " + text);
        List<String> groups = new ArrayList<>();
        int elided = 0;
        if (doubleColon >= 0) {
            List<String> left = split(text.substring(0, doubleColon));
            List<String> right = split(text.substring(doubleColon + 2));
            elided = 8 - left.size() - right.size();
            assertTrue(elided >= 2, ":: for one group only: " + text);
            // the longest run of zero groups, the first of equal ones
            assertTrue(longestZeroRun(left) < elided && longestZeroRun(right) <= elided, "not the longest zero run: " + text);
            groups.addAll(left);
            for (int i = 0; i < elided; i++) groups.add("0");
            groups.addAll(right);
        } else {
            groups.addAll(split(text));
            assertTrue(longestZeroRun(groups) < 2, "two zero groups not shortened: " + text);
        }
        assertEquals(8, groups.size(), text);
        byte[] b = address.getAddress();
        for (int i = 0; i < 8; i++) {
            String g = groups.get(i);
            assertTrue(g.length() <= 4 && (g.length() == 1 || g.charAt(0) != '0'), "leading zeros: " + text);
            assertEquals(((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff), Integer.parseInt(g, 16), text);
        }
        return text;
    }

    private static List<String> split(String s) {
        return s.isEmpty() ? List.of() : List.of(s.split(":", -1));
    }

    private static int longestZeroRun(List<String> groups) {
        int best = 0;
        int run = 0;
        for (String g : groups) {
            run = g.equals("0") ? run + 1 : 0;
            best = Math.max(best, run);
        }
        return best;
    }

    /** An IPv6 address written in the ways RFC 4291 allows reads as that address; its canonical text too. */
    private static void writtenIpv6(byte[] b, Random random) {
        InetAddress address;
        try {
            address = InetAddress.getByAddress(b); // an IPv4-mapped one is its IPv4 address
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        StringBuilder full = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i > 0) full.append(':');
            String hex = Integer.toHexString(groups[i]);
            if (random.nextBoolean()) hex = "0".repeat(4 - hex.length()) + hex; // leading zeros are allowed
            full.append(random.nextBoolean() ? hex : hex.toUpperCase(Locale.ROOT));
        }
        Map<String, String> forms = new HashMap<>();
        forms.put("full", full.toString());
        forms.put("canonical", HostAddress.text(address) + "");
        // any run of zero groups (not only the longest) may be "::"
        int start = random.nextInt(8);
        int end = start;
        while (end < 8 && groups[end] == 0) end++;
        if (end > start) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < start; i++) sb.append(i > 0 ? ":" : "").append(Integer.toHexString(groups[i]));
            sb.append("::");
            for (int i = end; i < 8; i++) sb.append(i > end ? ":" : "").append(Integer.toHexString(groups[i]));
            forms.put("compressed", sb.toString());
        }
        StringBuilder tail = new StringBuilder(); // the last 32 bits as a dotted quad
        for (int i = 0; i < 6; i++) tail.append(Integer.toHexString(groups[i])).append(':');
        tail.append(b[12] & 0xff).append('.').append(b[13] & 0xff).append('.').append(b[14] & 0xff).append('.').append(b[15] & 0xff);
        forms.put("dotted tail", tail.toString());
        for (Map.Entry<String, String> form : forms.entrySet()) {
            if (address instanceof Inet4Address && form.getKey().equals("canonical")) {
                assertEquals(address, IpLiteral.parse("::ffff:" + form.getValue()));
                continue;
            }
            assertEquals(address, IpLiteral.parse(form.getValue()), form.getKey() + " form " + form.getValue());
        }
        if (address instanceof Inet6Address) canonical(address);
    }
}
