package org.minipylib.wsgiserver.apps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The default compressible types, the three pattern forms, and the patterns refused. */
class CompressibleTypesTest {

    private static final CompressibleTypes DEFAULTS = CompressibleTypes.of(GzipApp.DEFAULT_TYPES);

    @ParameterizedTest(name = "[{0}] -> {1}")
    @CsvSource(delimiter = '|', nullValues = "NULL", value = {
            "text/html; charset=utf-8 | true",
            "TEXT/CSS | true",
            "text/plain;charset=utf-8 | true",
            "application/json | true",
            "application/problem+json | true",
            "application/atom+xml | true",
            "image/svg+xml | true",
            "application/wasm | true",
            "text/javascript | true",
            "text/event-stream | false",
            "image/png | false",
            "image/jpeg | false",
            "font/woff2 | false",
            "application/octet-stream | false",
            "application/gzip | false",
            "application/zip | false",
            "video/mp4 | false",
            "NULL | false",
            "'' | false",
            "text | false",
    })
    void defaults(String contentType, boolean expected) {
        assertEquals(expected, DEFAULTS.matches(contentType));
    }

    @Test
    void patternForms() {
        CompressibleTypes types = CompressibleTypes.of(List.of("Application/X-Custom", "model/*", "*/*+cbor"));
        assertTrue(types.matches("application/x-custom; v=2"));
        assertTrue(types.matches("model/gltf+json"));
        assertTrue(types.matches("application/foo+cbor"));
        assertFalse(types.matches("application/x-custom2"));
        assertFalse(types.matches("text/plain"));
        assertEquals(List.of("application/x-custom", "model/*", "*/*+cbor"), types.patterns());
        CompressibleTypes tokens = CompressibleTypes.of(List.of("application/vnd.a-b_c+json", "x.y/*", "*/*+json-seq"));
        assertTrue(tokens.matches("application/vnd.a-b_c+json"), "any token is a name");
        assertTrue(tokens.matches("x.y/z"));
        assertTrue(tokens.matches("application/geo+json-seq"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"text", "*/*", "*", "text/", "/plain", "text/*/x", "te*t/plain", "text/pl*", "*/*+", "*/plain",
            "text/plain; charset=utf-8", "text/a,text/b", "*/*+a*",
            // not tokens, or a suffix with a '+' that no subtype's last '+' could be followed by
            "*/*+a+json", "*/*++json", "*/*+json+", "text/(html)", "text/h\u00e9", "t\u00e9xt/*", "*/*+j\u00e9", "text/a{b}", "text/a@b"})
    void refusedPatterns(String pattern) {
        assertThrows(IllegalArgumentException.class, () -> CompressibleTypes.of(List.of(pattern)));
    }

    /** A suffix pattern needs a name before the suffix, a type pattern a subtype: a Content-Type of less is no media type. */
    @ParameterizedTest
    @ValueSource(strings = {"application/+json", "application/+xml; charset=utf-8", "text/", "text/ ; charset=utf-8"})
    void noMediaTypeMatches(String contentType) {
        assertFalse(DEFAULTS.matches(contentType), contentType);
        assertTrue(DEFAULTS.matches(contentType.replace("/+", "/a+").replace("text/", "text/a")), "with a name it does");
    }

}
