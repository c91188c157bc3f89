package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.http.HttpChars;

import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * The media types worth compressing, as patterns: {@code type/subtype} exactly, {@code type/*} for
 * any subtype of a type, {@code *}{@code /*+suffix} for any type with that structured syntax suffix
 * ({@code +json}, {@code +xml}). Parameters of a Content-Type ({@code ; charset=utf-8}) are ignored.
 *
 * <p>A pattern's names are RFC 9110 tokens (section 5.6.2) with no {@code *} but the wildcards above,
 * and a suffix has no {@code +}: it is what follows a subtype's last {@code +} (RFC 6838 section
 * 4.2.8), so {@code *}{@code /*+a+json} could never match. A suffix pattern matches a subtype with a
 * name before its suffix ({@code application/problem+json}, not {@code application/+json}); {@code
 * type/*} a type with a subtype ({@code text/html}, not {@code text/}).
 */
final class CompressibleTypes {

    /** Server-sent events are never compressed: a compressor holds each event until more follow. */
    private static final String EVENT_STREAM = "text/event-stream";

    private final List<String> patterns;

    private CompressibleTypes(List<String> patterns) {
        this.patterns = patterns;
    }

    /** @throws IllegalArgumentException if a pattern is not one of the three forms, made of tokens */
    static CompressibleTypes of(Collection<String> patterns) {
        List<String> lower = patterns.stream().map(p -> p.trim().toLowerCase(Locale.ROOT)).toList();
        for (String p : lower) {
            if (!wellFormed(p)) throw new IllegalArgumentException("not a media type pattern (type/subtype, type/* or */*+suffix): " + p);
        }
        return new CompressibleTypes(List.copyOf(lower));
    }

    private static boolean wellFormed(String pattern) {
        if (pattern.startsWith("*/*+")) return isName(pattern.substring(4), false);
        int slash = pattern.indexOf('/');
        if (slash < 0) return false;
        String subtype = pattern.substring(slash + 1);
        return isName(pattern.substring(0, slash), true) && (subtype.equals("*") || isName(subtype, true));
    }

    /** Whether {@code s} is a token without {@code *} (the wildcard), and without {@code +} unless {@code plus}. */
    private static boolean isName(String s, boolean plus) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!HttpChars.isTokenChar(c) || c == '*' || (c == '+' && !plus)) return false;
        }
        return true;
    }

    /** The patterns, lower-cased. */
    List<String> patterns() {
        return patterns;
    }

    /** True if a response of this Content-Type (null: none) may be compressed. */
    boolean matches(String contentType) {
        if (contentType == null) return false;
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
        int slash = type.indexOf('/');
        if (type.equals(EVENT_STREAM) || slash <= 0 || slash == type.length() - 1) return false;
        int subtypeLength = type.length() - slash - 1;
        for (String p : patterns) {
            if (p.startsWith("*/*+") ? type.endsWith(p.substring(3)) && subtypeLength > p.length() - 3 // "+json" is no subtype
                    : p.endsWith("/*") ? type.startsWith(p.substring(0, p.length() - 1))
                    : type.equals(p)) {
                return true;
            }
        }
        return false;
    }
}
