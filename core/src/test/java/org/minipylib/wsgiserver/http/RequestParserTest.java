package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * {@link RequestParser} over byte arrays: what a valid head means (RFC 9112 sections 2-3, 5, 6 and
 * RFC 9110), and the exact status every kind of invalid head is refused with.
 */
class RequestParserTest {

    private static final String CRLF = "\r\n";

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Finds the head end in {@code text} (which must hold one complete head) and parses it. */
    private static RequestHead parse(HttpLimits limits, String text) throws BadRequestException {
        byte[] b = bytes(text);
        int end = RequestParser.findHeadEnd(b, 0, 0, b.length);
        assertTrue(end > 0, "findHeadEnd did not find the end of the head");
        return new RequestParser(limits).parse(b, 0, end);
    }

    private static HttpLimits relaxed(ComplianceViolation... violations) {
        return HttpLimits.defaults().withCompliance(HttpCompliance.strict().relaxing(violations));
    }

    private static RequestHead parse(String text) throws BadRequestException {
        return parse(HttpLimits.defaults(), text);
    }

    /** A GET for {@code target} with Host: example.com and the given extra field lines. */
    private static RequestHead get(String target, String... fieldLines) throws BadRequestException {
        return parse(request("GET", target, "HTTP/1.1", prepend("Host: example.com", fieldLines)));
    }

    private static String[] prepend(String first, String... rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private static String request(String method, String target, String version, String... fieldLines) {
        StringBuilder sb = new StringBuilder(method).append(' ').append(target).append(' ').append(version).append(CRLF);
        for (String line : fieldLines) sb.append(line).append(CRLF);
        return sb.append(CRLF).toString();
    }

    private static void assertRejected(int status, HttpLimits limits, String text) {
        BadRequestException e = assertThrows(BadRequestException.class, () -> parse(limits, text));
        assertEquals(status, e.status(), () -> "status for " + text.replace("\r", "\\r").replace("\n", "\\n")
                + " (message: " + e.getMessage() + ")");
        assertFalse(e.getMessage() == null || e.getMessage().isBlank(), "an error must say what was wrong");
    }

    private static void assertRejected(int status, String text) {
        assertRejected(status, HttpLimits.defaults(), text);
    }

    // ---------------------------------------------------------------------------------------------
    @Nested
    class FindingTheEndOfTheHead {

        @Test
        void findsTheEmptyLineAfterTheHeaders() {
            byte[] b = bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\nNEXT");
            assertEquals(b.length - 4, RequestParser.findHeadEnd(b, 0, 0, b.length));
        }

        @Test
        void incompleteHeadIsNotFound() {
            for (String partial : List.of("GET / HTTP/1.1", "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: a\r\n",
                    "GET / HTTP/1.1\r\nHost: a\r\n\r")) {
                byte[] b = bytes(partial);
                assertEquals(-1, RequestParser.findHeadEnd(b, 0, 0, b.length), partial);
            }
        }

        @Test
        void resumesScanningWhereItLeftOffAcrossReads() {
            byte[] b = bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            int split = b.length - 1; // everything but the final LF has arrived
            assertEquals(-1, RequestParser.findHeadEnd(b, 0, 0, split));
            assertEquals(b.length, RequestParser.findHeadEnd(b, 0, split, b.length));
        }

        @Test
        void honoursAHeadStartInsideTheBuffer() {
            byte[] b = bytes("xx\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals(b.length, RequestParser.findHeadEnd(b, 6, 6, b.length));
        }

        @Test
        void recognisesBareLfLineEndsSoTheyCanBeRefusedRatherThanWaitedOn() {
            byte[] b = bytes("GET / HTTP/1.1\nHost: a\n\n");
            assertEquals(b.length, RequestParser.findHeadEnd(b, 0, 0, b.length));
        }
    }

    // ---------------------------------------------------------------------------------------------
    @Nested
    class RequestLine {

        @Test
        void originFormWithoutQuery() throws Exception {
            RequestHead h = get("/index.html");
            assertEquals("GET", h.method());
            assertEquals("/index.html", h.target());
            assertEquals("/index.html", h.rawPath());
            assertEquals("/index.html", h.path());
            assertNull(h.query());
            assertEquals(1, h.minorVersion());
            assertEquals("HTTP/1.1", h.protocol());
            assertEquals("example.com", h.host());
            assertEquals("GET /index.html HTTP/1.1", h.requestLine());
        }

        @Test
        void originFormWithQueryKeepsTheQueryRaw() throws Exception {
            RequestHead h = get("/search?q=a%20b&x=1?2");
            assertEquals("/search", h.path());
            assertEquals("q=a%20b&x=1?2", h.query());
        }

        @Test
        void emptyQueryIsEmptyNotAbsent() throws Exception {
            assertEquals("", get("/p?").query());
        }

        @Test
        void absoluteFormTakesHostFromTheAuthorityOverTheHostHeader() throws Exception {
            RequestHead h = parse(request("GET", "http://origin.example:8080/a/b?c=d", "HTTP/1.1", "Host: other.example"));
            assertEquals("origin.example:8080", h.host());
            assertEquals("/a/b", h.rawPath());
            assertEquals("c=d", h.query());
            assertEquals("http://origin.example:8080/a/b?c=d", h.target());
        }

        @Test
        void absoluteFormWithoutPathHasPathSlash() throws Exception {
            RequestHead h = parse(request("GET", "https://example.org", "HTTP/1.1", "Host: example.org"));
            assertEquals("/", h.path());
            assertNull(h.query());
            RequestHead q = parse(request("GET", "http://example.org?x=1", "HTTP/1.1", "Host: example.org"));
            assertEquals("/", q.path());
            assertEquals("x=1", q.query());
        }

        @Test
        void absoluteFormAcceptsAnIpv6Literal() throws Exception {
            assertEquals("[::1]:8080", parse(request("GET", "http://[::1]:8080/", "HTTP/1.1", "Host: x")).host());
        }

        @Test
        void asteriskFormForOptions() throws Exception {
            RequestHead h = parse(request("OPTIONS", "*", "HTTP/1.1", "Host: example.com"));
            assertEquals("OPTIONS", h.method());
            assertEquals("*", h.target());
            assertEquals("*", h.rawPath());
            assertEquals("*", h.path());
            assertNull(h.query());
        }

        @Test
        void commonMethodsAreSharedStrings() throws Exception {
            assertSame("GET", get("/").method());
            assertSame("DELETE", parse(request("DELETE", "/", "HTTP/1.1", "Host: a")).method());
        }

        @ParameterizedTest
        @ValueSource(strings = {"get", "Get", "PROPFIND", "M-SEARCH", "PURGE", "X!#$%&'*+.^_`|~1"})
        void methodsAreCaseSensitiveAndExtensionMethodsPassThrough(String method) throws Exception {
            RequestHead h = parse(request(method, "/", "HTTP/1.1", "Host: a"));
            assertEquals(method, h.method());
            assertFalse(h.isHead());
        }

        @Test
        void onlyUpperCaseHeadIsHead() throws Exception {
            assertTrue(parse(request("HEAD", "/", "HTTP/1.1", "Host: a")).isHead());
            assertFalse(parse(request("head", "/", "HTTP/1.1", "Host: a")).isHead());
        }

        @ParameterizedTest
        @ValueSource(strings = {"HTTP/1.2", "HTTP/1.9"})
        void higherMinorVersionsAreServedAsHttp11(String version) throws Exception {
            RequestHead h = parse(request("GET", "/", version, "Host: a"));
            assertEquals(1, h.minorVersion());
            assertEquals("HTTP/1.1", h.protocol());
        }

        @Test
        void rawNonAsciiBytesInTheTargetAreRefusedOrIfRelaxedKeptAsLatin1() throws Exception {
            String text = request("GET", "/caf\u00e9", "HTTP/1.1", "Host: a");
            assertRejected(400, text);
            RequestHead h = parse(relaxed(ComplianceViolation.OBS_TEXT_IN_TARGET), text);
            assertEquals("/caf\u00e9", h.path());
        }

        @Test
        void aSchemeIsAsciiEvenWhenNonAsciiBytesAreRelaxed() {
            // RFC 3986 section 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), ALPHA being ASCII
            HttpLimits relaxed = relaxed(ComplianceViolation.OBS_TEXT_IN_TARGET);
            assertRejected(400, relaxed, request("GET", "\u00e9://example.com/", "HTTP/1.1", "Host: a"));
            assertRejected(400, relaxed, request("GET", "h\u00e9://example.com/", "HTTP/1.1", "Host: a"));
        }
    }

    // ---------------------------------------------------------------------------------------------
    @Nested
    class PathDecoding {

        @Test
        void percentEncodedBytesAreDecodedToLatin1Characters() throws Exception {
            RequestHead h = get("/a%20b/caf%C3%A9");
            assertEquals("/a%20b/caf%C3%A9", h.rawPath());
            assertEquals("/a b/caf\u00c3\u00a9", h.path());
        }

        @Test
        void encodedSlashStaysEncoded() throws Exception {
            assertEquals("/a%2Fb/c%2Fd", get("/a%2Fb/c%2fd").path()); // %2f as %2F (RFC 3986 section 6.2.2.1)
        }

        @Test
        void encodedPercentIsDecodedUnlessItWouldReadAsAnEscape() throws Exception {
            assertEquals("/100%", get("/100%25").path());
            assertEquals("/100%2525", get("/100%2525").path()); // text "%25": kept, so it cannot read as "%"
            assertEquals("/%2541", get("/%2541").path());
        }

        @Test
        void queryIsNotDecoded() throws Exception {
            assertEquals("a=%2F%zz", get("/p?a=%2F%zz").query());
        }

        @Test
        void absoluteFormPathIsDecodedToo() throws Exception {
            assertEquals("/x y", parse(request("GET", "http://h/x%20y", "HTTP/1.1", "Host: h")).path());
        }
    }

    // ---------------------------------------------------------------------------------------------
    @Nested
    class HostAndVersion {

        @Test
        void http10WithoutHostIsAccepted() throws Exception {
            RequestHead h = parse(request("GET", "/", "HTTP/1.0"));
            assertEquals(0, h.minorVersion());
            assertEquals("HTTP/1.0", h.protocol());
            assertNull(h.host());
        }

        @Test
        void http10WithHostReportsIt() throws Exception {
            assertEquals("example.com:81", parse(request("GET", "/", "HTTP/1.0", "Host: example.com:81")).host());
        }

        @Test
        void emptyHostIsAllowed() throws Exception {
            // RFC 9112 section 3.2: a client sends an empty Host when the target URI has no authority
            assertEquals("", parse(request("GET", "/", "HTTP/1.1", "Host:")).host());
        }

        @ParameterizedTest
        @ValueSource(strings = {"example.com", "example.com:8080", "127.0.0.1", "[::1]:80", "xn--bcher-kva.example",
                "a_b.local", "[2001:db8::1]:8080", "[::ffff:192.0.2.1]", "[1:2:3:4:5:6:7:8]"})
        void validHostValues(String host) throws Exception {
            assertEquals(host, parse(request("GET", "/", "HTTP/1.1", "Host: " + host)).host());
        }

        @ParameterizedTest
        @ValueSource(strings = {"[ab]", "[1.2.3.4]", "[:::]", "[1:2:3:4:5:6:7:8:9]", "[1::2::3]", "[::1.2.3.04]", "[::]x"})
        void bracketsHoldOnlyAnIpv6Address(String host) {
            // RFC 3986 section 3.2.2: IP-literal = "[" ( IPv6address / IPvFuture ) "]"; IPvFuture is refused too
            assertRejected(400, request("GET", "/", "HTTP/1.1", "Host: " + host));
            assertRejected(400, request("GET", "http://" + host + "/", "HTTP/1.1", "Host: a"));
        }

        @Test
        void hostHeaderNameIsCaseInsensitive() throws Exception {
            assertEquals("a", parse(request("GET", "/", "HTTP/1.1", "hOsT: a")).host());
        }
    }

    // ---------------------------------------------------------------------------------------------
    @Nested
    class Connection {

        @Test
        void http11IsPersistentByDefault() throws Exception {
            assertTrue(get("/").keepAlive());
        }

        @ParameterizedTest
        @ValueSource(strings = {"close", "Close", "CLOSE", "keep-alive, close", "close, keep-alive", "foo,  close ",
                "Upgrade,close", ",close,"})
        void http11CloseTokenEndsTheConnection(String value) throws Exception {
            assertFalse(get("/", "Connection: " + value).keepAlive(), value);
        }

        @Test
        void closeInASecondConnectionFieldCounts() throws Exception {
            assertFalse(get("/", "Connection: keep-alive", "Connection: close").keepAlive());
        }

        @ParameterizedTest
        @ValueSource(strings = {"keep-alive", "Upgrade", "closed", "close-ish", ""})
        void http11OtherTokensKeepTheConnection(String value) throws Exception {
            assertTrue(get("/", "Connection: " + value).keepAlive(), value);
        }

        @Test
        void http10ClosesByDefault() throws Exception {
            assertFalse(parse(request("GET", "/", "HTTP/1.0")).keepAlive());
        }

        @ParameterizedTest
        @ValueSource(strings = {"keep-alive", "Keep-Alive", "KEEP-ALIVE", "foo, keep-alive"})
        void http10KeepAliveTokenKeepsTheConnection(String value) throws Exception {
            assertTrue(parse(request("GET", "/", "HTTP/1.0", "Connection: " + value)).keepAlive(), value);
        }

        @Test
        void http10CloseWinsOverKeepAlive() throws Exception {
            assertFalse(parse(request("GET", "/", "HTTP/1.0", "Connection: keep-alive, close")).keepAlive());
        }
    }

    // ---------------------------------------------------------------------------------------------
    @Nested
    class HeaderFieldsParsing {

        @Test
        void optionalWhitespaceAroundValuesIsTrimmed() throws Exception {
            RequestHead h = get("/", "X-A:   spaced  \t", "X-B:\tv", "X-C:v");
            assertEquals("spaced", h.headers().get("X-A"));
            assertEquals("v", h.headers().get("X-B"));
            assertEquals("v", h.headers().get("X-C"));
        }

        @Test
        void innerWhitespaceAndHtabAreKept() throws Exception {
            assertEquals("a  b\tc", get("/", "X-A: a  b\tc").headers().get("x-a"));
        }

        @Test
        void emptyValuesAreKeptAsEmptyStrings() throws Exception {
            RequestHead h = get("/", "X-Empty:", "X-Blank:   ");
            assertEquals("", h.headers().get("X-Empty"));
            assertEquals("", h.headers().get("X-Blank"));
        }

        @Test
        void repeatedFieldsAreKeptInOrder() throws Exception {
            RequestHead h = get("/", "Accept: a", "X-Other: o", "accept: b", "ACCEPT: c");
            assertEquals(List.of("a", "b", "c"), h.headers().getAll("Accept"));
            assertEquals(3, h.headers().count("accept"));
            assertEquals(5, h.headers().size());
            assertEquals("Host", h.headers().name(0));
            assertEquals("X-Other", h.headers().name(2));
        }

        @Test
        void uncommonNamesKeepTheCaseTheClientSent() throws Exception {
            assertEquals("x-CuStOm", get("/", "x-CuStOm: 1").headers().name(1));
        }

        @Test
        void obsTextInValuesIsAllowed() throws Exception {
            assertEquals("caf\u00e9 \u00ff", get("/", "X-A: caf\u00e9 \u00ff").headers().get("X-A"));
        }

        @Test
        void valuesMayContainColonsAndQuotes() throws Exception {
            assertEquals("a:b \"c\" (d)", get("/", "X-A: a:b \"c\" (d)").headers().get("X-A"));
        }
    }

    // ---------------------------------------------------------------------------------------------
    @Nested
    class BodyFraming {

        @Test
        void noBodyWithoutFramingHeaders() throws Exception {
            RequestHead h = get("/");
            assertEquals(RequestHead.BodyFraming.NONE, h.framing());
            assertEquals(-1, h.contentLength());
        }

        @Test
        void contentLength() throws Exception {
            RequestHead h = parse(request("POST", "/", "HTTP/1.1", "Host: a", "Content-Length: 42"));
            assertEquals(RequestHead.BodyFraming.CONTENT_LENGTH, h.framing());
            assertEquals(42, h.contentLength());
        }

        @Test
        void contentLengthZeroMeansNoBody() throws Exception {
            RequestHead h = parse(request("POST", "/", "HTTP/1.1", "Host: a", "Content-Length: 0"));
            assertEquals(RequestHead.BodyFraming.NONE, h.framing());
            assertEquals(0, h.contentLength());
        }

        @ParameterizedTest
        @ValueSource(strings = {"007", "0000000000000000000000007"})
        void contentLengthWithLeadingZerosIsAccepted(String value) throws Exception {
            RequestHead h = parse(request("POST", "/", "HTTP/1.1", "Host: a", "Content-Length: " + value));
            assertEquals(7, h.contentLength(), value);
        }

        @ParameterizedTest
        @ValueSource(strings = {"7, 7", "7,7,7", "7 ,\t7", "07, 7"})
        void contentLengthListsOfIdenticalValuesAreRefusedUnlessRelaxed(String value) throws Exception {
            String text = request("POST", "/", "HTTP/1.1", "Host: a", "Content-Length: " + value);
            assertRejected(400, text);
            RequestHead h = parse(relaxed(ComplianceViolation.CONTENT_LENGTH_REPEATED), text);
            assertEquals(7, h.contentLength(), value);
        }

        @Test
        void repeatedIdenticalContentLengthFieldsAreRefusedUnlessRelaxed() throws Exception {
            String text = request("POST", "/", "HTTP/1.1", "Host: a", "Content-Length: 5", "content-length: 5");
            assertRejected(400, text);
            assertEquals(5, parse(relaxed(ComplianceViolation.CONTENT_LENGTH_REPEATED), text).contentLength());
        }

        @Test
        void largestAcceptedContentLength() throws Exception {
            RequestHead h = parse(request("POST", "/", "HTTP/1.1", "Host: a", "Content-Length: 999999999999999999"));
            assertEquals(999_999_999_999_999_999L, h.contentLength());
        }

        @Test
        void http10WithContentLength() throws Exception {
            RequestHead h = parse(request("POST", "/", "HTTP/1.0", "Content-Length: 3"));
            assertEquals(RequestHead.BodyFraming.CONTENT_LENGTH, h.framing());
            assertEquals(3, h.contentLength());
        }

        @ParameterizedTest
        @ValueSource(strings = {"chunked", "Chunked", "CHUNKED", " chunked ", ", chunked", "chunked,", " , ,chunked, ,"})
        void transferEncodingChunked(String value) throws Exception {
            RequestHead h = parse(request("POST", "/", "HTTP/1.1", "Host: a", "Transfer-Encoding: " + value));
            assertEquals(RequestHead.BodyFraming.CHUNKED, h.framing(), value);
            assertEquals(-1, h.contentLength());
        }

        @Test
        void chunkedAfterAnEmptyTransferEncodingField() throws Exception {
            RequestHead h = parse(request("POST", "/", "HTTP/1.1", "Host: a", "Transfer-Encoding:", "Transfer-Encoding: chunked"));
            assertEquals(RequestHead.BodyFraming.CHUNKED, h.framing());
        }
    }

    // ---------------------------------------------------------------------------------------------
    @Nested
    class Expectations {

        @ParameterizedTest
        @ValueSource(strings = {"100-continue", "100-Continue", "  100-CONTINUE  "})
        void http11ExpectContinue(String value) throws Exception {
            assertTrue(parse(request("POST", "/", "HTTP/1.1", "Host: a", "Content-Length: 1", "Expect: " + value))
                    .expectContinue());
        }

        @Test
        void noExpectationByDefault() throws Exception {
            assertFalse(get("/").expectContinue());
        }

        @Test
        void emptyExpectIsIgnored() throws Exception {
            assertFalse(get("/", "Expect:").expectContinue());
        }

        @Test
        void http10ExpectIsIgnoredEvenWhenUnknown() throws Exception {
            // RFC 9110 section 10.1.1: a server that receives 100-continue in HTTP/1.0 MUST ignore it
            assertFalse(parse(request("POST", "/", "HTTP/1.0", "Content-Length: 1", "Expect: 100-continue")).expectContinue());
            assertFalse(parse(request("POST", "/", "HTTP/1.0", "Expect: something-else")).expectContinue());
        }
    }

    // ---------------------------------------------------------------------------------------------
    @Nested
    class Limits {

        private final HttpLimits tight = HttpLimits.defaults()
                .withMaxRequestLineLength(32).withMaxHeaderCount(3).withMaxHeaderSectionSize(64);

        @Test
        void requestLineOfExactlyTheLimitIsAccepted() throws Exception {
            String line = "GET /" + "a".repeat(32 - 14) + " HTTP/1.1";
            assertEquals(32, line.length());
            assertEquals(1, parse(tight, line + "\r\nHost: a\r\n\r\n").minorVersion());
        }

        @Test
        void requestLineOverTheLimitIs414() {
            String line = "GET /" + "a".repeat(33 - 14) + " HTTP/1.1";
            assertRejected(414, tight, line + "\r\nHost: a\r\n\r\n");
        }

        @Test
        void methodOverTheLineLimitIs501() { // RFC 9112 section 3: longer than any method implemented
            assertRejected(501, tight, "M".repeat(33) + " / HTTP/1.1\r\nHost: a\r\n\r\n");
            assertRejected(414, tight, "M".repeat(32) + " / HTTP/1.1\r\nHost: a\r\n\r\n"); // the 33rd byte is the space
        }

        @Test
        void longTargetWithDefaultLimitsIs414() {
            assertRejected(414, request("GET", "/" + "x".repeat(8 * 1024), "HTTP/1.1", "Host: a"));
        }

        @Test
        void maxHeaderCountFieldsAreAccepted() throws Exception {
            assertEquals(3, parse(tight, request("GET", "/", "HTTP/1.1", "Host: a", "A: 1", "B: 2")).headers().size());
        }

        @Test
        void tooManyHeaderFieldsIs431() {
            assertRejected(431, tight, request("GET", "/", "HTTP/1.1", "Host: a", "A: 1", "B: 2", "C: 3"));
        }

        @Test
        void headerSectionLargerThanTheLimitIs431() {
            assertRejected(431, tight, request("GET", "/", "HTTP/1.1", "Host: a", "X: " + "v".repeat(64)));
        }

        @Test
        void headerSectionOfExactlyTheLimitIsAccepted() throws Exception {
            // the section is its field lines with their CRLFs: 9 + 55 = 64 bytes; the empty line ends it
            String head = request("GET", "/", "HTTP/1.1", "Host: a", "X: " + "v".repeat(50));
            assertEquals(64, head.length() - "GET / HTTP/1.1\r\n".length() - 2);
            assertEquals("v".repeat(50), parse(tight, head).headers().get("X"));
            assertRejected(431, tight, request("GET", "/", "HTTP/1.1", "Host: a", "X: " + "v".repeat(51)));
        }

        @Test
        void headerSectionWithinTheLimitIsAccepted() throws Exception {
            assertEquals("v".repeat(40), parse(tight, request("GET", "/", "HTTP/1.1", "Host: a", "X: " + "v".repeat(40)))
                    .headers().get("X"));
        }

        @Test
        void defaultHeaderCountLimitIs431AtOneHundredAndOne() throws Exception {
            String[] lines = new String[100];
            lines[0] = "Host: a";
            for (int i = 1; i < lines.length; i++) lines[i] = "X-" + i + ": " + i;
            assertEquals(100, parse(request("GET", "/", "HTTP/1.1", lines)).headers().size());
            assertRejected(431, request("GET", "/", "HTTP/1.1", prepend("X-0: 0", lines)));
        }
    }

    // ---------------------------------------------------------------------------------------------
    /** One parser per connection remembers the previous head's field values; nothing else may change. */
    @Nested
    class RememberedFieldValues {

        private final RequestParser parser = new RequestParser(HttpLimits.defaults());

        private RequestHead next(String text) throws BadRequestException {
            byte[] b = bytes(text);
            return parser.parse(b, 0, RequestParser.findHeadEnd(b, 0, 0, b.length));
        }

        @Test
        void aRepeatedFieldIsTheSameStringAndAChangedOneIsNew() throws BadRequestException {
            RequestHead first = next("GET / HTTP/1.1\r\nHost: a.example\r\nUser-Agent: test/1\r\n\r\n");
            RequestHead second = next("GET /x HTTP/1.1\r\nHost: a.example\r\nUser-Agent: test/2\r\n\r\n");
            assertSame(first.headers().value(0), second.headers().value(0));
            assertEquals("a.example", second.host());
            assertEquals("test/2", second.headers().value(1));
            RequestHead third = next("GET / HTTP/1.1\r\nHost: a.example\r\nAccept: test/2\r\n\r\n");
            assertEquals("Accept", third.headers().name(1));
            assertEquals("test/2", third.headers().value(1));
        }

        @Test
        void eachHeadGetsFieldsOfItsOwnThatLaterHeadsAndFailuresLeaveAlone() throws BadRequestException {
            RequestHead first = next("GET / HTTP/1.1\r\nHost: a.example\r\nX-One: 1\r\nX-Two: 2\r\n\r\n");
            assertThrows(BadRequestException.class, () -> next("GET / HTTP/1.1\r\nHost: b.example\r\nX-Bad: \u0001\r\n\r\n"));
            RequestHead second = next("GET / HTTP/1.0\r\n\r\n");
            assertEquals(3, first.headers().size());
            assertEquals("X-Two", first.headers().name(2));
            assertEquals("2", first.headers().value(2));
            assertEquals(0, second.headers().size());
            second.headers().add("X-Added", "later"); // a compact (here empty) set still grows
            assertEquals("later", second.headers().get("x-added"));
            assertEquals(3, first.headers().size());
        }

        @Test
        void aBadValueAfterAGoodOneAtTheSamePlaceIsStillRefused() throws BadRequestException {
            next("GET / HTTP/1.1\r\nHost: a.example\r\nX-A: b\r\n\r\n");
            BadRequestException e = assertThrows(BadRequestException.class,
                    () -> next("GET / HTTP/1.1\r\nHost: a.example\r\nX-A: b\u0001\r\n\r\n"));
            assertEquals(ComplianceViolation.INVALID_FIELD_VALUE, e.violation());
            e = assertThrows(BadRequestException.class, () -> next("GET / HTTP/1.1\r\nHost: a.exa mple\r\n\r\n"));
            assertEquals(ComplianceViolation.INVALID_HOST, e.violation());
            e = assertThrows(BadRequestException.class, () -> next("GET / HTTP/1.1\r\nHost : a.example\r\n\r\n"));
            assertEquals(ComplianceViolation.WHITESPACE_BEFORE_COLON, e.violation());
            assertEquals("a.example", next("GET / HTTP/1.1\r\nHost: a.example\r\n\r\n").host());
        }

        @Test
        void aLongValueIsNotRemembered() throws BadRequestException {
            String agent = "agent/" + "x".repeat(2000);
            String text = "GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: " + agent + "\r\n\r\n";
            RequestHead first = next(text);
            RequestHead second = next(text);
            assertEquals(agent, second.headers().value(1));
            assertFalse(first.headers().value(1) == second.headers().value(1), "parsed again, not kept");
            assertSame(first.headers().value(0), second.headers().value(0));
        }

        @Test
        void onlyFieldsThatDescribeTheClientAreRemembered() throws BadRequestException {
            String text = "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic YTpi\r\ncookie: s=1\r\n"
                    + "X-Api-Key: k\r\nAccept: */*\r\n\r\n";
            RequestHead first = next(text);
            RequestHead second = next(text);
            for (int i = 1; i <= 3; i++) {
                assertEquals(first.headers().value(i), second.headers().value(i));
                assertNotSame(first.headers().value(i), second.headers().value(i), first.headers().name(i) + " parsed again");
            }
            assertSame(first.headers().value(4), second.headers().value(4), "other fields are remembered");
        }

        @Test
        void moreFieldsThanRememberedAreParsedAsUsual() throws BadRequestException {
            StringBuilder head = new StringBuilder("GET / HTTP/1.1\r\nHost: a\r\n");
            for (int i = 0; i < 30; i++) head.append("X-").append(i).append(": v").append(i).append("\r\n");
            String text = head.append("\r\n").toString();
            for (int round = 0; round < 2; round++) {
                RequestHead h = next(text);
                assertEquals(31, h.headers().size());
                assertEquals("v29", h.headers().get("X-29"));
            }
        }
    }

    @Nested
    class InvalidRequests {

        static Stream<Arguments> invalid() {
            return Stream.of(
                    // line ends
                    arguments(400, "bare LF after request line", "GET / HTTP/1.1\nHost: a\r\n\r\n"),
                    arguments(400, "bare LF after a field line", "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n"),
                    arguments(400, "bare LF line ends throughout", "GET / HTTP/1.1\nHost: a\n\n"),
                    arguments(400, "bare LF as the final empty line", "GET / HTTP/1.1\r\nHost: a\r\n\n"),
                    arguments(400, "bare CR inside request line", "GET / HTTP/1.1\rHost: a\r\n\r\n"),
                    arguments(400, "bare CR inside a field value", "GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n"),
                    arguments(400, "bare CR inside the target", "GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "CR CR LF line end", "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n"),
                    // field line syntax
                    arguments(400, "obs-fold with SP", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n"),
                    arguments(400, "obs-fold with HTAB", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n"),
                    arguments(400, "whitespace before the first field line", "GET / HTTP/1.1\r\n Host: a\r\n\r\n"),
                    arguments(400, "space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
                    arguments(400, "tab before colon", "GET / HTTP/1.1\r\nHost: a\r\nX-A\t: b\r\n\r\n"),
                    arguments(400, "empty field name", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n"),
                    arguments(400, "field line without colon", "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n"),
                    arguments(400, "'(' in field name", "GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n"),
                    arguments(400, "'@' in field name", "GET / HTTP/1.1\r\nHost: a\r\nX@A: b\r\n\r\n"),
                    arguments(400, "'/' in field name", "GET / HTTP/1.1\r\nHost: a\r\nX/A: b\r\n\r\n"),
                    arguments(400, "non-ASCII field name", "GET / HTTP/1.1\r\nHost: a\r\nX-\u00c4: b\r\n\r\n"),
                    arguments(400, "DEL in field name", "GET / HTTP/1.1\r\nHost: a\r\nX\u007fA: b\r\n\r\n"),
                    arguments(400, "NUL in field value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u0000c\r\n\r\n"),
                    arguments(400, "SOH in field value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: \u0001\r\n\r\n"),
                    arguments(400, "ESC in field value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: \u001b[0m\r\n\r\n"),
                    arguments(400, "DEL in field value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u007f\r\n\r\n"),
                    // Host
                    arguments(400, "HTTP/1.1 without Host", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n"),
                    arguments(400, "HTTP/1.1 absolute form without Host", "GET http://a/ HTTP/1.1\r\n\r\n"),
                    arguments(400, "two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
                    arguments(400, "two identical Host fields", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"),
                    arguments(400, "two Host fields in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"),
                    arguments(400, "space inside Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
                    arguments(400, "slash in Host", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"),
                    arguments(400, "userinfo in Host", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"),
                    arguments(400, "non-ASCII Host", "GET / HTTP/1.1\r\nHost: caf\u00e9\r\n\r\n"),
                    arguments(400, "invalid Host with absolute form", "GET http://a/ HTTP/1.1\r\nHost: a b\r\n\r\n"),
                    // Content-Length and Transfer-Encoding
                    arguments(400, "Transfer-Encoding and Content-Length", "POST / HTTP/1.1\r\nHost: a\r\n"
                            + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"),
                    arguments(400, "Content-Length and Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\n"
                            + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"),
                    arguments(400, "conflicting Content-Length fields", "POST / HTTP/1.1\r\nHost: a\r\n"
                            + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"),
                    arguments(400, "Content-Length list of different values", cl("5, 6")),
                    arguments(400, "Content-Length list with an empty element", cl("5,,5")),
                    arguments(400, "Content-Length with plus sign", cl("+5")),
                    arguments(400, "negative Content-Length", cl("-5")),
                    arguments(400, "hex Content-Length", cl("0x5")),
                    arguments(400, "Content-Length with space inside", cl("1 0")),
                    arguments(400, "Content-Length with decimal point", cl("5.0")),
                    arguments(400, "Content-Length with trailing letters", cl("5abc")),
                    arguments(400, "empty Content-Length", cl("")),
                    arguments(413, "Content-Length overflowing a long", cl("99999999999999999999")),
                    arguments(413, "Content-Length of Long.MAX_VALUE + 1", cl("9223372036854775808")),
                    arguments(400, "Content-Length too large and conflicting", cl("5, 99999999999999999999")),
                    arguments(400, "Transfer-Encoding gzip only", te("gzip")),
                    arguments(400, "Transfer-Encoding identity", te("identity")),
                    arguments(400, "empty Transfer-Encoding", te("")),
                    arguments(400, "chunked not the final coding", te("chunked, gzip")),
                    arguments(400, "chunked twice in one field", te("chunked, chunked")),
                    arguments(400, "chunked in two fields", "POST / HTTP/1.1\r\nHost: a\r\n"
                            + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
                    arguments(400, "chunked with parameters", te("chunked;q=1")),
                    arguments(400, "invalid transfer coding token", te("chu nked")),
                    arguments(501, "unknown coding before chunked", te("gzip, chunked")),
                    arguments(501, "unknown coding deflate before chunked", te("deflate,chunked")),
                    arguments(400, "Transfer-Encoding in HTTP/1.0",
                            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
                    // HTTP version
                    arguments(505, "HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n"),
                    arguments(505, "HTTP/3.0", "GET / HTTP/3.0\r\nHost: a\r\n\r\n"),
                    arguments(505, "HTTP/0.9 spelled out", "GET / HTTP/0.9\r\nHost: a\r\n\r\n"),
                    arguments(400, "HTTP/0.9-style request without version", "GET /\r\n\r\n"),
                    arguments(400, "lower-case protocol name", "GET / http/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "two-digit minor version", "GET / HTTP/1.10\r\nHost: a\r\n\r\n"),
                    arguments(400, "two-digit major version", "GET / HTTP/11.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "version without minor", "GET / HTTP/1\r\nHost: a\r\n\r\n"),
                    arguments(400, "version with letters", "GET / HTTP/a.b\r\nHost: a\r\n\r\n"),
                    arguments(400, "space inside version", "GET / HTTP /1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "trailing space after version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n"),
                    // request line shape
                    arguments(400, "missing target", "GET HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "two spaces after method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "leading space", " GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "tab as separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "missing method", "/ HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "invalid character in method", "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "control character in target", "GET /a\u0001b HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "DEL in target", "GET /a\u007fb HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "space inside target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "tab inside target", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "fragment in path", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "fragment after query", "GET /a?b#c HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "fragment in absolute form", "GET http://a/b#c HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "asterisk form for GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "relative target", "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "query-only target", "GET ?a=b HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(501, "CONNECT in authority form", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
                    arguments(400, "userinfo in absolute form", "GET http://user:pw@a/ HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "empty authority in absolute form", "GET http:///a HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "invalid scheme in absolute form", "GET 1http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "invalid character in authority", "GET http://a<b/ HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "percent sign at the end of the path", "GET /a% HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "one hex digit after percent", "GET /a%4 HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "non-hex after percent", "GET /a%zz/b HTTP/1.1\r\nHost: a\r\n\r\n"),
                    arguments(400, "half-hex after percent", "GET /a%4g HTTP/1.1\r\nHost: a\r\n\r\n"),
                    // Expect
                    arguments(417, "unknown expectation", "GET / HTTP/1.1\r\nHost: a\r\nExpect: gzip\r\n\r\n"),
                    arguments(417, "100-continue with another expectation",
                            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nExpect: 100-continue, foo\r\n\r\n"),
                    arguments(417, "expectation with parameters", "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue;x=1\r\n\r\n"));
        }

        private static String cl(String value) {
            return "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + value + "\r\n\r\n";
        }

        private static String te(String value) {
            return "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " + value + "\r\n\r\n";
        }

        @ParameterizedTest(name = "{0} for {1}")
        @MethodSource("invalid")
        void isRefusedWithTheRightStatus(int status, String description, String request) {
            assertRejected(status, request);
        }

        @Test
        void connectInOriginFormIsNotImplemented() {
            assertRejected(501, "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n");
        }

        @Test
        void unknownCodingSplitOverTwoFieldLinesIsNotImplemented() {
            // RFC 9110 section 5.3: several field lines are one list, here "gzip, chunked"
            assertRejected(501, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n");
        }
    }
}
