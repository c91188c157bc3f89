package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.http.HttpChars;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Parses the {@code Forwarded} header of RFC 7239: comma-separated elements (one per proxy hop,
 * client side first), each a {@code ;}-separated list of {@code name=value} pairs whose value is a
 * token or a quoted string. Parameter names are case-insensitive.
 */
final class ForwardedHeader {

    private ForwardedHeader() {
    }

    /**
     * The elements of {@code value}, right-most (nearest proxy) last, each a map of lower-case
     * parameter names to values (quotes removed, escapes resolved), or {@code null} for an element
     * that is malformed. Elements are split at every comma first, so that a malformed element (an
     * unterminated quote, a parameter twice) spoils only itself, never the elements that proxies
     * appended after it; a comma inside a quoted value therefore spoils its element too (no proxy
     * writes one). Empty elements are skipped (RFC 9110 section 5.6.1).
     */
    static List<Map<String, String>> parse(String value) {
        List<Map<String, String>> elements = new ArrayList<>();
        for (String part : value.split(",", -1)) {
            if (part.isBlank()) continue;
            elements.add(element(part));
        }
        return elements;
    }

    /** One element: {@code ;}-separated {@code name=value} pairs; null if malformed. */
    private static Map<String, String> element(String value) {
        Map<String, String> element = new LinkedHashMap<>();
        int i = 0;
        int n = value.length();
        while (true) {
            i = skipSpaces(value, i);
            if (i >= n && !element.isEmpty()) return element; // a trailing ";"
            int nameStart = i;
            while (i < n && HttpChars.isTokenChar(value.charAt(i))) i++;
            if (i == nameStart || i >= n || value.charAt(i) != '=') return null;
            String name = value.substring(nameStart, i).toLowerCase(Locale.ROOT);
            i++;
            StringBuilder v = new StringBuilder();
            if (i < n && value.charAt(i) == '"') {
                i++;
                while (true) {
                    if (i >= n) return null; // unterminated quoted string
                    char c = value.charAt(i++);
                    if (c == '"') break;
                    if (c == '\\') {
                        if (i >= n) return null;
                        c = value.charAt(i++);
                    }
                    v.append(c);
                }
            } else {
                int start = i;
                while (i < n && HttpChars.isTokenChar(value.charAt(i))) i++;
                if (i == start) return null;
                v.append(value, start, i);
            }
            if (element.putIfAbsent(name, v.toString()) != null) return null; // a parameter twice in one element
            i = skipSpaces(value, i);
            if (i >= n) return element;
            if (value.charAt(i++) != ';') return null;
        }
    }

    private static int skipSpaces(String s, int i) {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) i++;
        return i;
    }
}
