package org.minipylib.wsgiserver.wsgi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.minipylib.wsgiserver.testing.WsgiTestApps.ChunkSource;
import org.minipylib.wsgiserver.testing.WsgiTestApps.Streamed;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.ascii;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.await;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.textPlain;

/** An AutoCloseable body is closed exactly once, whatever ends the response. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BodyCloseTest {

    /** Serves one Streamed body made of {@code source}; hands it to the test through {@code body}. */
    private static WsgiApp serving(AtomicReference<Streamed> body, ChunkSource source) {
        return (env, sr) -> {
            sr.start("200 OK", textPlain());
            Streamed s = new Streamed(source);
            body.set(s);
            return s;
        };
    }

    @Test
    void closedOnceAfterANormalEnd() throws Exception {
        AtomicReference<Streamed> body = new AtomicReference<>();
        byte[][] chunks = {ascii("a"), ascii("b"), ascii("c")};
        try (TestServer server = TestServer.start(serving(body, i -> i < 3 ? chunks[i] : null));
             RawClient client = server.connect()) {
            RawClient.Response r = client.send(get("/")).read();
            assertEquals("abc", r.bodyText());
            assertEquals(1, body.get().awaitCloses());
            assertEquals(200, client.send(get("/")).read().status(), "the connection stays usable");
        }
    }

    /** A list body whose close() fails after it was all produced: the response is whole and goes out. */
    @Test
    void aCloseThatFailsAfterTheWholeBodyStillSendsTheResponse() throws Exception {
        final class FailingClose extends java.util.ArrayList<byte[]> implements AutoCloseable {
            FailingClose() {
                add(ascii("whole"));
            }

            @Override
            public void close() {
                throw new IllegalStateException("close fails (test)");
            }
        }
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", textPlain());
            return new FailingClose();
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            RawClient.Response r = client.send(get("/")).read();
            assertEquals(200, r.status());
            assertEquals("whole", r.bodyText());
            assertEquals(200, client.send(get("/")).read().status(), "the connection stays usable");
        }
    }

    /**
     * Work an application does in its body's close() (werkzeug's call_on_close, a metrics
     * middleware) does not hold the response: the client has all of it, a list body's and a streamed
     * body's last chunk alike, while close() still runs (as with wsgiref and gunicorn).
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void theClientHasTheWholeResponseBeforeCloseReturns(WorkerMode mode) throws Exception {
        Semaphore responseRead = new Semaphore(0); // a permit per response the client has read
        Runnable slowClose = () -> {
            try {
                responseRead.tryAcquire(WsgiTestApps.WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        final class SlowClose extends java.util.ArrayList<byte[]> implements AutoCloseable {
            SlowClose() {
                add(ascii("whole"));
            }

            @Override
            public void close() {
                slowClose.run();
            }
        }
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", textPlain());
            if (env.pathInfo().equals("/list")) return new SlowClose();
            return new Streamed(i -> i == 0 ? ascii("whole") : null).onClose(slowClose);
        };
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode)); RawClient client = server.connect()) {
            client.timeout(5_000); // close() waits for twice that: the read must not need it to end
            for (String path : new String[] {"/list", "/streamed"}) {
                RawClient.Response r = client.send(get(path)).read();
                assertEquals("whole", r.bodyText(), path);
                responseRead.release();
            }
        } finally {
            responseRead.release(2);
        }
    }

    /**
     * An Error from close() after a whole response that waits to share a write with a pipelined one
     * (held, and written by the watchdog after the batching window): that response goes out whole,
     * and the connection closes after it, rather than a 500 written over bytes held or sent already.
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void anErrorFromCloseAfterAPipelinedResponseLeavesItWholeAndClosesTheConnection(WorkerMode mode) throws Exception {
        final class FailingClose extends java.util.ArrayList<byte[]> implements AutoCloseable {
            private final long delayMillis;

            FailingClose(long delayMillis) {
                this.delayMillis = delayMillis;
                add(ascii("whole"));
            }

            @Override
            public void close() throws InterruptedException {
                Thread.sleep(delayMillis); // 0: before the watchdog writes the held response; 300: after
                throw new AssertionError("close fails with an Error (expected by the test)");
            }
        }
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", textPlain());
            return env.pathInfo().equals("/fails") ? new FailingClose(Long.parseLong(env.queryString())) : java.util.List.of(ascii("next"));
        };
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode))) {
            for (String delay : new String[] {"0", "300"}) {
                try (RawClient client = server.connect()) {
                    client.timeout(5_000);
                    client.send(get("/fails?" + delay) + get("/next"));
                    RawClient.Response r = client.read();
                    assertEquals(200, r.status(), delay);
                    assertEquals("whole", r.bodyText(), delay);
                    assertEquals(true, client.isClosedByServer(), "closed after it, /next not answered (" + delay + " ms)");
                }
            }
        }
    }

    @Test
    void closedOnceWhenIterationFailsBeforeAnyByteWasSent() throws Exception {
        AtomicReference<Streamed> body = new AtomicReference<>();
        ChunkSource failing = i -> {
            throw new IllegalStateException("database error");
        };
        try (TestServer server = TestServer.start(serving(body, failing)); RawClient client = server.connect()) {
            assertEquals(500, client.send(get("/")).read().status());
            assertEquals(1, body.get().awaitCloses());
        }
    }

    @Test
    void closedOnceWhenIterationFailsMidStream() throws Exception {
        AtomicReference<Streamed> body = new AtomicReference<>();
        ChunkSource failing = i -> {
            if (i == 0) return ascii("partial");
            throw new IllegalStateException("database error");
        };
        try (TestServer server = TestServer.start(serving(body, failing)); RawClient client = server.connect()) {
            assertThrows(IOException.class, () -> client.send(get("/")).read(), "the chunked body is cut short");
            assertEquals(1, body.get().awaitCloses());
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void closedOnceWhenTheClientDisconnectsMidStream(WorkerMode mode) throws Exception {
        AtomicReference<Streamed> body = new AtomicReference<>();
        CountDownLatch streaming = new CountDownLatch(1);
        byte[] piece = new byte[16 * 1024];
        ChunkSource endless = i -> {
            if (i == 2) streaming.countDown();
            return piece;
        };
        try (TestServer server = TestServer.start(serving(body, endless), b -> b.workerMode(mode))) {
            try (RawClient client = server.connect()) {
                client.send(get("/"));
                assertEquals("HTTP/1.1 200 OK", client.readLine());
                await(streaming);
                client.socket().setSoLinger(true, 0); // reset: the server's next writes fail
            }
            assertEquals(1, body.get().awaitCloses(), "close() must run once the server notices the client is gone");
            Thread.sleep(200);
            assertEquals(1, body.get().closes(), "and only once");
        }
    }
}
