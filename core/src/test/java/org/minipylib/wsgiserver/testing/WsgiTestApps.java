package org.minipylib.wsgiserver.testing;

import org.minipylib.wsgiserver.ByteBufferBody;
import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WsgiApp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Small applications, bodies and request texts shared by the WSGI contract and connection tests. */
public final class WsgiTestApps {

    /** How long a test waits for something the server should do soon (generous: cores are shared). */
    public static final long WAIT_SECONDS = 10;

    private WsgiTestApps() {
    }

    public static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    public static List<Header> textPlain() {
        return List.of(Header.of("Content-Type", "text/plain"));
    }

    /** Answers {@code status} with {@code body} as a single-element List (so the server computes Content-Length). */
    public static WsgiApp text(String status, String body) {
        return (env, sr) -> {
            sr.start(status, textPlain());
            return List.of(ascii(body));
        };
    }

    /**
     * Counts {@code entered} down, then holds its thread until {@code release} is (at most
     * {@link #WAIT_SECONDS}), then answers {@code done}: a request that keeps a worker busy.
     */
    public static WsgiApp heldUntil(CountDownLatch entered, CountDownLatch release) {
        return (env, sr) -> {
            entered.countDown();
            release.await(WAIT_SECONDS, TimeUnit.SECONDS);
            sr.start("200 OK", textPlain());
            return List.of(ascii("done"));
        };
    }

    /** Answers with its PATH_INFO (with a Content-Length); remembers the thread that served each path. */
    public static WsgiApp pathRecordingThreads(java.util.Map<String, Thread> threads) {
        return (env, sr) -> {
            threads.put(env.pathInfo(), Thread.currentThread());
            byte[] body = env.pathInfo().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            sr.start("200 OK", List.of(Header.of("Content-Length", Integer.toString(body.length))));
            return List.of(body);
        };
    }

    /**
     * Reads the whole request body, then answers {@code METHOD PATH_INFO:body} as a List: lets a test
     * check which request each response belongs to. PATH_INFO starting with {@code /noread} skips the body.
     */
    /**
     * 64 MiB of {@code application/octet-stream} in 64 KiB pieces, chunked: far more than the socket
     * buffers hold, so that a client that does not read leaves the server's write waiting.
     */
    public static WsgiApp large() {
        return (env, sr) -> {
            sr.start("200 OK", List.of(Header.of("Content-Type", "application/octet-stream")));
            byte[] piece = new byte[64 * 1024];
            return () -> new Iterator<>() {
                private int left = 1024;

                @Override public boolean hasNext() {
                    return left > 0;
                }

                @Override public byte[] next() {
                    if (left == 0) throw new NoSuchElementException();
                    left--;
                    return piece;
                }
            };
        };
    }

    public static WsgiApp echo() {
        return (env, sr) -> {
            String body = env.pathInfo().startsWith("/noread") ? "" : new String(env.input().readAllBytes(),
                    StandardCharsets.ISO_8859_1);
            sr.start("200 OK", textPlain());
            return List.of(ascii(env.method() + " " + env.pathInfo() + ":" + body));
        };
    }

    /**
     * Reads a Content-Length body into one direct buffer through {@link Environ#inputChannel()} and
     * sends it back as a {@link ByteBufferBody}: the body's whole way through buffers, no arrays.
     */
    public static WsgiApp directBufferEcho() {
        return (env, sr) -> {
            ByteBuffer buffer = ByteBuffer.allocateDirect((int) env.contentLength());
            ReadableByteChannel in = env.inputChannel();
            while (buffer.hasRemaining()) {
                if (in.read(buffer) < 0) break;
            }
            sr.start("200 OK", List.of(Header.of("Content-Type", "application/octet-stream")));
            return ByteBufferBody.of(buffer.flip());
        };
    }

    /** An application that hands each environ to the test (the body must be read by the app: see {@link #capturing}). */
    public static final class Capture {
        private final BlockingQueue<Environ> environs = new LinkedBlockingQueue<>();
        private final BlockingQueue<String> bodies = new LinkedBlockingQueue<>();

        /** Records the environ (a copy) and the request body it read from wsgi.input; answers 200 "ok". */
        public WsgiApp app() {
            return (env, sr) -> {
                bodies.add(new String(env.input().readAllBytes(), StandardCharsets.ISO_8859_1));
                environs.add(new Environ(env));
                sr.start("200 OK", textPlain());
                return List.of(ascii("ok"));
            };
        }

        public Environ nextEnviron() throws InterruptedException {
            Environ e = environs.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            if (e == null) throw new AssertionError("the application was not called");
            return e;
        }

        public String nextBody() throws InterruptedException {
            String b = bodies.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            if (b == null) throw new AssertionError("the application was not called");
            return b;
        }
    }

    /** A source of body chunks for {@link Streamed}; may block or throw. */
    @FunctionalInterface
    public interface ChunkSource {
        /** The chunk at {@code index}, or {@code null} when the body is over. */
        byte[] chunk(int index) throws Exception;
    }

    /**
     * A streamed body: an {@link Iterable} that is not a Collection (so the server cannot know its length)
     * and is {@link AutoCloseable}, counting its close() calls.
     */
    public static final class Streamed implements Iterable<byte[]>, AutoCloseable {
        private final ChunkSource source;
        private final AtomicInteger closes = new AtomicInteger();
        private final CountDownLatch closed = new CountDownLatch(1);
        private Runnable onClose = () -> { };

        public Streamed(ChunkSource source) {
            this.source = source;
        }

        /** A body of these chunks, in order. */
        public static Streamed of(byte[]... chunks) {
            return new Streamed(i -> i < chunks.length ? chunks[i] : null);
        }

        /** Runs {@code action} inside close() (before counting it). */
        public Streamed onClose(Runnable action) {
            this.onClose = action;
            return this;
        }

        @Override
        public Iterator<byte[]> iterator() {
            return new Iterator<>() {
                private int index;
                private byte[] next;

                @Override
                public boolean hasNext() {
                    if (next == null) {
                        try {
                            next = source.chunk(index);
                        } catch (RuntimeException e) {
                            throw e;
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    return next != null;
                }

                @Override
                public byte[] next() {
                    if (!hasNext()) throw new NoSuchElementException();
                    byte[] b = next;
                    next = null;
                    index++;
                    return b;
                }
            };
        }

        @Override
        public void close() {
            onClose.run();
            closes.incrementAndGet();
            closed.countDown();
        }

        /** Waits (bounded) for the first close(), then returns how many times close() ran. */
        public int awaitCloses() throws InterruptedException {
            if (!closed.await(WAIT_SECONDS, TimeUnit.SECONDS)) return 0;
            return closes.get();
        }

        public int closes() {
            return closes.get();
        }
    }

    /** Waits for {@code latch} (bounded); fails the calling code if it does not open. */
    public static void await(CountDownLatch latch) throws InterruptedException {
        if (!latch.await(WAIT_SECONDS, TimeUnit.SECONDS)) throw new AssertionError("timed out waiting for a latch");
    }

    /**
     * Asserts that {@code response} (just read from {@code client}) has body {@code body}, says
     * {@code Connection: close}, and that the server then closes the connection.
     */
    public static void assertLastResponse(RawClient client, RawClient.Response response, String body) throws IOException {
        if (!body.equals(response.bodyText())) {
            throw new AssertionError("body: expected <" + body + "> but was <" + response.bodyText() + ">");
        }
        if (!"close".equals(response.header("Connection"))) {
            throw new AssertionError("expected Connection: close, got " + response.header("Connection"));
        }
        if (!client.isClosedByServer()) throw new AssertionError("the server did not close the connection");
    }

    /** {@code GET path HTTP/1.1} with a Host header and any extra header lines (each ending in CRLF). */
    public static String get(String path, String... extraHeaders) {
        return request("GET", path, extraHeaders);
    }

    /** A bodiless HTTP/1.1 request with a Host header and any extra header lines. */
    public static String request(String method, String path, String... extraHeaders) {
        return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + String.join("", extraHeaders) + "\r\n";
    }

    /** {@code POST path HTTP/1.1} with a Content-Length body and any extra header lines. */
    public static String post(String path, String body, String... extraHeaders) {
        return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + String.join("", extraHeaders) + "Content-Length: "
                + body.length() + "\r\n\r\n" + body;
    }

    /** {@code POST path HTTP/1.1} with the body sent chunked, one chunk per piece. */
    public static String postChunked(String path, String... pieces) {
        StringBuilder sb = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (String p : pieces) sb.append(Integer.toHexString(p.length())).append("\r\n").append(p).append("\r\n");
        return sb.append("0\r\n\r\n").toString();
    }
}
