package org.minipylib.wsgiserver.server;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.minipylib.wsgiserver.testing.LogCapture;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The accept loop outlives a hand-off of an accepted connection that throws (a heap that ran out
 * for a moment, a class that could not load, any other failure): that connection is closed, the
 * failure logged, and the next connection is accepted and handed on. Had the loop ended, the port
 * would stay open with no one accepting on it.
 */
class ListenerKeepsAcceptingAfterAHandOffThrowsTest {

    static List<Throwable> failures() {
        return List.of(new IllegalStateException("a defect in the hand-off"), new OutOfMemoryError("no heap for a moment"));
    }

    @ParameterizedTest
    @MethodSource("failures")
    void theConnectionWhoseHandOffThrewIsClosedAndTheNextIsHandedOn(Throwable failure) throws Exception {
        ServerSocketChannel channel = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        SocketAddress address = channel.getLocalAddress();
        AtomicInteger accepted = new AtomicInteger();
        BlockingQueue<SocketChannel> handedOn = new LinkedBlockingQueue<>();
        Listener listener = new Listener(new ListeningSocket(channel, address, null, false), client -> {
            if (accepted.incrementAndGet() == 1) throwUnchecked(failure);
            handedOn.add(client);
        });
        Thread loop = Thread.ofPlatform().name("test-accept-loop").start(listener);
        try (LogCapture log = LogCapture.from(Level.SEVERE); Socket first = connect(address)) {
            assertEquals(-1, first.getInputStream().read(), "the connection whose hand-off threw is closed");
            try (Socket second = connect(address)) {
                SocketChannel next = handedOn.poll(10, TimeUnit.SECONDS);
                assertNotNull(next, "the next connection is accepted and handed on");
            }
            assertEquals(1, log.startingWith("Could not start serving a connection").size(), "logged once: " + log.messages());
        } finally {
            listener.close();
            loop.join(10_000);
            for (SocketChannel c : handedOn) c.close();
        }
        assertFalse(loop.isAlive(), "the accept loop ends once the listener is closed");
    }

    private static Socket connect(SocketAddress address) throws IOException {
        Socket socket = new Socket();
        socket.connect(address, 5000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static void throwUnchecked(Throwable failure) {
        if (failure instanceof RuntimeException e) throw e;
        throw (Error) failure;
    }
}
