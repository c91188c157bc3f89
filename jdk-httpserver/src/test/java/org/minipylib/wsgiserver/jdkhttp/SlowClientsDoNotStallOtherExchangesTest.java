package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.ServerConfig;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.http.MinDataRate;
import org.minipylib.wsgiserver.testing.RawClient;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.minipylib.wsgiserver.testing.CarrierPinning.CARRIERS;
import static org.minipylib.wsgiserver.testing.CarrierPinning.assertAnsweredWhile;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Handlers that wait for slow clients, in the request body's reads and the response body's writes,
 * do not hold up the other exchanges: with virtual workers, more such handlers than the virtual
 * threads' carriers still leave one free for the next request. Before JDK 24 a virtual thread that
 * waits inside {@code synchronized} pins its carrier (JEP 491), so the streams must not wait under
 * a monitor; on a later JDK this holds whatever the streams do.
 */
class SlowClientsDoNotStallOtherExchangesTest {

    private static final int ANSWER_WITHIN_MILLIS = 5000;

    private final ServerFixture servers = new ServerFixture();
    private final List<Socket> slowClients = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        for (Socket s : slowClients) s.close(); // ends the handlers' waits
        servers.close();
    }

    @Test
    void stalledUploadsAndUnreadDownloadsLeaveTheServerAnswering() throws Exception {
        CountDownLatch handlersWaiting = new CountDownLatch(2 * CARRIERS);
        HttpServer server = servers.track(WsgiHttpServer.create(ServerConfig.builder()
                .bind(ServerFixture.LOOPBACK_ANY_PORT)
                .workerMode(WorkerMode.VIRTUAL)
                .timeouts(HttpTimeouts.all(Duration.ofSeconds(60)).withMinBodyRate(MinDataRate.NONE)) // the clients stall throughout
                .build()));
        server.createContext("/upload", t -> {
            try (InputStream in = t.getRequestBody()) {
                byte[] buffer = new byte[4096];
                boolean first = true;
                while (in.read(buffer) >= 0) { // the client sends a few bytes and stalls
                    if (first) handlersWaiting.countDown();
                    first = false;
                }
            }
            TestHandlers.send(t, 200, 0, "uploaded");
        });
        server.createContext("/download", t -> {
            t.sendResponseHeaders(200, 0);
            byte[] block = new byte[64 * 1024];
            try (OutputStream out = t.getResponseBody()) {
                handlersWaiting.countDown();
                for (int i = 0; i < 16 * 1024; i++) out.write(block); // the client stops reading: a write waits
            }
        });
        server.createContext("/ping", t -> TestHandlers.send(t, 200, 0, "pong"));
        server.start();
        int port = ServerFixture.port(server);

        for (int i = 0; i < CARRIERS; i++) {
            Socket s = slowClient(port);
            s.getOutputStream().write(("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\n0123456789")
                    .getBytes());
        }
        for (int i = 0; i < CARRIERS; i++) {
            slowClient(port).getOutputStream().write("GET /download HTTP/1.1\r\nHost: h\r\n\r\n".getBytes());
        }
        // Where the waits pin the carriers, the handlers that come after them do not even start.
        boolean allWaiting = handlersWaiting.await(5, TimeUnit.SECONDS);
        Thread.sleep(300); // lets the handlers reach their waits: the next read, a write into full socket buffers

        assertAnsweredWhile(new RawClient("127.0.0.1", port), "/ping", "pong", ANSWER_WITHIN_MILLIS,
                () -> (2 * CARRIERS - handlersWaiting.getCount()) + " handlers wait for slow clients");
        assertTrue(allWaiting, "every slow client's handler began");
    }

    /** A client with a small receive buffer, closed after the test. */
    private Socket slowClient(int port) throws IOException {
        Socket s = new Socket();
        slowClients.add(s);
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        return s;
    }
}
