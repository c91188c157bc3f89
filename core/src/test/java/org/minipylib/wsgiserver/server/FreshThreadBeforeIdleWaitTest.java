package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.http.HttpConnection;
import org.minipylib.wsgiserver.http.HttpLimits;
import org.minipylib.wsgiserver.http.HttpSettings;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.RecordedThreads;
import org.minipylib.wsgiserver.testing.TestGateways;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.UnixClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A virtual-mode connection that waits for its next request in the JDK's poller (no readiness
 * loops: below JDK 24, or {@code readinessLoops(0)}) leaves that wait to a fresh thread, once per
 * response it is idle after, and never while its next request is buffered already; and such a
 * server answers keep-alive and pipelined requests in order.
 */
class FreshThreadBeforeIdleWaitTest {

    /** One connection waiting in the JDK's poller, served by a scheduler that records its threads. */
    private static final class Served implements AutoCloseable {
        final RecordedThreads started = new RecordedThreads();
        final ConnectionRegistry registry = new ConnectionRegistry(1);
        final VirtualThreadScheduler scheduler = new VirtualThreadScheduler(4, 0, Duration.ofSeconds(5), started, true);
        final ServerSocketChannel listener;
        final RawClient client;

        Served() throws IOException {
            listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            client = new RawClient("127.0.0.1", ((InetSocketAddress) listener.getLocalAddress()).getPort()).timeout(5000);
            // two pipelined requests a turn: a third waits buffered while the thread takes its turn again
            HttpSettings settings = new HttpSettings(HttpLimits.defaults().withMaxPipelinedRequestsPerTurn(2),
                    HttpTimeouts.defaults(), null, null);
            HttpConnection connection = new HttpConnection(SocketTransport.blocking(listener.accept()), List.of(),
                    TestGateways.servedPath(), settings, registry);
            registry.add(connection);
            scheduler.start(connection);
        }

        void assertServed(String path) throws IOException {
            RawClient.Response response = client.read();
            assertEquals(200, response.status());
            assertEquals("served " + path, response.bodyText());
        }

        @Override
        public void close() throws IOException {
            client.close();
            scheduler.shutdown();
            listener.close();
        }
    }

    @Test
    void eachKeepAliveResponseLeavesTheNextWaitToAFreshThread() throws Exception {
        try (Served served = new Served()) {
            for (int i = 1; i <= 5; i++) {
                served.client.send("GET /r" + i + " HTTP/1.1\r\nHost: x\r\n\r\n");
                served.assertServed("/r" + i);
                int expected = i + 1;
                Poll.until(() -> served.started.threads().size(), n -> n == expected, "a fresh thread after response " + i);
            }
            List<Thread> threads = served.started.threads();
            for (Thread t : threads.subList(0, threads.size() - 1)) {
                assertTrue(t.join(Duration.ofSeconds(5)), "each thread ends once it started the next");
            }
            assertTrue(threads.getLast().isAlive(), "the last one waits for the next request");
        }
    }

    /** Three pipelined, two served a turn: between the turns the third is buffered, and the same thread goes on. */
    @Test
    void pipelinedRequestsGoOnOnTheSameThreadUntilTheLastIsAnswered() throws Exception {
        try (Served served = new Served()) {
            served.client.send("GET /p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /p2 HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /p3 HTTP/1.1\r\nHost: x\r\n\r\n");
            for (int i = 1; i <= 3; i++) served.assertServed("/p" + i);
            Poll.until(() -> served.started.threads().size(), n -> n == 2, "a fresh thread once the third is answered");
            served.client.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
            served.assertServed("/after");
            Poll.until(() -> served.started.threads().size(), n -> n == 3, "one more after the next request's response");
        }
    }

    /** A UNIX socket connection waiting on a loop (as below JDK 24) hands its wait off there, without a fresh thread. */
    @Test
    void aConnectionOnAReadinessLoopGetsNoFreshThread(@TempDir Path dir) throws Exception {
        RecordedThreads started = new RecordedThreads();
        VirtualThreadScheduler scheduler = new VirtualThreadScheduler(4, 0, Duration.ofSeconds(5), started, true);
        Path socket = dir.resolve("loop.sock");
        try (ReadinessLoop loop = ReadinessLoop.oneShotOnPlatformThread("test-unix-wait");
             ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)
                     .bind(UnixDomainSocketAddress.of(socket));
             UnixClient client = UnixClient.connect(socket)) {
            HttpConnection connection = new HttpConnection(new UnixSocketTransport(listener.accept(), false, null, loop),
                    List.of(), TestGateways.servedPath(), new HttpSettings(HttpLimits.defaults(),
                    HttpTimeouts.defaults(), null, null), new ConnectionRegistry(1));
            scheduler.start(connection);
            for (int i = 1; i <= 3; i++) {
                client.send("GET /u" + i + " HTTP/1.1\r\nHost: x\r\n\r\n");
                assertEquals("served /u" + i, client.read().body());
                Thread last = started.threads().getLast();
                Poll.until(last::getState, st -> st == Thread.State.TERMINATED, "the thread gone: the wait is the loop's");
            }
            assertEquals(3, started.threads().size(), "a thread per request, queued by the loop: none started for a wait");
        } finally {
            scheduler.shutdown();
        }
    }

    @Test
    void aServerWithoutReadinessLoopsAnswersKeepAliveAndPipelinedRequestsInOrder() throws Exception {
        WsgiApp echoPath = (env, sr) -> {
            sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of(env.pathInfo().getBytes(StandardCharsets.ISO_8859_1));
        };
        try (TestServer server = TestServer.start(echoPath, b -> b.workerMode(WorkerMode.VIRTUAL).readinessLoops(0))) {
            ExecutorService clients = Executors.newFixedThreadPool(16);
            try {
                List<Future<Integer>> answered = new ArrayList<>();
                for (int c = 0; c < 16; c++) {
                    int conn = c;
                    answered.add(clients.submit(() -> {
                        int n = 0;
                        try (RawClient client = server.connect().timeout(10_000)) {
                            for (int i = 0; i < 30; i++) {
                                String path = "/c" + conn + "/" + i;
                                if (i % 10 == 9) { // three pipelined in one write
                                    client.send("GET " + path + "a HTTP/1.1\r\nHost: t\r\n\r\nGET " + path
                                            + "b HTTP/1.1\r\nHost: t\r\n\r\nGET " + path + "c HTTP/1.1\r\nHost: t\r\n\r\n");
                                    for (String suffix : List.of("a", "b", "c")) {
                                        assertEquals(path + suffix, client.read().bodyText());
                                        n++;
                                    }
                                } else {
                                    client.send("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n");
                                    assertEquals(path, client.read().bodyText());
                                    n++;
                                }
                            }
                        }
                        return n;
                    }));
                }
                int total = 0;
                for (Future<Integer> f : answered) total += f.get(60, TimeUnit.SECONDS);
                assertEquals(16 * (27 + 9), total);
            } finally {
                clients.shutdownNow();
            }
        }
    }
}
