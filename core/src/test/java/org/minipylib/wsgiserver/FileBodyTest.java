package org.minipylib.wsgiserver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestCertificates;
import org.minipylib.wsgiserver.testing.TestServer;
import org.minipylib.wsgiserver.testing.TimeoutWindow;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.minipylib.wsgiserver.tls.JsseSslAdapter;

/**
 * A {@link FileBody} (and {@code wsgi.file_wrapper}) reaches the client byte for byte with its
 * length, in both worker modes, on a plain socket (where the operating system sends the file) and
 * over TLS (where the server reads it), on a connection's first request (blocking writes) and on
 * later ones (which wait on the readiness loop); ranges, HEAD, a shorter Content-Length, a file that
 * shrank, a client that stops reading for a while or for good; the file is closed after each.
 */
@Timeout(120)
class FileBodyTest {

    private static final int LARGE = 6 << 20; // more than loopback's socket buffers hold

    @TempDir
    static Path dir;
    private static TestCertificates.LocalhostTls tls;
    private static Path large;
    private static byte[] largeBytes;

    @BeforeAll
    static void setUp() throws Exception {
        tls = TestCertificates.localhostTls(dir, "file-body-ca");
        largeBytes = new byte[LARGE];
        new Random(20261205).nextBytes(largeBytes);
        large = Files.write(dir.resolve("large.bin"), largeBytes);
    }

    /** Serves the file named by the path (under {@link #dir}) as a FileBody; remembers each body to check it is closed. */
    private static WsgiApp fileApp(Queue<FileBody> served) {
        return (env, sr) -> {
            FileBody body = FileBody.of(dir.resolve(env.pathInfo().substring(1)));
            served.add(body);
            sr.start("200 OK", List.of(Header.of("Content-Type", "application/octet-stream")));
            return body;
        };
    }

    static Stream<Arguments> modesAndSizes() {
        List<Arguments> cases = new ArrayList<>();
        for (WorkerMode mode : WorkerMode.values()) {
            for (boolean overTls : new boolean[] {false, true}) {
                // empty; fits in the output buffer with the head; one byte more than the buffer; many MiB
                for (int size : new int[] {0, 1000, 16 * 1024 + 1, LARGE}) cases.add(Arguments.of(mode, overTls, size));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} tls={1} {2} bytes")
    @MethodSource("modesAndSizes")
    void aFileArrivesWholeWithItsLengthOnEveryRequestOfAConnection(WorkerMode mode, boolean overTls, int size) throws Exception {
        byte[] content = Arrays.copyOf(largeBytes, size);
        Files.write(dir.resolve("f" + size), content);
        Queue<FileBody> served = new ConcurrentLinkedQueue<>();
        JsseSslAdapter adapter = overTls ? new JsseSslAdapter(tls.server()) : null;
        try (TestServer server = TestServer.start(fileApp(served), b -> b.workerMode(mode).sslAdapter(adapter));
             RawClient client = new RawClient(connect(server.port(), overTls ? tls.client() : null))) {
            client.timeout(30_000);
            for (int i = 1; i <= 3; i++) {
                client.send(WsgiTestApps.get("/f" + size));
                RawClient.Response response = client.read();
                assertEquals(200, response.status());
                assertEquals(Integer.toString(size), response.header("Content-Length"), "request " + i);
                assertArrayEquals(content, response.body(), "request " + i);
            }
            assertEquals(3, served.size());
            for (FileBody body : served) Poll.until(body.channel()::isOpen, open -> !open, "the file closed after its response");
        }
    }

    @ParameterizedTest(name = "{0} tls={1}")
    @MethodSource("modesAndTls")
    void aClientThatStopsReadingForAWhileGetsAllOfIt(WorkerMode mode, boolean overTls) throws Exception {
        // The socket fills while the client sleeps: a transfer must wait for it (on a virtual thread's
        // first request, the JDK's transfer returns at a full socket instead of waiting).
        JsseSslAdapter adapter = overTls ? new JsseSslAdapter(tls.server()) : null;
        try (TestServer server = TestServer.start(fileApp(new ConcurrentLinkedQueue<>()), b -> b.workerMode(mode).sslAdapter(adapter));
             RawClient client = new RawClient(connect(server.port(), overTls ? tls.client() : null))) {
            client.timeout(30_000);
            for (int i = 1; i <= 2; i++) {
                client.send(WsgiTestApps.get("/large.bin"));
                Thread.sleep(300);
                RawClient.Response response = client.read();
                assertEquals(Integer.toString(LARGE), response.header("Content-Length"));
                assertArrayEquals(largeBytes, response.body(), "request " + i);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aFileArrivesWholeOverAUnixSocket(WorkerMode mode) throws Exception {
        Path socket = dir.resolve("files-" + mode + ".sock");
        try (WsgiServer server = WsgiServer.builder(fileApp(new ConcurrentLinkedQueue<>())).workerMode(mode)
                .bind(UnixDomainSocketAddress.of(socket)).build().start();
             SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            channel.write(ByteBuffer.wrap(
                    "GET /large.bin HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            Thread.sleep(300); // the socket fills: the transfer must wait for the client
            byte[] all = Channels.newInputStream(channel).readAllBytes();
            String text = new String(all, StandardCharsets.ISO_8859_1);
            int bodyStart = text.indexOf("\r\n\r\n") + 4;
            assertTrue(text.substring(0, bodyStart).contains("\r\nContent-Length: " + LARGE + "\r\n"), text.substring(0, bodyStart));
            assertArrayEquals(largeBytes, Arrays.copyOfRange(all, bodyStart, all.length));
        }
    }

    static Stream<Arguments> modesAndTls() {
        List<Arguments> cases = new ArrayList<>();
        for (WorkerMode mode : WorkerMode.values()) {
            for (boolean overTls : new boolean[] {false, true}) cases.add(Arguments.of(mode, overTls));
        }
        return cases.stream();
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aClientThatNeverReadsIsClosedAtTheWriteTimeoutTheFileWithItAndLoggedWithWhatWentOut(WorkerMode mode) throws Exception {
        Duration writeTimeout = Duration.ofSeconds(1);
        Queue<FileBody> served = new ConcurrentLinkedQueue<>();
        List<AccessLogEntry> logged = new CopyOnWriteArrayList<>();
        try (TestServer server = TestServer.start(fileApp(served),
                b -> b.workerMode(mode).timeouts(HttpTimeouts.defaults().withWrite(writeTimeout)).accessLog(logged::add));
             Socket socket = new Socket()) {
            socket.setReceiveBufferSize(16 * 1024);
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
            long start = System.nanoTime();
            socket.getOutputStream().write(WsgiTestApps.get("/large.bin").getBytes(StandardCharsets.US_ASCII));
            FileBody body = Poll.until(served::peek, b -> b != null, "the application called");
            Poll.until(body.channel()::isOpen, open -> !open, "the file closed once the connection was given up");
            TimeoutWindow.assertFiredInWindow(writeTimeout, start, "the stalled transfer given up");
            Poll.until(server.server()::openConnections, n -> n == 0, "the connection closed");
            Poll.until(logged::size, n -> n == 1, "the cut response logged");
            long bytes = logged.get(0).bodyBytes(); // what the socket buffers took before the stall
            assertTrue(bytes >= 64 * 1024 && bytes < LARGE, "logged with the bytes that went out of it: " + bytes);
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void headGetsTheLengthAndNoBodyAndTheConnectionStays(WorkerMode mode) throws Exception {
        Queue<FileBody> served = new ConcurrentLinkedQueue<>();
        try (TestServer server = TestServer.start(fileApp(served), b -> b.workerMode(mode));
             RawClient client = server.connect()) {
            client.send("HEAD /large.bin HTTP/1.1\r\nHost: t\r\n\r\n");
            RawClient.Response head = client.read(true);
            assertEquals(Integer.toString(LARGE), head.header("Content-Length"));
            client.send(WsgiTestApps.get("/large.bin"));
            assertArrayEquals(largeBytes, client.read().body(), "the next response follows at once: no body was sent for HEAD");
            for (FileBody body : served) Poll.until(body.channel()::isOpen, open -> !open, "the file closed");
        }
    }

    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = {false, true})
    void aRangeOfAFileIsSent(boolean overTls) throws Exception {
        long from = 1_000_003;
        int length = 2_500_000;
        WsgiApp app = (env, sr) -> {
            FileChannel channel = FileChannel.open(large, StandardOpenOption.READ);
            sr.start("206 Partial Content", List.of(
                    Header.of("Content-Range", "bytes " + from + "-" + (from + length - 1) + "/" + LARGE)));
            return FileBody.of(channel, from, length);
        };
        JsseSslAdapter adapter = overTls ? new JsseSslAdapter(tls.server()) : null;
        try (TestServer server = TestServer.start(app, b -> b.sslAdapter(adapter));
             RawClient client = new RawClient(connect(server.port(), overTls ? tls.client() : null))) {
            client.send(WsgiTestApps.get("/"));
            RawClient.Response response = client.read();
            assertEquals(206, response.status());
            assertEquals(Integer.toString(length), response.header("Content-Length"));
            assertArrayEquals(Arrays.copyOfRange(largeBytes, (int) from, (int) from + length), response.body());
        }
    }

    @Test
    void aShorterContentLengthOfTheApplicationCutsTheFileThere() throws Exception {
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", List.of(Header.of("Content-Length", "100000")));
            return FileBody.of(large);
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.send(WsgiTestApps.get("/"));
            RawClient.Response response = client.read();
            assertEquals("100000", response.header("Content-Length"));
            assertArrayEquals(Arrays.copyOf(largeBytes, 100_000), response.body());
            assertTrue(client.isClosedByServer(), "closed: the application's body was longer than its Content-Length");
        }
    }

    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = {false, true})
    void aFileThatShrankBeforeItWasSentEndsShortAndTheConnectionCloses(boolean overTls) throws Exception {
        Path shrinking = dir.resolve("shrinking-" + overTls + ".bin");
        WsgiApp app = (env, sr) -> {
            Files.write(shrinking, largeBytes);
            FileBody body = FileBody.of(shrinking); // its length is fixed now
            try (FileChannel writer = FileChannel.open(shrinking, StandardOpenOption.WRITE)) {
                writer.truncate(LARGE / 2);
            }
            sr.start("200 OK", List.of());
            return body;
        };
        JsseSslAdapter adapter = overTls ? new JsseSslAdapter(tls.server()) : null;
        try (TestServer server = TestServer.start(app, b -> b.sslAdapter(adapter));
             RawClient client = new RawClient(connect(server.port(), overTls ? tls.client() : null))) {
            client.timeout(30_000);
            client.send(WsgiTestApps.get("/"));
            RawClient.Response head = client.read(true); // the head only: the body is read below
            assertEquals(Integer.toString(LARGE), head.header("Content-Length"));
            byte[] body = readUntilClosed(client.input());
            assertArrayEquals(Arrays.copyOf(largeBytes, LARGE / 2), body, "what the file still held, then the close");
        }
    }

    /**
     * A file whose size says more than it holds (sysfs files say 4096; a stale size on a network
     * file system) ends the body where its bytes end, the connection closed, on a connection's later
     * request too: there the transfer waits on the readiness loop when the operating system sends
     * nothing, and it took the end of the file for a full socket, waited for a socket that was
     * writable all along and tried again, a busy loop until the write timeout.
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aFileWhoseSizeSaysMoreThanItHoldsEndsShortAtOnceOnALaterRequestToo(WorkerMode mode) throws Exception {
        int holds = 2_000_000;
        Path file = Files.write(dir.resolve("says-more-" + mode + ".bin"), Arrays.copyOf(largeBytes, holds));
        WsgiApp app = (env, sr) -> {
            if (!env.pathInfo().equals("/file")) {
                sr.start("200 OK", List.of());
                return List.of("first".getBytes(StandardCharsets.US_ASCII));
            }
            sr.start("200 OK", List.of());
            return FileBody.of(new DelegatingFileChannel(FileChannel.open(file, StandardOpenOption.READ), 100_000));
        };
        // "At once, not at the write timeout" shown by ordering, not by a wall-clock bound: a
        // connection idle since before /file was sent, with a keep-alive timeout as long as the
        // write timeout, is still served once /file has ended.
        Duration writeTimeout = Duration.ofSeconds(30);
        try (TestServer server = TestServer.start(app, b -> b.workerMode(mode)
                .timeouts(HttpTimeouts.defaults().withWrite(writeTimeout).withKeepAlive(writeTimeout)));
             RawClient client = server.connect(); RawClient idle = server.connect()) {
            client.timeout(30_000);
            idle.timeout(10_000);
            client.send(WsgiTestApps.get("/"));
            assertEquals("first", new String(client.read().body(), StandardCharsets.US_ASCII));
            assertEquals("first", idle.send(WsgiTestApps.get("/")).read().bodyText());
            client.send(WsgiTestApps.get("/file")); // the socket waits on the readiness loop now
            RawClient.Response head = client.read(true);
            assertEquals(Integer.toString(holds + 100_000), head.header("Content-Length"));
            byte[] body = readUntilClosed(client.input());
            assertArrayEquals(Arrays.copyOf(largeBytes, holds), body, "what the file holds, then the close");
            assertEquals("first", idle.send(WsgiTestApps.get("/")).read().bodyText(),
                    "ended at once, not at the write timeout: the connection idle since before /file is still open");
        }
    }

    /** {@code file}, whose size says {@code more} bytes more than it holds (as a sysfs file's). */
    private static class DelegatingFileChannel extends FileChannel {
        private final FileChannel file;
        private final long more;

        DelegatingFileChannel(FileChannel file, long more) {
            this.file = file;
            this.more = more;
        }

        @Override public long size() throws IOException { return file.size() + more; }
        @Override public int read(ByteBuffer dst) throws IOException { return file.read(dst); }
        @Override public long read(ByteBuffer[] dsts, int offset, int length) throws IOException { return file.read(dsts, offset, length); }
        @Override public int read(ByteBuffer dst, long position) throws IOException { return file.read(dst, position); }
        @Override public int write(ByteBuffer src) throws IOException { return file.write(src); }
        @Override public long write(ByteBuffer[] srcs, int offset, int length) throws IOException { return file.write(srcs, offset, length); }
        @Override public int write(ByteBuffer src, long position) throws IOException { return file.write(src, position); }
        @Override public long position() throws IOException { return file.position(); }
        @Override public FileChannel position(long p) throws IOException { file.position(p); return this; }
        @Override public FileChannel truncate(long size) throws IOException { file.truncate(size); return this; }
        @Override public void force(boolean metaData) throws IOException { file.force(metaData); }
        @Override public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return file.transferTo(position, count, target);
        }
        @Override public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            return file.transferFrom(src, position, count);
        }
        @Override public java.nio.MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return file.map(mode, position, size);
        }
        @Override public FileLock lock(long position, long size, boolean shared) throws IOException {
            return file.lock(position, size, shared);
        }
        @Override public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return file.tryLock(position, size, shared);
        }
        @Override protected void implCloseChannel() throws IOException { file.close(); }
    }

    /**
     * A file that fails under the operating system's transfer, here closed by the application while
     * it was sent, is the application's failure, logged as an error, not a client that went away
     * (which is logged at DEBUG only and counted as a socket error): the transfer cannot tell which
     * side failed, but the file can say it is closed.
     */
    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aFileClosedUnderItsTransferIsTheApplicationsFailureNotTheClients(WorkerMode mode) throws Exception {
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", List.of());
            return FileBody.of(new DelegatingFileChannel(FileChannel.open(large, StandardOpenOption.READ), 0) {
                @Override
                public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
                    close(); // as another thread of the application might, mid-transfer
                    throw new ClosedChannelException();
                }
            });
        };
        try (LogCapture log = LogCapture.from(java.util.logging.Level.FINE);
             TestServer server = TestServer.start(app, b -> b.workerMode(mode));
             RawClient client = server.connect()) {
            client.timeout(30_000);
            client.send(WsgiTestApps.get("/"));
            RawClient.Response head = client.read(true);
            assertEquals(200, head.status());
            readUntilClosed(client.input()); // cut: the head and the first bytes had gone out
            Poll.until(() -> log.startingWith("Error after the response"), r -> !r.isEmpty(), "logged as the application's error");
            assertEquals(List.of(), log.startingWith("Client {0} went away"), "not taken for a client that left");
        }
    }

    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = {false, true})
    void aFileThatCannotBeReadIsTheApplicationsErrorAnswered500(boolean overTls) throws Exception {
        Path directory = Files.createDirectories(dir.resolve("a-directory"));
        WsgiApp app = (env, sr) -> {
            sr.start("200 OK", List.of());
            // a directory opens (on Linux), but every read fails: not a client's failure
            return FileBody.of(FileChannel.open(directory, StandardOpenOption.READ), 0, 100_000);
        };
        JsseSslAdapter adapter = overTls ? new JsseSslAdapter(tls.server()) : null;
        try (TestServer server = TestServer.start(app, b -> b.sslAdapter(adapter));
             RawClient client = new RawClient(connect(server.port(), overTls ? tls.client() : null))) {
            client.send(WsgiTestApps.get("/"));
            assertEquals(500, client.read().status());
        }
    }

    @Test
    void theFileWrapperSendsAFileInputStreamFromItsPositionAndClosesIt() throws Exception {
        AtomicBoolean closed = new AtomicBoolean();
        WsgiApp app = (env, sr) -> {
            FileInputStream in = new FileInputStream(large.toFile()) {
                @Override
                public void close() throws IOException {
                    closed.set(true);
                    super.close();
                }
            };
            assertEquals(12_345, in.skip(12_345));
            assertTrue(env.get(Environ.WSGI_FILE_WRAPPER) instanceof FileWrapper);
            sr.start("200 OK", List.of());
            return env.fileWrapper().wrap(in);
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.send(WsgiTestApps.get("/"));
            RawClient.Response response = client.read();
            assertEquals(Integer.toString(LARGE - 12_345), response.header("Content-Length"));
            assertArrayEquals(Arrays.copyOfRange(largeBytes, 12_345, LARGE), response.body());
            Poll.until(closed::get, c -> c, "the stream closed");
        }
    }

    @Test
    void theFileWrapperStreamsAnyOtherInputStreamInBlocksAndClosesIt() throws Exception {
        AtomicBoolean closed = new AtomicBoolean();
        WsgiApp app = (env, sr) -> {
            InputStream in = new ByteArrayInputStream(largeBytes, 0, 100_000) {
                @Override
                public void close() {
                    closed.set(true);
                }
            };
            sr.start("200 OK", List.of());
            return env.fileWrapper().wrap(in, 8192);
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.send(WsgiTestApps.get("/"));
            RawClient.Response response = client.read();
            assertEquals("chunked", response.header("Transfer-Encoding"), "a stream's length is not known");
            assertNull(response.header("Content-Length"));
            assertArrayEquals(Arrays.copyOf(largeBytes, 100_000), response.body());
            Poll.until(closed::get, c -> c, "the stream closed");
        }
    }

    /**
     * A FileInputStream whose size says nothing of what it holds (a /proc file: size 0) or that
     * cannot seek (a pipe) is streamed as any other stream, as PEP 3333's wrapper must give what
     * the file holds: it was an empty body for the first and an IOException ("Illegal seek") from
     * wrap() for the second.
     */
    @Test
    void theFileWrapperStreamsAFileInputStreamWhoseSizeSaysNothingOrThatCannotSeek() throws Exception {
        Path fifo = dir.resolve("wrapped.fifo");
        org.junit.jupiter.api.Assumptions.assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo");
        byte[] piped = Arrays.copyOf(largeBytes, 200_000);
        WsgiApp app = (env, sr) -> {
            FileInputStream in;
            if (env.pathInfo().equals("/proc")) {
                in = new FileInputStream("/proc/self/status");
            } else {
                Thread.ofVirtual().start(() -> {
                    try {
                        Files.write(fifo, piped);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                in = new FileInputStream(fifo.toFile()); // opens once the writer has
            }
            sr.start("200 OK", List.of());
            return env.fileWrapper().wrap(in);
        };
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            client.timeout(30_000);
            client.send(WsgiTestApps.get("/proc"));
            RawClient.Response proc = client.read();
            assertEquals(200, proc.status());
            String status = new String(proc.body(), StandardCharsets.US_ASCII);
            assertTrue(status.startsWith("Name:") && status.contains("\nPid:"), "the process's status: " + status);
            client.send(WsgiTestApps.get("/pipe"));
            RawClient.Response pipe = client.read();
            assertEquals(200, pipe.status());
            assertArrayEquals(piped, pipe.body());
        }
    }

    @Test
    void iteratedByMiddlewareAFileBodyGivesItsRangeInBlocks() throws Exception {
        try (FileChannel channel = FileChannel.open(large, StandardOpenOption.READ)) {
            FileBody body = FileBody.of(channel, 10, 100_000, 30_000);
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            List<Integer> sizes = new ArrayList<>();
            for (byte[] block : body) {
                sizes.add(block.length);
                all.writeBytes(block);
            }
            assertEquals(List.of(30_000, 30_000, 30_000, 10_000), sizes);
            assertArrayEquals(Arrays.copyOfRange(largeBytes, 10, 100_010), all.toByteArray());
            assertEquals(0, channel.position(), "reads at absolute positions leave the channel's own alone");
            body.close();
            assertFalse(channel.isOpen());
        }
    }

    static Stream<Arguments> tlsAndWrapping() {
        List<Arguments> cases = new ArrayList<>();
        for (boolean overTls : new boolean[] {false, true}) {
            for (boolean wrapped : new boolean[] {false, true}) cases.add(Arguments.of(overTls, wrapped));
        }
        return cases.stream();
    }

    /**
     * An application that returns with its thread's interrupt flag set (the usual restore in a catch
     * of InterruptedException) still has its file sent, as any other body is: a file channel read on
     * an interrupted thread closes itself, so the server must not read it with a stale flag, nor
     * iterate it so for middleware that wraps the body. (It was a 500, the file closed by the
     * interrupt.)
     */
    @ParameterizedTest(name = "tls={0} wrapped by middleware={1}")
    @MethodSource("tlsAndWrapping")
    void aFileIsSentWhenTheApplicationLeftItsInterruptFlagSet(boolean overTls, boolean wrapped) throws Exception {
        WsgiApp app = (env, sr) -> {
            FileBody file = FileBody.of(large);
            sr.start("200 OK", List.of());
            Thread.currentThread().interrupt();
            if (!wrapped) return file;
            return new ClosingIterable(file); // middleware passing the body on: the server iterates it
        };
        JsseSslAdapter adapter = overTls ? new JsseSslAdapter(tls.server()) : null;
        try (TestServer server = TestServer.start(app, b -> b.sslAdapter(adapter));
             RawClient client = new RawClient(connect(server.port(), overTls ? tls.client() : null))) {
            client.timeout(30_000);
            for (int i = 1; i <= 2; i++) { // the first request writes in blocking mode, the second on the loop
                client.send(WsgiTestApps.get("/"));
                RawClient.Response response = client.read();
                assertEquals(200, response.status(), "request " + i);
                assertArrayEquals(largeBytes, response.body(), "request " + i);
            }
        }
    }

    /** Middleware's view of a body: iterates it, closes it. */
    private record ClosingIterable(FileBody body) implements Iterable<byte[]>, AutoCloseable {
        @Override
        public java.util.Iterator<byte[]> iterator() {
            return body.iterator();
        }

        @Override
        public void close() throws IOException {
            body.close();
        }
    }

    @Test
    void ofAPathRefusesWhatIsNotARegularFile() throws Exception {
        Path directory = Files.createDirectories(dir.resolve("not-a-file"));
        IOException e = assertThrows(IOException.class, () -> FileBody.of(directory));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }

    @Test
    void ofAChannelStartsAtItsPositionAndEndsAtItsSize() throws Exception {
        try (FileChannel channel = FileChannel.open(large, StandardOpenOption.READ)) {
            channel.position(LARGE - 5);
            FileBody body = FileBody.of(channel);
            assertEquals(LARGE - 5, body.position());
            assertEquals(5, body.length());
        }
    }

    private static Socket connect(int port, SSLContext tlsClient) throws IOException {
        if (tlsClient == null) return new Socket("127.0.0.1", port);
        return tlsClient.getSocketFactory().createSocket("127.0.0.1", port);
    }

    /** Everything until the server closes the connection (a TLS connection may end without close_notify). */
    private static byte[] readUntilClosed(InputStream in) {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[64 * 1024];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) got.write(buf, 0, n);
        } catch (IOException e) {
            // closed without TLS's close_notify, or reset: the bytes before it count
        }
        return got.toByteArray();
    }
}
