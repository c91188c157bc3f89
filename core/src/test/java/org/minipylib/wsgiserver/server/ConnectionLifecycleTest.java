package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.WorkerMode;
import org.minipylib.wsgiserver.WsgiApp;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Connections that end in every possible way leave nothing behind: no open connection, no busy worker. */
class ConnectionLifecycleTest {

    private static final WsgiApp APP = (env, sr) -> {
        byte[] body = env.input().readAllBytes();
        sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
        return List.of(("read " + body.length).getBytes(StandardCharsets.US_ASCII));
    };

    /** Ways a client may leave: what it sends before it closes its socket. */
    private static final String[] ENDINGS = {
            "",                                                                  // connect, then close
            "GET / HTTP/1.1\r\nHo",                                              // mid-head
            "GET / HTTP/1.1\r\nHost: t\r\n\r\n",                                 // after a request, response unread
            "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc",      // mid-body
            "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", // mid-chunk
            "GARBAGE\r\n\r\n",                                                   // a 400
            "GET / HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\nGET /", // pipelined, cut
    };

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void everyWayOfLeavingReleasesTheConnection(WorkerMode mode) throws Exception {
        HttpTimeouts timeouts = HttpTimeouts.all(Duration.ofSeconds(2));
        try (TestServer server = TestServer.start(APP, b -> b.workerMode(mode).timeouts(timeouts))) {
            for (int round = 0; round < 30; round++) {
                for (String ending : ENDINGS) {
                    try (Socket s = new Socket("127.0.0.1", server.port())) {
                        OutputStream out = s.getOutputStream();
                        out.write(ending.getBytes(StandardCharsets.ISO_8859_1));
                        out.flush();
                        if (round % 2 == 1) s.setSoLinger(true, 0); // every other time: a reset instead of a FIN
                    }
                }
            }
            // The server still serves. This request also marks the end of the accept backlog: the
            // listener accepts in order, so once it is answered every connection above has been
            // accepted and registered (on a busy machine the listener may lag behind the clients, and
            // a count of 0 seen before it caught up would not stay 0).
            try (RawClient client = server.connect()) {
                client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
                assertEquals("read 3", client.read().bodyText());
            }
            Poll.until(server.server()::statistics, st -> st.openConnections() == 0 && st.busyWorkers() == 0,
                    Duration.ofSeconds(20), "every connection closed and unregistered, and no worker left serving");
            try (RawClient client = server.connect()) { // and the server still serves afterwards
                client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
                assertEquals("read 3", client.read().bodyText());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void idleConnectionsAreClosedAtTheKeepAliveTimeoutAndUnregistered(WorkerMode mode) throws Exception {
        HttpTimeouts timeouts = HttpTimeouts.defaults().withKeepAlive(Duration.ofMillis(300));
        try (TestServer server = TestServer.start(APP, b -> b.workerMode(mode).timeouts(timeouts))) {
            RawClient[] clients = new RawClient[20];
            try {
                for (int i = 0; i < clients.length; i++) {
                    clients[i] = server.connect();
                    if (i % 2 == 0) { // half made a request first
                        clients[i].send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                        assertEquals(200, clients[i].read().status());
                    }
                }
                for (RawClient c : clients) assertTrue(c.isClosedByServer());
                Poll.until(server.server()::openConnections, n -> n == 0, "the closed connections unregistered");
            } finally {
                for (RawClient c : clients) if (c != null) c.close();
            }
        }
    }
}
