package org.minipylib.wsgiserver.http;

import java.util.Locale;
import java.util.Set;

/**
 * Field names that may not be sent in a trailer section (RFC 9110 section 6.5.1): fields needed
 * before the content is received, such as those for message framing, routing, authentication,
 * request modifiers, connection control and content format. A chunked request body's trailer fields
 * with these names are read and checked like any field line, then dropped.
 */
final class ForbiddenTrailerFields {

    private static final Set<String> NAMES = Set.of(
            // framing
            "content-length", "transfer-encoding", "trailer",
            // routing
            "host",
            // authentication and state
            "authorization", "proxy-authorization", "cookie",
            // request modifiers and controls
            "expect", "max-forwards", "range", "if-match", "if-none-match", "if-modified-since",
            "if-unmodified-since", "if-range", "cache-control", "pragma", "te",
            // connection control
            "connection", "keep-alive", "proxy-connection", "upgrade",
            // content format
            "content-type", "content-encoding", "content-range");

    private ForbiddenTrailerFields() {
    }

    /** True if a trailer field named {@code name} (any case) must be dropped. */
    static boolean contains(String name) {
        return NAMES.contains(name.toLowerCase(Locale.ROOT));
    }
}
