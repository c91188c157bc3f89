package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minipylib.wsgiserver.ServerStats;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.testing.InMemoryTransport;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The input buffers of all connections grow for long request heads only within the server's head
 * memory ({@link HttpLimits#maxHeadMemory()}): clients holding long heads unfinished cannot fill
 * the heap; one that needs more while the others hold it all gets a 503 (with Retry-After) and
 * is closed, short requests go on being served, and what a connection held comes back when it
 * closes or its head is served.
 */
@Timeout(30)
class LongHeadsMemoryBudgetTest {

    /** Room for two heads of about 20 KB beyond the first 2 KiB buffer each (grown to 32 KiB: 30 KiB each). */
    private static final long BUDGET = 64 * 1024;

    private static String unfinishedHead(int size) {
        StringBuilder head = new StringBuilder("GET /long HTTP/1.1\r\nHost: a\r\n");
        while (head.length() < size) head.append("X-Pad: ").append("a".repeat(1000)).append("\r\n");
        return head.toString();
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aLongHeadBeyondTheBudgetIsA503AndShortRequestsAreServed(WorkerMode mode) throws Exception {
        try (LogCapture log = LogCapture.from(java.util.logging.Level.WARNING);
             TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "ok"),
                     b -> b.workerMode(mode).limits(HttpLimits.defaults().withMaxHeadMemory(BUDGET)));
             RawClient first = server.connect(); RawClient second = server.connect(); RawClient third = server.connect()) {
            String head = unfinishedHead(20_000);
            first.send(head);
            second.send(head);
            // both read, so both buffers grown to 32 KiB (a buffer grows before it reads more than it holds)
            Poll.until(() -> server.server().statistics().bytesRead(), n -> n >= 2L * head.length(), "both heads read");

            third.send(head);
            RawClient.Response refused = third.read();
            assertEquals(503, refused.status());
            assertEquals("1", refused.header("Retry-After"));
            assertTrue(third.isClosedByServer());
            third.close();

            try (RawClient shortOne = server.connect()) { // a head in the first buffer needs none of it
                assertEquals(200, shortOne.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().status());
            }
            first.send("\r\n"); // its head ends: served, and its buffer's share comes back at its idle wait
            assertEquals(200, first.read().status());
            second.close(); // closed with its head unfinished: its share comes back too
            Poll.until(() -> server.server().statistics().openConnections(), n -> n == 1, "only the first connection open");
            try (RawClient fourth = server.connect(); RawClient fifth = server.connect()) {
                fourth.send(head + "\r\n");
                fifth.send(head + "\r\n");
                assertEquals(200, fourth.read().status());
                assertEquals(200, fifth.read().status());
            }
            ServerStats stats = server.server().statistics();
            assertEquals(1, stats.responses(503, 504));
            assertTrue(log.messages().stream().anyMatch(m -> m.contains("memory for long request heads")), log.messages().toString());
        }
    }

    /**
     * A request whose head was long gives the buffer's share back once the head is parsed: a long
     * poll or a stream that runs for minutes does not keep other clients' long heads out.
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aLongRunningRequestDoesNotKeepItsHeadsShare(WorkerMode mode) throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        WsgiApp app = (env, sr) -> {
            if (env.pathInfo().equals("/hold")) {
                entered.countDown();
                release.await(20, TimeUnit.SECONDS);
            }
            sr.start("200 OK", WsgiTestApps.textPlain());
            return List.of("ok".getBytes(StandardCharsets.US_ASCII));
        };
        try (TestServer server = TestServer.start(app,
                b -> b.workerMode(mode).limits(HttpLimits.defaults().withMaxHeadMemory(BUDGET)));
             RawClient held = server.connect(); RawClient second = server.connect(); RawClient third = server.connect()) {
            String head = unfinishedHead(20_000);
            held.send(head.replace("GET /long", "GET /hold") + "\r\n");
            assertTrue(entered.await(10, TimeUnit.SECONDS));
            second.send(head); // two more long heads at once: room for both only if the held one gave its share back
            third.send(head);
            Poll.until(() -> server.server().statistics().bytesRead(), n -> n >= 3L * head.length(), "all three heads read");
            second.send("\r\n");
            third.send("\r\n");
            assertEquals(200, second.read().status());
            assertEquals(200, third.read().status());
            release.countDown();
            assertEquals(200, held.read().status());
        } finally {
            release.countDown();
        }
    }

    @Test
    void aConnectionGivesBackWhatItsBufferHeldWhenItClosesOrItsHeadIsServed() throws IOException {
        HeadMemoryBudget budget = new HeadMemoryBudget(BUDGET);
        String head = unfinishedHead(20_000) + "\r\n";
        InMemoryTransport transport = new InMemoryTransport(head.getBytes(StandardCharsets.US_ASCII), 4096);
        ConnectionInput input = new ConnectionInput(transport, new ConnectionOutput(transport, 64), null, 2048, 40_000, budget);
        while (input.available() < head.length()) assertTrue(input.fill(0) > 0);
        assertEquals(BUDGET - (32 * 1024 - 2048), budget.available(), "grown from 2 KiB to 32 KiB");
        input.skip(input.available()); // the head was served
        input.returnBudget();
        assertEquals(BUDGET, budget.available());
        input.returnBudget(); // a second close gives nothing twice
        assertEquals(BUDGET, budget.available());
    }

    @Test
    void aBufferThatCannotGrowWithinTheBudgetRefusesWith503() throws IOException {
        HeadMemoryBudget budget = new HeadMemoryBudget(4096); // 2 -> 4 KiB fits, 4 -> 8 KiB does not
        String head = unfinishedHead(6000);
        InMemoryTransport transport = new InMemoryTransport(head.getBytes(StandardCharsets.US_ASCII), 4096);
        ConnectionInput input = new ConnectionInput(transport, new ConnectionOutput(transport, 64), null, 2048, 40_000, budget);
        List<Integer> reads = new ArrayList<>();
        BadRequestException refused = assertThrows(BadRequestException.class, () -> {
            while (true) reads.add(input.fill(0));
        });
        assertEquals(503, refused.status());
        assertEquals(4096, input.available(), "the buffer grew as far as the budget let it");
        assertEquals(2048, budget.available());
        input.returnBudget();
        assertEquals(4096, budget.available());
    }
}
