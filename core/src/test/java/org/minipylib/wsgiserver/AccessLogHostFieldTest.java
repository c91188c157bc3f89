package org.minipylib.wsgiserver;

import org.minipylib.wsgiserver.apps.ForwardedHeadersApp;
import org.minipylib.wsgiserver.apps.TrustedProxies;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * The access log's host field names the client: the peer, or the client a trusted proxy forwarded the
 * request for once middleware ({@link ForwardedHeadersApp}) put it in REMOTE_ADDR, for that request
 * only. It is one word: {@code -} for a client without an address (a UNIX socket client), the peer's
 * identity without spaces with peer credentials, and any space escaped, so that the combined format's
 * fields stay where log parsers look for them.
 */
class AccessLogHostFieldTest {

    private static final String COMBINED_AFTER_HOST =
            " - - \\[\\d{2}/\\w{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2} [+-]\\d{4}] \"GET /x HTTP/1\\.1\" 200 2 \"-\" \"t/1\"";

    @TempDir
    Path dir;

    @Test
    void noAddressIsADashAndSpacesAreEscaped() {
        assertTrue(entry(null).commonFormat().startsWith("- - - ["));
        assertTrue(entry("").commonFormat().startsWith("- - - ["));
        assertTrue(entry("a b\tc").commonFormat().startsWith("a\\x20b\\x09c - - ["), entry("a b\tc").commonFormat());
        assertTrue(entry("192.0.2.1").commonFormat().startsWith("192.0.2.1 - - ["));
    }

    /** A character above U+00FF (a user name's, an application-built entry's) is logged as its UTF-8 bytes, not folded into one byte. */
    @Test
    void charactersAboveLatin1AreEscapedAsTheirUtf8Bytes() {
        AccessLogEntry e = new AccessLogEntry("unix-peer:\u7528:x", Instant.now(), "GET / HTTP/1.1", 200, 0, null, "agent \ud83d\ude00 \u00e9", 0);
        String line = e.combinedFormat();
        assertTrue(line.startsWith("unix-peer:\\xe7\\x94\\xa8:x - - ["), line);
        assertTrue(line.endsWith("\"agent \\xf0\\x9f\\x98\\x80 \\xe9\""), line);
    }

    @Test
    void aUnixSocketClientIsLoggedAsADash() throws Exception {
        Path socket = dir.resolve("log.sock");
        String line = logLineOfOneRequest(socket, ListenOptions.defaults());
        assertTrue(line.matches("-" + COMBINED_AFTER_HOST), line);
    }

    @Test
    void aUnixPeerWithCredentialsIsLoggedAsOneWord() throws Exception {
        Path socket = dir.resolve("peer.sock");
        String line = logLineOfOneRequest(socket, ListenOptions.defaults().withPeerCredentials(true));
        PosixFileAttributes own = Files.readAttributes(Files.createFile(dir.resolve("own")), PosixFileAttributes.class);
        String host = "unix-peer:" + own.owner().getName() + ":" + own.group().getName();
        assertTrue(line.startsWith(host + " - - ["), line);
        assertTrue(line.substring(host.length()).matches(COMBINED_AFTER_HOST), line);
    }

    @Test
    void aTrustedProxysClientIsLoggedInsteadOfThePeerForItsRequestOnly() throws Exception {
        WsgiApp app = new ForwardedHeadersApp(WsgiTestApps.text("200 OK", "ok"), TrustedProxies.parse("127.0.0.1"));
        List<AccessLogEntry> entries = entriesOf(app, 200,
                get("/a", "X-Forwarded-For: 198.51.100.4, 203.0.113.9\r\n"),
                get("/b"), // the same connection, no forwarded client: the peer again
                get("/c", "X-Forwarded-For: 2001:db8::7\r\n"));
        assertEquals(List.of("203.0.113.9", "127.0.0.1", "2001:db8::7"), entries.stream().map(AccessLogEntry::remoteAddress).toList());
        assertTrue(entries.get(0).combinedFormat().startsWith("203.0.113.9 - - ["), entries.get(0).combinedFormat());
        assertTrue(entries.get(2).jsonFormat().contains("\"remote_addr\":\"2001:db8::7\""), entries.get(2).jsonFormat());
    }

    @Test
    void aForwardedClientFromAnUntrustedPeerIsNotLogged() throws Exception {
        WsgiApp app = new ForwardedHeadersApp(WsgiTestApps.text("200 OK", "ok"), TrustedProxies.parse("192.0.2.1"));
        assertEquals("127.0.0.1", entriesOf(app, 200, get("/a", "X-Forwarded-For: 203.0.113.9\r\n")).get(0).remoteAddress());
    }

    /** The application fails behind the middleware: the server's 500 is logged with the forwarded client too. */
    @Test
    void theServersErrorResponseNamesTheForwardedClient() throws Exception {
        WsgiApp failing = (environ, startResponse) -> {
            throw new IllegalStateException("fails on purpose");
        };
        WsgiApp app = new ForwardedHeadersApp(failing, TrustedProxies.parse("127.0.0.1"));
        assertEquals("203.0.113.9", entriesOf(app, 500, get("/a", "X-Forwarded-For: 203.0.113.9\r\n")).get(0).remoteAddress());
    }

    /** An application that reads every variable but replaces none: the peer, as without middleware. */
    @Test
    void anApplicationThatOnlyReadsTheEnvironLeavesThePeer() throws Exception {
        WsgiApp reading = (environ, startResponse) -> {
            startResponse.start("200 OK", WsgiTestApps.textPlain());
            return List.of(WsgiTestApps.ascii(environ.remoteAddr() + " " + environ.size()));
        };
        assertEquals("127.0.0.1", entriesOf(reading, 200, get("/a", "X-Forwarded-For: 203.0.113.9\r\n")).get(0).remoteAddress());
    }

    /** The access log entries of {@code requests}, sent one after another on one connection, each answered {@code status}. */
    private static List<AccessLogEntry> entriesOf(WsgiApp app, int status, String... requests) throws Exception {
        List<AccessLogEntry> entries = new CopyOnWriteArrayList<>();
        try (TestServer server = TestServer.start(app, b -> b.accessLog(entries::add));
             RawClient client = server.connect()) {
            for (String request : requests) {
                client.send(request);
                assertEquals(status, client.read().status());
            }
            Poll.until(entries::size, n -> n == requests.length, "an access log entry for each request");
        }
        return entries;
    }

    private static AccessLogEntry entry(String remoteAddress) {
        return new AccessLogEntry(remoteAddress, Instant.now(), "GET / HTTP/1.1", 200, 0, null, null, 0);
    }

    /** The access log line of one request sent over a UNIX socket. */
    private static String logLineOfOneRequest(Path socket, ListenOptions options) throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        try (WsgiServer server = WsgiServer.builder(WsgiTestApps.text("200 OK", "ok"))
                .bind(UnixDomainSocketAddress.of(socket)).listenOptions(options)
                .accessLog(entry -> lines.add(entry.combinedFormat())).build().start();
             SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            channel.write(ByteBuffer.wrap("GET /x HTTP/1.1\r\nHost: x\r\nUser-Agent: t/1\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII)));
            CompletableFuture<byte[]> response = CompletableFuture.supplyAsync(() -> {
                try {
                    return Channels.newInputStream(channel).readAllBytes();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            String text = new String(response.get(WsgiTestApps.WAIT_SECONDS, TimeUnit.SECONDS), StandardCharsets.ISO_8859_1);
            assertTrue(text.startsWith("HTTP/1.1 200 OK"), text);
            Poll.until(lines::size, n -> n > 0, "the access log line");
        }
        assertEquals(1, lines.size(), lines.toString());
        return lines.get(0);
    }
}
