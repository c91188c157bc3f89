package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A write or a body read that waited for the client with the turn lent back, and failed (a reset, a
 * timeout), keeps its own failure when taking the turn again fails too (the server stopping):
 * the stop's InterruptedIOException is attached as suppressed, not put in its place, so the log
 * says what the client did. Without a failure, a failed retake is what the caller sees.
 */
@Timeout(10)
class TurnRetakeFailureKeepsCauseTest {

    /** A turn whose retake always fails, as it does once stop() interrupts the waiting thread. */
    private static final class StoppingTurn implements WorkerTurn {
        final AtomicInteger givenBack = new AtomicInteger();
        final AtomicInteger retakes = new AtomicInteger();

        @Override
        public void giveBack() {
            givenBack.incrementAndGet();
        }

        @Override
        public void takeAgain() throws IOException {
            retakes.incrementAndGet();
            throw new InterruptedIOException("server stopping");
        }
    }

    /** Writes fail with {@code writeFailure} (null: succeed); reads fail with {@code readFailure}. */
    private record FailingTransport(IOException writeFailure, IOException readFailure) implements Transport {
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (writeFailure != null) throw writeFailure;
        }

        @Override
        public int read(byte[] b, int off, int len, int timeoutMillis) throws IOException {
            throw readFailure;
        }

        @Override public boolean hasPendingInput() { return false; }
        @Override public void shutdownOutput() { }
        @Override public SocketAddress localAddress() { return new InetSocketAddress("127.0.0.1", 80); }
        @Override public SocketAddress remoteAddress() { return new InetSocketAddress("127.0.0.1", 40000); }
        @Override public String scheme() { return "http"; }
        @Override public void close() { }
    }

    private static ConnectionOutput outputWithLargeBuffer(Transport transport, WorkerTurn turn) throws IOException {
        ConnectionOutput output = new ConnectionOutput(transport, 64 * 1024);
        output.useTurn(turn);
        output.write(new byte[ConnectionOutput.LEND_TURN_MIN_BYTES * 2]); // large enough to lend the turn when flushed
        return output;
    }

    @Test
    void aLargeFlushThatFailsKeepsItsFailure() throws IOException {
        IOException reset = new IOException("Connection reset by peer");
        StoppingTurn turn = new StoppingTurn();
        ConnectionOutput output = outputWithLargeBuffer(new FailingTransport(reset, null), turn);

        IOException thrown = assertThrows(IOException.class, output::flush);

        assertSame(reset, thrown);
        assertEquals(1, turn.givenBack.get());
        assertEquals(1, turn.retakes.get());
        assertEquals(1, thrown.getSuppressed().length);
        assertInstanceOf(InterruptedIOException.class, thrown.getSuppressed()[0]);
    }

    @Test
    void aLargeWriteThatFailsKeepsItsFailure() throws IOException {
        IOException reset = new IOException("Broken pipe");
        StoppingTurn turn = new StoppingTurn();
        ConnectionOutput output = new ConnectionOutput(new FailingTransport(reset, null), 1024);
        output.useTurn(turn);

        IOException thrown = assertThrows(IOException.class,
                () -> output.write(new byte[ConnectionOutput.LEND_TURN_MIN_BYTES * 4])); // bypasses the buffer: a large write

        assertSame(reset, thrown);
        assertEquals(1, turn.retakes.get());
        assertInstanceOf(InterruptedIOException.class, thrown.getSuppressed()[0]);
    }

    @Test
    void aSuccessfulFlushReportsTheFailedRetake() throws IOException {
        StoppingTurn turn = new StoppingTurn();
        ConnectionOutput output = outputWithLargeBuffer(new FailingTransport(null, null), turn);

        IOException thrown = assertThrows(IOException.class, output::flush);

        assertInstanceOf(InterruptedIOException.class, thrown);
    }

    @Test
    void aBodyReadThatFailsKeepsItsFailure() {
        IOException reset = new IOException("Connection reset by peer");
        StoppingTurn turn = new StoppingTurn();
        Transport transport = new FailingTransport(null, reset);
        ConnectionOutput output = new ConnectionOutput(transport, 1024);
        ConnectionInput input = new ConnectionInput(transport, output, 1024, 1024);
        BodyInput body = new BodyInput(input, HttpTimeouts.all(Duration.ofSeconds(5)), turn);

        IOException thrown = assertThrows(IOException.class, () -> body.read(new byte[16], 0, 16));

        assertSame(reset, thrown);
        assertEquals(1, turn.givenBack.get());
        assertInstanceOf(InterruptedIOException.class, thrown.getSuppressed()[0]);
    }
}
