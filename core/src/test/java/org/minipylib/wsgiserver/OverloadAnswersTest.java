package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minipylib.wsgiserver.apps.HealthApp;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.TlsClients;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.minipylib.wsgiserver.tls.JsseSslAdapter;

import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * What the README promises an operator about overload, over real sockets: the busy {@code 503}
 * carries {@code Retry-After} in both worker modes; {@code acceptQueueSize} requests wait for a
 * worker and the next one is refused; monitoring mounts get in beyond the limit, at most 4 at once;
 * a connection over {@code maxConnections} on a TLS or PROXY protocol listener is closed without a
 * {@code 503} (which could only follow its setup), still warned of.
 */
class OverloadAnswersTest {

    @TempDir
    static Path dir;

    /** One worker, {@code queue} waiting places; {@code /block} holds its worker until {@code release}. */
    private static TestServer oneWorker(WorkerMode mode, int queue, AtomicInteger entered, CountDownLatch release,
                                        java.util.function.UnaryOperator<WsgiServer.Builder> more) throws IOException {
        WsgiApp app = (env, sr) -> {
            if (env.pathInfo().startsWith("/block")) {
                entered.incrementAndGet();
                release.await(20, TimeUnit.SECONDS);
            }
            sr.start("200 OK", WsgiTestApps.textPlain());
            return List.of(env.pathInfo().getBytes(StandardCharsets.US_ASCII));
        };
        return TestServer.start(app, b -> more.apply(b.workerMode(mode).minThreads(1).maxThreads(1).acceptQueueSize(queue)));
    }

    /** Sends {@code /block} on {@code busy} and waits until the application holds the one worker with it. */
    private static void takeTheWorker(RawClient busy, AtomicInteger entered) throws IOException, InterruptedException {
        busy.send(get("/block"));
        Poll.until(entered::get, n -> n == 1, "the worker is taken");
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void theBusy503SaysWhenToRetryInEitherMode(WorkerMode mode) throws Exception {
        AtomicInteger entered = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        try (TestServer server = oneWorker(mode, 0, entered, release, b -> b);
             RawClient busy = server.connect(); RawClient refused = server.connect()) {
            takeTheWorker(busy, entered);
            RawClient.Response r = refused.send(get("/other")).read();
            assertEquals(503, r.status());
            assertEquals("1", r.header("Retry-After"), "RFC 9110 section 10.2.3: the client may retry after a second");
            assertTrue(r.header("Content-Type").startsWith("text/plain"), r.header("Content-Type"));
            release.countDown();
            assertEquals("/block", busy.read().bodyText());
        } finally {
            release.countDown();
        }
    }

    /** {@code acceptQueueSize} 2: with the one worker taken, two more requests wait and are served in turn; a third is refused at once. */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void theAcceptQueueHoldsThatManyRequestsAndRefusesTheNext(WorkerMode mode) throws Exception {
        AtomicInteger entered = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        try (TestServer server = oneWorker(mode, 2, entered, release, b -> b);
             RawClient busy = server.connect(); RawClient q1 = server.connect(); RawClient q2 = server.connect();
             RawClient refused = server.connect()) {
            takeTheWorker(busy, entered);
            q1.send(get("/q1"));
            q2.send(get("/q2"));
            Poll.until(() -> server.server().statistics().queued(), n -> n == 2, "two requests queued");
            RawClient.Response r = refused.send(get("/refused")).read();
            assertEquals(503, r.status(), "the queue is full");
            release.countDown();
            assertEquals("/block", busy.read().bodyText());
            assertEquals("/q1", q1.read().bodyText(), "a queued request is served once a worker is free");
            assertEquals("/q2", q2.read().bodyText());
        } finally {
            release.countDown();
        }
    }

    /**
     * Monitoring mounts get in beyond a full server, "up to 4 at once": four held monitoring requests
     * run while the one worker is busy and the queue is full, a fifth gets the busy 503.
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void monitoringGetsInBeyondTheLimitAtMostFourAtOnce(WorkerMode mode) throws Exception {
        AtomicInteger entered = new AtomicInteger();
        AtomicInteger monitoring = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        WsgiApp heldProbe = (env, sr) -> {
            monitoring.incrementAndGet();
            release.await(20, TimeUnit.SECONDS);
            sr.start("200 OK", WsgiTestApps.textPlain());
            return List.of("probe".getBytes(StandardCharsets.US_ASCII));
        };
        List<RawClient> probes = new ArrayList<>();
        try (TestServer server = oneWorker(mode, 0, entered, release, b -> b.mount("/health", status -> heldProbe));
             RawClient busy = server.connect()) {
            takeTheWorker(busy, entered);
            for (int i = 0; i < 4; i++) {
                RawClient probe = server.connect();
                probes.add(probe);
                probe.send(get("/health/livez"));
            }
            Poll.until(monitoring::get, n -> n == 4, "four monitoring requests running beyond the limit");
            try (RawClient fifth = server.connect()) {
                assertEquals(503, fifth.send(get("/health/livez")).read().status(), "a fifth is not let in");
            }
            assertEquals(4, monitoring.get());
            release.countDown();
            for (RawClient probe : probes) assertEquals("probe", probe.read().bodyText());
            assertEquals("/block", busy.read().bodyText());
        } finally {
            release.countDown();
            for (RawClient probe : probes) probe.close();
        }
    }

    /**
     * Over TLS a connection over the limit is closed before its handshake, without a 503 (it could only
     * be sent after one); the refusal is warned of, and the connection counted as accepted.
     */
    @Test
    void overTheConnectionLimitATlsConnectionIsClosedWithoutAnAnswer() throws Exception {
        TestCertificates.LocalhostTls tls = TestCertificates.localhostTls(dir, "limit-ca");
        JsseSslAdapter adapter = new JsseSslAdapter(tls.server());
        try (LogCapture log = LogCapture.from(Level.WARNING);
             TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "hi"),
                     b -> b.sslAdapter(adapter).maxConnections(1));
             SSLSocket kept = TlsClients.connect(tls.client(), server.port(), "localhost")) {
            kept.getOutputStream().write(get("/").getBytes(StandardCharsets.US_ASCII));
            assertTrue(new RawClient(kept).read().status() == 200);
            int answer;
            try (SSLSocket refused = TlsClients.connect(tls.client(), server.port(), "localhost")) {
                answer = readOrEnd(refused.getInputStream()); // only if the JDK reports the close on reading
            } catch (IOException handshakeCutShort) {
                answer = -1;
            }
            assertEquals(-1, answer, "no answer over the limit");
            Poll.until(() -> log.startingWith("Connection limit (1) reached"), l -> !l.isEmpty(), "the refusal warned of");
            ServerStats stats = server.server().statistics();
            assertEquals(2, stats.accepts());
            assertFalse(stats.responsesByStatus().containsKey(503), "no 503 was sent, none is counted");
        }
    }

    /** Behind the PROXY protocol the same: the header was not read yet, so no 503, the connection closed. */
    @Test
    void overTheConnectionLimitAProxiedConnectionIsClosedWithoutAnAnswer() throws Exception {
        try (TestServer server = TestServer.start(WsgiTestApps.text("200 OK", "hi"),
                     b -> b.listenOptions(ListenOptions.defaults().withProxyProtocol(true)).maxConnections(1));
             RawClient kept = server.connect()) {
            String request = "PROXY TCP4 203.0.113.7 198.51.100.1 40000 80\r\n" + get("/");
            assertEquals(200, kept.send(request).read().status());
            try (RawClient refused = server.connect()) {
                refused.send(request);
                refused.timeout(10_000);
                assertEquals(-1, readOrEnd(refused.input()), "closed without a 503");
            }
            assertEquals(200, kept.send(get("/")).read().status(), "the kept connection goes on");
        }
    }

    /** The first byte read, or -1 at the end of the stream or a reset (either way: nothing was answered). */
    private static int readOrEnd(InputStream in) {
        try {
            return in.read();
        } catch (IOException reset) {
            return -1;
        }
    }

    /**
     * A keep-alive client sending its next request as soon as it has the answer to the last one is
     * never refused for the worker that request is still giving back (with one worker and no queue,
     * 1 in 14 such requests got the busy 503 in pool mode).
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aClientsNextRequestIsNeverRefusedForItsOwnFinishingOne(WorkerMode mode) throws Exception {
        try (TestServer server = oneWorker(mode, 0, new AtomicInteger(), new CountDownLatch(0), b -> b);
             RawClient client = server.connect()) {
            for (int i = 0; i < 300; i++) {
                RawClient.Response r = client.send(get("/n" + i)).read();
                assertEquals(200, r.status(), "request " + i + ": " + r.bodyText());
            }
            assertEquals(0, server.server().statistics().busyRefusals());
        }
    }

    /**
     * Sequential requests alternating over two keep-alive connections, each sent as soon as the
     * answer to the one before it (on the other connection) has arrived whole, are never refused
     * busy for that one's worker: its request stopped counting when its response was complete,
     * before the write of it (with one worker and no queue, 5 to 35 of 400 got the busy 503 before,
     * in both modes). The window left for a response too large to be buffered is README's.
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aRequestOnAnotherConnectionIsNeverRefusedForAWorkerWhoseResponseIsComplete(WorkerMode mode) throws Exception {
        try (TestServer server = oneWorker(mode, 0, new AtomicInteger(), new CountDownLatch(0), b -> b)) {
            RawClient[] clients = {server.connect(), server.connect()};
            List<Integer> refused = new ArrayList<>();
            try {
                for (int i = 0; i < 400; i++) {
                    RawClient.Response r = clients[i % 2].send(get("/n" + i)).read();
                    if (r.status() == 503) { // it closed the connection: go on with a new one
                        refused.add(i);
                        clients[i % 2].close();
                        clients[i % 2] = server.connect();
                    } else {
                        assertEquals("/n" + i, r.bodyText());
                    }
                }
            } finally {
                for (RawClient c : clients) c.close();
            }
            assertEquals(List.of(), refused, "requests refused busy");
            assertEquals(0, server.server().statistics().busyRefusals());
        }
    }
}
