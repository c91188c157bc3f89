package org.minipylib.wsgiserver.http;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * The connection input as a request body reads it. A read served from the buffer returns at once;
 * a read that has to wait for the client is bounded by the body-read timeout, by the
 * {@linkplain MinDataRate minimum body data rate}, and, while the server drains a body the
 * application left unread, by a total {@linkplain #deadline(long) deadline}: whichever comes first
 * ends it with a {@link SocketTimeoutException}. While it waits, the read lends the worker turn back
 * (see {@link WorkerTurn}), as a large response write does.
 */
final class BodyInput {

    private final ConnectionInput in;
    private final long readTimeoutNanos;
    private final MinDataRate minRate;
    private final WorkerTurn turn;
    /** Bytes read so far, framing included. */
    private long bytes;
    /** Time spent waiting for the client so far (not the application's time between reads). */
    private long waitedNanos;
    /** System.nanoTime() by which reading must be done, or 0 for no deadline. */
    private long deadline;

    /** For the last wait: how long the minimum rate and the deadline allowed (MAX_VALUE: no bound). */
    private long rateLeftNanos;
    private long deadlineLeftNanos;
    private final byte[] one = new byte[1];

    BodyInput(ConnectionInput in, HttpTimeouts timeouts, WorkerTurn turn) {
        this(in, timeouts.bodyRead().toNanos(), timeouts.minBodyRate(), turn);
    }

    /** Reads bounded by {@code readTimeoutMillis} each (0: unbounded) and nothing else; for tests and benchmarks. */
    BodyInput(ConnectionInput in, int readTimeoutMillis) {
        this(in, readTimeoutMillis == 0 ? Long.MAX_VALUE : TimeUnit.MILLISECONDS.toNanos(readTimeoutMillis),
                MinDataRate.NONE, WorkerTurn.KEPT);
    }

    private BodyInput(ConnectionInput in, long readTimeoutNanos, MinDataRate minRate, WorkerTurn turn) {
        this.in = in;
        this.readTimeoutNanos = readTimeoutNanos;
        this.minRate = minRate;
        this.turn = turn;
    }

    /** From now on, reading must be done by {@code nanoTime} (a {@link System#nanoTime()} value). */
    void deadline(long nanoTime) {
        this.deadline = nanoTime | 1; // never 0
    }

    /** Body bytes buffered, readable without waiting. */
    int available() {
        return in.available();
    }

    /** Reads one byte, or -1 at end of stream. */
    int read() throws IOException {
        if (in.available() > 0) { // the common case (chunk-size lines): no array round trip
            bytes++;
            return in.read(1);
        }
        return read(one, 0, 1) == 1 ? one[0] & 0xff : -1;
    }

    /** Reads up to {@code len} bytes, or -1 at end of stream. */
    int read(byte[] b, int off, int len) throws IOException {
        return read(b, off, len, null);
    }

    /** Reads up to {@code dst.remaining()} bytes into {@code dst} (see {@link ConnectionInput#read(ByteBuffer, int)}), or -1 at end of stream. */
    int read(ByteBuffer dst) throws IOException {
        return read(null, 0, dst.remaining(), dst);
    }

    /** Into {@code b[off, off+len)}, or into {@code dst} if it is not null. */
    private int read(byte[] b, int off, int len, ByteBuffer dst) throws IOException {
        if (in.available() > 0) {
            int n = dst == null ? in.read(b, off, len, 1) : in.read(dst, 1);
            bytes += n;
            return n;
        }
        int timeout = nextWaitMillis();
        in.flushPending(); // first: a large flush takes the turn back when it is done
        long start = System.nanoTime();
        turn.giveBack();
        int n;
        try {
            n = dst == null ? in.read(b, off, len, timeout) : in.read(dst, timeout);
        } catch (SocketTimeoutException e) {
            SocketTimeoutException timedOut = new SocketTimeoutException(waitLimit());
            waited(start, timedOut);
            throw timedOut;
        } catch (IOException | RuntimeException | Error e) {
            waited(start, e);
            throw e;
        }
        waited(start, null);
        if (n > 0) bytes += n;
        return n;
    }

    /** After a wait for the client, failed with {@code failure} or (null) not: counts it, takes the turn again. */
    private void waited(long start, Throwable failure) throws IOException {
        waitedNanos += System.nanoTime() - start;
        // waiting for a turn is not the client's slowness: not counted
        if (failure == null) {
            turn.takeAgain();
        } else {
            turn.takeAgainAfter(failure); // what the read ran into stays what the caller sees
        }
    }

    /** The longest the next read may wait, in milliseconds; throws if it may not wait at all. */
    private int nextWaitMillis() throws SocketTimeoutException {
        // Which bound is nearest changes as a body arrives, and rarely: min() rather than a branch
        // that compiled code would drop, and have to be compiled again for when it is taken.
        rateLeftNanos = minRate.isEnabled() ? minRate.nanosLeft(bytes, waitedNanos) : Long.MAX_VALUE;
        deadlineLeftNanos = deadline != 0 ? deadline - System.nanoTime() : Long.MAX_VALUE;
        long allowed = Math.min(readTimeoutNanos, Math.min(rateLeftNanos, deadlineLeftNanos));
        if (allowed <= 0) throw new SocketTimeoutException(waitLimit());
        return HttpTimeouts.waitMillis(allowed);
    }

    /** Why the last wait was bounded as it was: the message if it timed out (a tie goes to the first named). */
    private String waitLimit() {
        long allowed = readTimeoutNanos;
        String why = "request body read timed out";
        if (rateLeftNanos < allowed) {
            allowed = rateLeftNanos;
            why = "request body arrived slower than " + minRate.bytesPerSecond() + " bytes/s";
        }
        if (deadlineLeftNanos < allowed) why = "request body drain deadline passed";
        return why;
    }
}
