package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link PercentDecoder#decodePath}: PEP 3333 PATH_INFO decoding, byte for byte to ISO-8859-1. */
class PercentDecoderTest {

    @Test
    void pathWithoutPercentIsReturnedAsIs() throws Exception {
        String raw = "/plain/path+with;params";
        assertSame(raw, PercentDecoder.decodePath(raw));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "/a%20b       | /a b",
            "%41%42%43    | ABC",
            "/%7e%7E      | /~~",
            "/x%3Fy%23z   | /x?y#z",
            "/100%25      | /100%",
            "/%25zz       | /%zz",
            "/a+b         | /a+b",
            "/%c3%A9      | /\u00c3\u00a9",
            "/%FF%80      | /\u00ff\u0080",
            "/end%21      | /end!"})
    void decodesEachEscapeToOneLatin1Character(String raw, String decoded) throws Exception {
        assertEquals(decoded, PercentDecoder.decodePath(raw));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/a%2Fb", "%2F", "/a%2F%2F/b"})
    void encodedSlashStaysAsSent(String raw) throws Exception {
        assertEquals(raw, PercentDecoder.decodePath(raw));
    }

    /** {@code %2f} and {@code %2F} name the same URI (RFC 3986 section 6.2.2.1): one PATH_INFO, as a mount or rule spells it. */
    @ParameterizedTest
    @CsvSource({"/a%2fb, /a%2Fb", "/x%2fy/z, /x%2Fy/z", "/a%252fb, /a%252fb"})
    void encodedSlashInLowerCaseIsUpperCased(String raw, String decoded) throws Exception {
        assertEquals(decoded, PercentDecoder.decodePath(raw));
    }

    /** An encoded percent sign that two hex digits follow stays encoded: it would read as an escape. */
    @ParameterizedTest
    @CsvSource({"/a%252Fb, /a%252Fb", "/a%252fb, /a%252fb", "/a%25%32%46b, /a%252Fb", "/a%25%32fb, /a%252fb",
            "/a%25ab, /a%25ab", "/a%2525, /a%2525", "/a%25252F, /a%25252F",
            "/a%252Gb, /a%2Gb", "/a%25, /a%", "/a%252, /a%2", "/50%25off, /50%off", "/a%25%2F, /a%%2F"})
    void encodedPercentBeforeTwoHexDigitsStaysEncoded(String raw, String decoded) throws Exception {
        assertEquals(decoded, PercentDecoder.decodePath(raw));
    }

    /** RFC 3986 section 5.2.4, with %2E as a dot (section 6.2.2.2); an encoded slash separates nothing. */
    @ParameterizedTest
    @CsvSource({"/a/./b, /a/b", "/a/x/../b, /a/b", "/a/.., /", "/a/b/.., /a/", "/a/., /a/", "/., /", "/./a, /a",
            "/a//../b, /a/b", "/a/%2e%2E/b, /b", "/a/.%2e/b, /b", "/a/%2E/b, /a/b", "/.well-known/x, /.well-known/x",
            "/a/.../b, /a/.../b", "/a/..b/c, /a/..b/c", "/a/..%2Fb, /a/..%2Fb", "/app/../admin, /admin", "/a.b/c, /a.b/c"})
    void dotSegmentsAreResolved(String raw, String decoded) throws Exception {
        assertEquals(decoded, PercentDecoder.decodePath(raw));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/..", "/../a", "/a/../..", "/a/../../b", "/%2e%2e/a", "/./../a"})
    void aDotDotAboveTheRootIs400(String raw) {
        BadRequestException e = assertThrows(BadRequestException.class, () -> PercentDecoder.decodePath(raw));
        assertEquals(400, e.status());
        assertEquals(ComplianceViolation.DOT_SEGMENT_ABOVE_ROOT, e.violation());
    }

    @Test
    void aPathWithoutDotSegmentsIsReturnedAsIs() throws Exception {
        String raw = "/static/app.min.js";
        assertSame(raw, PercentDecoder.decodePath(raw));
    }

    /** No two targets share a PATH_INFO: the encoded slash, and percent signs chained before hex digits. */
    @Test
    void encodedSlashesAndEncodedPercentSignsDecodeDifferently() throws Exception {
        List<String> raws = List.of("/a%2Fb", "/a%252Fb", "/a%25252Fb", "/a%2525252Fb", "/a%ab", "/a%25ab", "/a%2525ab");
        Set<String> decoded = new HashSet<>();
        for (String raw : raws) assertTrue(decoded.add(PercentDecoder.decodePath(raw)), raw + " -> " + decoded);
    }

    @Test
    void encodedSlashNextToOtherEscapes() throws Exception {
        assertEquals("/a b%2Fc d", PercentDecoder.decodePath("/a%20b%2fc%20d"));
    }

    @Test
    void rawLatin1CharactersPassThrough() throws Exception {
        assertEquals("/caf\u00e9 x", PercentDecoder.decodePath("/caf\u00e9%20x"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"%", "/a%", "/a%4", "/a%zz", "/a%4g", "/a%g4", "/a%%41", "/a% 41", "/a%-1", "/ok%20then%2"})
    void malformedEscapesAre400(String raw) {
        BadRequestException e = assertThrows(BadRequestException.class, () -> PercentDecoder.decodePath(raw));
        assertEquals(400, e.status());
    }
}
