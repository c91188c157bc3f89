package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.http.HttpLimits;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.ascii;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.textPlain;

/**
 * A client that pipelines many requests gets {@link HttpLimits#maxPipelinedRequestsPerTurn()} of them
 * served per worker turn, then waits behind other clients' requests: with one worker, another
 * client's request is served within one batch. All pipelined responses still arrive, in order.
 */
class PipelinedRequestsPerTurnTest {

    private static final int PER_TURN = 4;
    private static final int PIPELINED = 40;

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void anotherClientIsServedWithinOneBatchOfAPipeliningClient(WorkerMode mode) throws Exception {
        List<String> served = new CopyOnWriteArrayList<>();
        CountDownLatch firstRunning = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        WsgiApp app = (env, sr) -> {
            served.add(env.pathInfo());
            if (env.pathInfo().equals("/p0")) {
                firstRunning.countDown();
                WsgiTestApps.await(release); // the other client's request queues for the only worker meanwhile
            }
            sr.start("200 OK", textPlain());
            return List.of(ascii(env.pathInfo()));
        };
        HttpLimits limits = HttpLimits.defaults().withMaxPipelinedRequestsPerTurn(PER_TURN);
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode).minThreads(1).maxThreads(1)
                .acceptQueueSize(4).limits(limits));
             RawClient pipelining = server.connect().timeout(10_000);
             RawClient other = server.connect().timeout(10_000)) {
            StringBuilder requests = new StringBuilder();
            for (int i = 0; i < PIPELINED; i++) requests.append(WsgiTestApps.get("/p" + i));
            pipelining.send(requests.toString()); // one write: all of them are buffered at once
            WsgiTestApps.await(firstRunning);
            other.send(WsgiTestApps.get("/other"));
            Poll.until(() -> server.server().statistics().queued(), q -> q == 1, "the other request waiting for the worker");
            release.countDown();

            assertEquals("/other", other.read().bodyText());
            for (int i = 0; i < PIPELINED; i++) {
                assertEquals("/p" + i, pipelining.read().bodyText(), "pipelined responses in order");
            }
            int otherPosition = served.indexOf("/other");
            assertTrue(otherPosition >= 0 && otherPosition <= PER_TURN,
                    "served after at most one batch of " + PER_TURN + ": " + served);
            assertEquals(PIPELINED + 1, served.size());
        }
    }
}
