package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Each relaxable {@link ComplianceViolation}: refused by default and named in the refusal, accepted
 * (with the documented meaning) once relaxed, and relaxing it relaxes nothing else; the others
 * cannot be relaxed at all.
 */
class ComplianceRelaxationTest {

    /** A request that breaks exactly one rule, and what it means once that rule is relaxed. */
    record Case(ComplianceViolation violation, String request, String expectedPath, String expectedField, String fieldValue) { }

    static Stream<Case> cases() {
        return Stream.of(
                new Case(ComplianceViolation.BARE_LF_LINE_ENDINGS, "GET /lf HTTP/1.1\nHost: a\nX-A: 1\n\n", "/lf", "X-A", "1"),
                new Case(ComplianceViolation.OBS_FOLD, "GET /f HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n \t2 \r\n\t3\r\n\r\n", "/f", "X-A", "1 2 3"),
                new Case(ComplianceViolation.MISSING_HOST, "GET /h HTTP/1.1\r\nX-A: 1\r\n\r\n", "/h", "Host", null),
                new Case(ComplianceViolation.FRAGMENT_IN_TARGET, "GET /p?q#frag HTTP/1.1\r\nHost: a\r\n\r\n", "/p", "X-A", null),
                new Case(ComplianceViolation.OBS_TEXT_IN_TARGET, "GET /caf\u00e9 HTTP/1.1\r\nHost: a\r\n\r\n", "/caf\u00e9", "X-A", null),
                new Case(ComplianceViolation.UNSAFE_CHARACTER_IN_TARGET, "GET /a|b{c} HTTP/1.1\r\nHost: a\r\n\r\n", "/a|b{c}", "X-A", null),
                new Case(ComplianceViolation.CONTENT_LENGTH_REPEATED,
                        "POST /cl HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\n", "/cl", "X-A", null),
                new Case(ComplianceViolation.HTTP_1_0_TRANSFER_ENCODING,
                        "POST /te HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n", "/te", "X-A", null),
                new Case(ComplianceViolation.ENCODED_CONTROL_IN_PATH, "GET /a%00b%0D%0Ac%7f HTTP/1.1\r\nHost: a\r\n\r\n",
                        "/a\u0000b\r\nc\u007f", "X-A", null));
    }

    private static RequestHead parse(HttpCompliance compliance, String text) throws BadRequestException {
        byte[] b = text.getBytes(StandardCharsets.ISO_8859_1);
        int end = RequestParser.findHeadEnd(b, 0, 0, b.length);
        assertTrue(end > 0, "the head is complete");
        return new RequestParser(HttpLimits.defaults().withCompliance(compliance)).parse(b, 0, end);
    }

    @Test
    void everyRelaxableViolationHasACase() {
        Set<ComplianceViolation> covered = EnumSet.noneOf(ComplianceViolation.class);
        cases().forEach(c -> covered.add(c.violation()));
        for (ComplianceViolation v : ComplianceViolation.values()) {
            assertEquals(v.relaxable(), covered.contains(v), v.name());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void strictParsingRefusesAndNamesTheViolation(Case c) {
        BadRequestException e = assertThrows(BadRequestException.class, () -> parse(HttpCompliance.strict(), c.request()));
        assertEquals(400, e.status());
        assertEquals(c.violation(), e.violation());
        assertTrue(e.getMessage().contains(c.violation().name()) && e.getMessage().contains(c.violation().rfcSection()),
                e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void relaxedParsingAcceptsWithTheDocumentedMeaning(Case c) throws BadRequestException {
        RequestHead h = parse(HttpCompliance.strict().relaxing(c.violation()), c.request());
        assertEquals(c.expectedPath(), h.path());
        assertEquals(c.fieldValue(), h.headers().get(c.expectedField()));
        switch (c.violation()) {
            case FRAGMENT_IN_TARGET -> {
                assertEquals("/p?q", h.target(), "the fragment is dropped");
                assertEquals("q", h.query());
            }
            case MISSING_HOST -> assertEquals(null, h.host());
            case CONTENT_LENGTH_REPEATED -> assertEquals(2, h.contentLength());
            case HTTP_1_0_TRANSFER_ENCODING -> {
                assertEquals(RequestHead.BodyFraming.CHUNKED, h.framing());
                assertFalse(h.keepAlive(), "RFC 9112 section 6.1: close after a 1.0 request with Transfer-Encoding");
            }
            default -> { }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void relaxingEverythingElseDoesNotAcceptIt(Case c) {
        EnumSet<ComplianceViolation> others = EnumSet.noneOf(ComplianceViolation.class);
        for (ComplianceViolation v : ComplianceViolation.values()) if (v.relaxable() && v != c.violation()) others.add(v);
        BadRequestException e = assertThrows(BadRequestException.class, () -> parse(new HttpCompliance(others), c.request()));
        assertEquals(c.violation(), e.violation());
    }

    @ParameterizedTest
    @ValueSource(strings = {"X-A: 1\r\n Transfer-Encoding: chunked", "X-A: 1\r\n\tcontent-length : 5", "X-A: 1\r\n Host: evil"})
    void aFoldedLineThatReadsAsAFramingOrHostFieldIsRefusedEvenWhenObsFoldIsRelaxed(String fieldLines) {
        // a proxy that takes the continuation for a field line of its own would frame or route the request differently
        String request = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n" + fieldLines + "\r\n\r\n";
        BadRequestException e = assertThrows(BadRequestException.class,
                () -> parse(HttpCompliance.strict().relaxing(ComplianceViolation.OBS_FOLD), request));
        assertEquals(ComplianceViolation.OBS_FOLD, e.violation());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Transfer-Encoding: gzip,\r\n chunked", "Transfer-Encoding:\r\n chunked",
            "Content-Length: 1\r\n 0", "Host: a\r\n b"})
    void foldingAFramingOrHostFieldIsRefusedEvenWhenObsFoldIsRelaxed(String fieldLines) {
        String request = "POST / HTTP/1.1\r\n" + (fieldLines.startsWith("Host") ? "" : "Host: a\r\n") + fieldLines + "\r\n\r\n";
        BadRequestException e = assertThrows(BadRequestException.class,
                () -> parse(HttpCompliance.strict().relaxing(ComplianceViolation.OBS_FOLD), request));
        assertEquals(ComplianceViolation.OBS_FOLD, e.violation());
    }

    @ParameterizedTest
    @EnumSource(ComplianceViolation.class)
    void onlySafeViolationsCanBeRelaxed(ComplianceViolation v) {
        if (v.relaxable()) {
            assertTrue(HttpCompliance.strict().relaxing(v).allows(v));
        } else {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HttpCompliance.strict().relaxing(v));
            assertTrue(e.getMessage().contains(v.name()), e.getMessage());
        }
        assertFalse(HttpCompliance.strict().allows(v), "strict allows nothing");
        assertFalse(v.rfcSection().isBlank() || v.description().isBlank());
    }

    @Test
    void theFirstAcceptedRelaxedViolationOfAConnectionIsLoggedAtDebugOnce() throws Exception {
        List<LogRecord> records = relaxedViolationLogs(() -> {
            RequestParser parser = new RequestParser(HttpLimits.defaults().withCompliance(
                    HttpCompliance.strict().relaxing(ComplianceViolation.FRAGMENT_IN_TARGET)));
            for (int i = 0; i < 3; i++) {
                byte[] b = "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
                assertEquals("/a", parser.parse(b, 0, b.length).path());
            }
        });
        assertEquals(1, records.size(), "logged once per connection's parser");
        assertEquals("FRAGMENT_IN_TARGET", records.get(0).getParameters()[0]);
    }

    /** Every relaxable rule goes through the same check: a bare LF (the line ends, checked apart) too. */
    @Test
    void anAcceptedBareLfIsLoggedAsTheOtherRelaxedViolationsAre() throws Exception {
        List<LogRecord> records = relaxedViolationLogs(() -> {
            RequestParser parser = new RequestParser(HttpLimits.defaults().withCompliance(
                    HttpCompliance.strict().relaxing(ComplianceViolation.BARE_LF_LINE_ENDINGS)));
            byte[] b = "GET /a HTTP/1.1\nHost: a\n\n".getBytes(StandardCharsets.ISO_8859_1);
            assertEquals("/a", parser.parse(b, 0, b.length).path());
        });
        assertEquals(1, records.size(), "logged once: " + records);
        assertEquals("BARE_LF_LINE_ENDINGS", records.get(0).getParameters()[0]);
    }

    /** Parsers are lent to connections one head at a time; a connection's record of what was logged goes with it. */
    @Test
    void aServerLogsAnAcceptedRelaxedViolationOncePerConnection() throws Exception {
        WsgiApp app = (environ, startResponse) -> {
            startResponse.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of(environ.pathInfo().getBytes(StandardCharsets.ISO_8859_1));
        };
        HttpLimits relaxed = HttpLimits.defaults().withCompliance(
                HttpCompliance.strict().relaxing(ComplianceViolation.FRAGMENT_IN_TARGET));
        List<LogRecord> records = relaxedViolationLogs(() -> {
            try (TestServer server = TestServer.start(app, b -> b.limits(relaxed))) {
                for (int c = 0; c < 3; c++) {
                    try (RawClient client = server.connect()) {
                        for (int i = 0; i < 3; i++) {
                            assertEquals("/a", client.send("GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n").read().bodyText());
                        }
                    }
                }
            }
        });
        assertEquals(3, records.size(), "once for each of the three connections: " + records);
    }

    private interface Body {
        void run() throws Exception;
    }

    /** The "Accepted a relaxed" records logged (at DEBUG, with the level turned on) while {@code body} runs. */
    private static List<LogRecord> relaxedViolationLogs(Body body) throws Exception {
        try (LogCapture log = LogCapture.from(Level.FINE)) {
            body.run();
            return log.startingWith("Accepted a relaxed");
        }
    }

    static Stream<Arguments> names() {
        return Stream.of(
                arguments("obs-fold", Set.of(ComplianceViolation.OBS_FOLD)),
                arguments("BARE_LF_LINE_ENDINGS, missing-host", Set.of(ComplianceViolation.BARE_LF_LINE_ENDINGS, ComplianceViolation.MISSING_HOST)),
                arguments("", Set.of()));
    }

    @ParameterizedTest
    @MethodSource("names")
    void parsesTheCommandLineForm(String text, Set<ComplianceViolation> expected) {
        assertEquals(expected, HttpCompliance.parse(text).relaxed());
    }

    @Test
    void unknownOrUnrelaxableNamesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> HttpCompliance.parse("no-such-thing"));
        assertThrows(IllegalArgumentException.class, () -> HttpCompliance.parse("transfer-encoding-with-content-length"));
    }

    @Test
    void theRelaxedSetIsImmutable() {
        HttpCompliance c = HttpCompliance.strict().relaxing(ComplianceViolation.OBS_FOLD);
        assertThrows(UnsupportedOperationException.class, () -> c.relaxed().add(ComplianceViolation.MISSING_HOST));
    }

    /** Over a socket: a relaxed server serves what a strict one refuses, and the connection framing still holds. */
    @Test
    void aRelaxedServerServesWhatAStrictOneRefuses() throws Exception {
        WsgiApp app = (environ, startResponse) -> {
            byte[] body = environ.input().readAllBytes();
            startResponse.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of((environ.pathInfo() + " " + environ.header("X-A") + " " + body.length).getBytes(StandardCharsets.ISO_8859_1));
        };
        String request = "POST /x HTTP/1.1\nHost: a\nX-A: 1\n 2\nContent-Length: 3\n\nabc";
        HttpLimits relaxed = HttpLimits.defaults().withCompliance(
                HttpCompliance.strict().relaxing(ComplianceViolation.BARE_LF_LINE_ENDINGS, ComplianceViolation.OBS_FOLD));
        try (TestServer strict = TestServer.start(app); RawClient client = strict.connect()) {
            RawClient.Response r = client.send(request).read();
            assertEquals(400, r.status());
            assertTrue(client.isClosedByServer());
        }
        try (TestServer lenient = TestServer.start(app, b -> b.limits(relaxed)); RawClient client = lenient.connect()) {
            client.send(request + "GET /y HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("/x 1 2 3", client.read().bodyText());
            assertEquals("/y null 0", client.read().bodyText(), "the next request starts right after the body");
        }
    }
}
