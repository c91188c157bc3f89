package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Connections that have a request at the same moment are all served even when every request
 * blocks: in virtual-thread mode one thread may serve several ready connections in turn, and
 * must never leave the rest queued behind a request that blocks.
 */
class BlockingRequestsDoNotHoldUpOthersTest {

    private static final int CONNECTIONS = 40;

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void everyRequestWaitsForAllTheOthersAndAllAreAnswered(WorkerMode mode) throws Exception {
        CyclicBarrier allInside = new CyclicBarrier(CONNECTIONS);
        WsgiApp meet = (env, sr) -> {
            String outcome;
            try {
                allInside.await(10, TimeUnit.SECONDS); // trips only once every connection's request is being served
                outcome = "met";
            } catch (BrokenBarrierException | TimeoutException e) {
                outcome = "alone";
            }
            sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of(outcome.getBytes(StandardCharsets.US_ASCII));
        };
        try (TestServer server = TestServer.start(meet, b -> b.workerMode(mode).maxThreads(2 * CONNECTIONS))) {
            List<RawClient> clients = new ArrayList<>();
            ExecutorService senders = Executors.newFixedThreadPool(CONNECTIONS);
            try {
                for (int i = 0; i < CONNECTIONS; i++) clients.add(server.connect().timeout(20_000));
                // Three rounds on the same keep-alive connections: from the second on, each request
                // arrives on a connection that waited idle (in virtual mode, without a thread).
                for (int round = 0; round < 3; round++) {
                    CountDownLatch go = new CountDownLatch(1);
                    List<Future<String>> answers = new ArrayList<>();
                    for (RawClient client : clients) {
                        answers.add(senders.submit(() -> {
                            go.await();
                            client.send("GET /meet HTTP/1.1\r\nHost: t\r\n\r\n");
                            RawClient.Response r = client.read();
                            return r.status() + " " + r.bodyText();
                        }));
                    }
                    go.countDown();
                    for (Future<String> answer : answers) {
                        assertEquals("200 met", answer.get(30, TimeUnit.SECONDS), "round " + round);
                    }
                }
            } finally {
                senders.shutdownNow();
                for (RawClient client : clients) client.close();
            }
        }
    }

    @Test
    void anInterruptLeftByAnApplicationDoesNotReachTheNextRequests() throws Exception {
        WsgiApp app = (env, sr) -> {
            String body;
            if (env.pathInfo().equals("/interrupt")) {
                Thread.currentThread().interrupt(); // left set, as a careless application might
                body = "left interrupted";
            } else {
                try {
                    Thread.sleep(5);
                    body = "slept";
                } catch (InterruptedException e) {
                    body = "interrupted";
                }
            }
            sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
            return List.of(body.getBytes(StandardCharsets.US_ASCII));
        };
        try (TestServer server = TestServer.start(app)) {
            ExecutorService clients = Executors.newFixedThreadPool(16);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int c = 0; c < 16; c++) {
                    done.add(clients.submit(() -> {
                        try (RawClient client = server.connect().timeout(20_000)) {
                            for (int i = 0; i < 10; i++) {
                                client.send("GET /interrupt HTTP/1.1\r\nHost: t\r\n\r\n");
                                assertEquals("left interrupted", client.read().bodyText());
                                client.send("GET /sleep HTTP/1.1\r\nHost: t\r\n\r\n");
                                assertEquals("slept", client.read().bodyText());
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) f.get(60, TimeUnit.SECONDS);
            } finally {
                clients.shutdownNow();
            }
        }
    }
}
