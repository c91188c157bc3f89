package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.AccessLog;
import org.minipylib.wsgiserver.AccessLogEntry;
import org.minipylib.wsgiserver.testing.InMemoryTransport;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A connection's access-log entries are written in order, each once its response went out (the
 * output tells when a write takes the transport past its end), or as the turn ends with the body
 * bytes that went out: all of them if the transport took the whole response, else those before the
 * failure.
 */
class PendingLogEntriesTest {

    private final List<AccessLogEntry> logged = new ArrayList<>();
    private final AccessLog log = new AccessLog() {
        @Override public void log(AccessLogEntry entry) { logged.add(entry); }
        @Override public void close() { }
    };

    private static AccessLogEntry entry(String line, long bodyBytes) {
        return new AccessLogEntry("127.0.0.1", Instant.EPOCH, line, 200, bodyBytes, null, "ua", 5, "h");
    }

    private final InMemoryTransport transport = new InMemoryTransport("");
    private final ConnectionOutput output = new ConnectionOutput(transport, 16 * 1024);

    /** Three responses, heads of 100 bytes, bodies of 1000: at 0-1100, 1100-2200, 2200-3300. */
    private PendingLogEntries threeResponses() {
        return threeResponses(log);
    }

    private PendingLogEntries threeResponses(AccessLog log) {
        PendingLogEntries pending = new PendingLogEntries(log, output);
        for (int i = 0; i < 3; i++) pending.add(entry("GET /" + i + " HTTP/1.1", 1000), i * 1100 + 100, (i + 1) * 1100);
        return pending;
    }

    private List<Long> bodyBytesLogged() {
        return logged.stream().map(AccessLogEntry::bodyBytes).toList();
    }

    @Test
    void responsesThatWentOutWholeAreLoggedAsTheyAre() {
        PendingLogEntries pending = threeResponses();
        pending.writeAll(3300);
        assertEquals(List.of(1000L, 1000L, 1000L), bodyBytesLogged());
        assertEquals(List.of("GET /0 HTTP/1.1", "GET /1 HTTP/1.1", "GET /2 HTTP/1.1"),
                logged.stream().map(AccessLogEntry::requestLine).toList());
        assertTrue(pending.isEmpty());
    }

    @Test
    void aResponseCutInItsBodyIsLoggedWithTheBytesBeforeTheCut() {
        threeResponses().writeAll(1100 + 100 + 250);
        assertEquals(List.of(1000L, 250L, 0L), bodyBytesLogged());
        AccessLogEntry cut = logged.get(1);
        assertEquals(entry("GET /1 HTTP/1.1", 250), cut); // every other field kept
    }

    @Test
    void aResponseCutInItsHeadIsLoggedWithNoBodyBytes() {
        threeResponses().writeAll(50);
        assertEquals(List.of(0L, 0L, 0L), bodyBytesLogged());
    }

    @Test
    void entriesAreForgottenOnceWrittenAndTheQueueGrows() {
        PendingLogEntries pending = new PendingLogEntries(log, output);
        for (int i = 0; i < 100; i++) pending.add(entry("GET /" + i + " HTTP/1.1", 10), i * 20L + 10, (i + 1) * 20L);
        pending.writeAll(2000);
        assertEquals(100, logged.size());
        pending.add(entry("GET /again HTTP/1.1", 10), 2010, 2020);
        pending.writeAll(2020);
        assertEquals(101, logged.size());
        assertEquals("GET /again HTTP/1.1", logged.get(100).requestLine());
    }

    @Test
    void entriesWrittenAsTheirResponsesGoOutKeepTheRestForLater() {
        PendingLogEntries pending = threeResponses();
        pending.writeSent(2000); // the first out, the second in part
        assertEquals(List.of("GET /0 HTTP/1.1"), logged.stream().map(AccessLogEntry::requestLine).toList());
        pending.writeSent(2000);
        assertEquals(1, logged.size());
        pending.add(entry("GET /3 HTTP/1.1", 1000), 3400, 4400);
        pending.writeAll(3300 + 300); // the turn ends with the fourth cut in its body
        assertEquals(List.of(1000L, 1000L, 1000L, 200L), bodyBytesLogged());
        assertTrue(pending.isEmpty());
    }

    @Test
    void anEntryIsWrittenByTheWriteThatTakesItsResponseOut() throws Exception {
        PendingLogEntries pending = threeResponses();
        output.write(new byte[1000], 0, 1000);
        output.flush();
        assertEquals(List.of(), logged, "the first response's last 100 bytes are not out yet");
        output.write(new byte[1500], 0, 1500);
        output.flush(); // 2500 out: the first two responses
        assertEquals(List.of("GET /0 HTTP/1.1", "GET /1 HTTP/1.1"), logged.stream().map(AccessLogEntry::requestLine).toList());
        output.write(new byte[40_000], 0, 40_000); // larger than the buffer: written through
        assertEquals(3, logged.size());
        assertTrue(pending.isEmpty());
        output.write(new byte[10], 0, 10);
        output.flush();
        assertEquals(3, logged.size(), "nothing more to tell");
    }

    @Test
    void aFailingLogDoesNotStopTheEntriesAfterIt() {
        AccessLog failsOnce = new AccessLog() {
            boolean failed;
            @Override public void log(AccessLogEntry entry) {
                if (!failed) {
                    failed = true;
                    throw new IllegalStateException("disk full");
                }
                logged.add(entry);
            }
            @Override public void close() { }
        };
        threeResponses(failsOnce).writeAll(3300);
        assertEquals(List.of("GET /1 HTTP/1.1", "GET /2 HTTP/1.1"), logged.stream().map(AccessLogEntry::requestLine).toList());
    }
}
