package org.minipylib.wsgiserver.apps;

import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * The media types worth compressing, as patterns: {@code type/subtype} exactly, {@code type/*} for
 * any subtype of a type, {@code *}{@code /*+suffix} for any type with that structured syntax suffix
 * ({@code +json}, {@code +xml}). Parameters of a Content-Type ({@code ; charset=utf-8}) are ignored.
 */
final class CompressibleTypes {

    /** Server-sent events are never compressed: a compressor holds each event until more follow. */
    private static final String EVENT_STREAM = "text/event-stream";

    private final List<String> patterns;

    private CompressibleTypes(List<String> patterns) {
        this.patterns = patterns;
    }

    /** @throws IllegalArgumentException if a pattern is not one of the three forms */
    static CompressibleTypes of(Collection<String> patterns) {
        List<String> lower = patterns.stream().map(p -> p.trim().toLowerCase(Locale.ROOT)).toList();
        for (String p : lower) {
            if (!wellFormed(p)) throw new IllegalArgumentException("not a media type pattern (type/subtype, type/* or */*+suffix): " + p);
        }
        return new CompressibleTypes(List.copyOf(lower));
    }

    private static boolean wellFormed(String pattern) {
        if (pattern.chars().anyMatch(c -> c <= ' ' || c == ';' || c == ',' || c == '"')) return false;
        if (pattern.startsWith("*/*+")) return pattern.length() > 4 && pattern.indexOf('*', 1) == 2 && pattern.indexOf('/', 2) < 0 && pattern.indexOf('*', 3) < 0;
        int slash = pattern.indexOf('/');
        if (slash <= 0 || slash == pattern.length() - 1 || pattern.indexOf('/', slash + 1) >= 0) return false;
        int star = pattern.indexOf('*');
        return star < 0 || (star == slash + 1 && star == pattern.length() - 1); // type/subtype or type/*
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
        if (type.equals(EVENT_STREAM) || type.indexOf('/') <= 0) return false;
        for (String p : patterns) {
            if (p.startsWith("*/*+") ? type.endsWith(p.substring(3))
                    : p.endsWith("/*") ? type.startsWith(p.substring(0, p.length() - 1))
                    : type.equals(p)) {
                return true;
            }
        }
        return false;
    }
}
