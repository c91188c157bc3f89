package org.minipylib.wsgiserver.http;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;

/**
 * The per-connection output buffer. Response heads and small bodies collect here and go out in one
 * write; responses to pipelined requests are batched until the connection would otherwise wait.
 * Large body pieces bypass the buffer. Marks each write to the transport while it runs, so that a
 * watchdog can close a connection whose client stopped reading.
 *
 * <p>Batching must never let an earlier response wait on a slow later application. So the
 * connection {@linkplain #holdCompleteResponses() marks} the buffered bytes that are complete
 * responses before it runs the next application, and if they are still held after
 * {@link #HOLD_NANOS}, the server's watchdog has another thread {@linkplain #flushHeld() write them}
 * while the application runs. The connection's own thread only appends after the mark, so the two
 * never touch the same bytes; every write to the transport happens under one lock, in order.
 *
 * <p>No write keeps a reference to the caller's bytes once it returns: small pieces are copied into
 * the buffer, large ones written out before the call returns. Applications rely on it (a body's
 * buffer reused as soon as the body is closed; see {@code ByteBufferBody}).
 */
final class ConnectionOutput {

    /** How long complete responses may wait in the buffer for the next ones (a batching window). */
    static final long HOLD_NANOS = 20_000_000L;

    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /**
     * Largest piece of a body handed to the transport in one write. Measured on Linux loopback:
     * 32 KiB writes cost the kernel about a third of what 64 KiB writes do (1 MiB responses: 290
     * against 860 server CPU-microseconds each; 36, 48 and 128 KiB all cost more; see
     * docs/performance-log.md), most likely because the kernel copies socket writes into 32 KiB pages.
     * The same holds for files the operating system sends ({@code sendfile}): 1 MiB files cost 226
     * server CPU-microseconds each in 32 KiB pieces, against 286 in 16 KiB, 438 in 64 KiB, 338 in
     * 256 KiB and 321 in one piece.
     */
    private static final int WRITE_SLICE = 32 * 1024;

    /**
     * Writes of at least this many bytes from the connection's own thread lend its worker turn back
     * while they block (see {@link WorkerTurn}); smaller ones, such as a whole ordinary response,
     * keep it (they rarely block, and lending costs two atomic operations).
     */
    static final int LEND_TURN_MIN_BYTES = 8 * 1024;

    /** {@link #writeStartedNanos} while a write runs that the watchdog has not seen yet. */
    private static final long WRITING = 1;
    private static final VarHandle WRITE_STARTED;

    static {
        try {
            WRITE_STARTED = MethodHandles.lookup().findVarHandle(ConnectionOutput.class, "writeStartedNanos", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Transport transport;
    /** Where the buffer comes from and goes back to while idle; null if this output keeps its own. */
    private final BufferPool pool;
    private final int capacity;
    /** Null while released to the pool; taken again at the next write. */
    private byte[] buf;
    private final ReentrantLock writeLock = new ReentrantLock();
    private int count;
    /** buf[sent, held) are complete responses that another thread may write out (guarded by writeLock). */
    private int sent;
    private int held;
    /**
     * Where the response being written starts in the buffer, or -1 once any of its bytes may have
     * gone to the transport (see {@link #discardResponse()}).
     */
    private int responseStart = -1;
    /** System.nanoTime() when bytes were first held (0 when none are): read by the watchdog. */
    private volatile long heldSinceNanos;
    /**
     * While a write to the transport runs: {@link #WRITING} until the watchdog first sees it, then
     * the clock at that moment ({@link #writeSeenSince}); 0 when not writing. The writer reads no
     * clock (about 25 ns a write saved); a stalled write is found at most one watchdog period later.
     */
    private volatile long writeStartedNanos;
    /**
     * A write may have waited since {@link #takeMayHaveWaited()} last asked: the watchdog saw one
     * running, or a large one lent its turn (and may have waited to take it again).
     */
    private volatile boolean mayHaveWaited;
    /** Why a write to the transport failed, or null. */
    private volatile Exception failure;
    /**
     * Bytes of the body piece the last write call was given that have gone to the transport (see
     * {@link #pieceWritten()}); kept up to date only where that call may fail.
     */
    private long pieceWritten;
    /** The turn of the request being served; only the connection's own thread uses it. */
    private WorkerTurn turn = WorkerTurn.KEPT;
    /**
     * Where {@code buf[0]} stands among all the bytes this output was given (see {@link #bytesGiven()});
     * only the connection's own thread changes it.
     */
    private long bufferOffset;
    /** Where the body of the response begun last starts among the bytes given (see {@link #markBodyStart()}). */
    private long bodyStart;
    /** Bytes the transport has taken, in all (guarded by writeLock). */
    private long bytesWritten;
    /** Told {@link #bytesWritten} once a write takes it to {@link #noticeAt} or past; null if nobody listens. */
    private LongConsumer writtenListener;
    private volatile long noticeAt = Long.MAX_VALUE;

    /** An output with a buffer of its own, kept for its whole life. */
    ConnectionOutput(Transport transport, int capacity) {
        this.transport = transport;
        this.pool = null;
        this.capacity = capacity;
        this.buf = new byte[capacity];
    }

    /** An output that takes a buffer from {@code pool} when it writes and gives it back in {@link #release()}. */
    ConnectionOutput(Transport transport, BufferPool pool) {
        this.transport = transport;
        this.pool = pool;
        this.capacity = pool.bufferSize();
    }

    /**
     * Gives the buffer back to the pool if nothing is buffered: the connection is about to wait for
     * its next request, which may take long.
     */
    void release() {
        if (pool == null || buf == null || count != 0) return;
        // No lock: with nothing buffered nothing is held either (see clearBuffered), so a
        // flushHeld() on another thread does not touch the buffer.
        byte[] b = buf;
        buf = null;
        pool.give(b);
    }

    private void ensureBuffer() {
        if (buf == null) buf = pool.take();
    }

    boolean hasPending() {
        return count > 0;
    }

    /** The turn the connection's own thread lends back during large writes (see {@link WorkerTurn}). */
    void useTurn(WorkerTurn turn) {
        this.turn = turn;
    }

    /**
     * For the watchdog: the {@link System#nanoTime()} since which the current write has been seen
     * running (now, if this is the first look at it), or 0 when not writing. Each slice of a large
     * write counts as a new write.
     */
    long writeSeenSince() {
        long since = writeStartedNanos;
        if (since != WRITING) return since;
        long stamp = System.nanoTime() | 2; // never WRITING nor 0
        // Lost to the writer: the write seen ended meanwhile (only the writer unmarks). What is there
        // now may be the bare mark of its next write, which is not a time: that one is seen next look.
        if (!WRITE_STARTED.compareAndSet(this, WRITING, stamp)) return 0;
        mayHaveWaited = true;
        return stamp;
    }

    /**
     * True if the write the watchdog saw running since {@code seenSince} (a value of
     * {@link #writeSeenSince()}) still runs: it has made no progress since (each slice of a large
     * write is a new write).
     */
    boolean stillWriting(long seenSince) {
        return seenSince != 0 && writeStartedNanos == seenSince;
    }

    /** True while a write to the transport runs (from any thread; it may end at once). */
    boolean writing() {
        return writeStartedNanos != 0;
    }

    /** A write to the transport that does not go through this output (see {@link #timedAsWrite}). */
    interface OutsideWrite {
        void run() throws IOException;
    }

    /**
     * Runs a write that goes past this output (a TLS close_notify on the way out) as one of its own
     * for the watchdog: a client that stopped reading cannot hold it past the write timeout.
     */
    void timedAsWrite(OutsideWrite write) throws IOException {
        WRITE_STARTED.setRelease(this, WRITING);
        try {
            write.run();
        } finally {
            WRITE_STARTED.setRelease(this, 0L);
        }
    }

    /**
     * True if a write may have waited for the client (or for a turn) since the last call: one the
     * watchdog saw running, or a large one. A write the watchdog never saw took less than its period.
     */
    boolean takeMayHaveWaited() {
        if (!mayHaveWaited) return false;
        mayHaveWaited = false;
        return true;
    }

    /** True once a write to the transport failed: the client is gone or stopped reading (or, if not an IOException, a defect). */
    boolean failed() {
        return failure != null;
    }

    /** What made a write to the transport fail; null if none did. */
    Exception failure() {
        return failure;
    }

    /**
     * How many bytes this output has been given so far, buffered or written (less those of a
     * {@linkplain #discardResponse() discarded} response): where the next byte given will stand.
     * Compared with {@link #bytesWritten()}, it tells whether a response has gone out. For the
     * connection's own thread.
     */
    long bytesGiven() {
        return bufferOffset + count;
    }

    /**
     * How many bytes the transport has taken, from any thread: those of a failed write that did not
     * go out are not among them.
     */
    long bytesWritten() {
        writeLock.lock();
        try {
            return bytesWritten;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Has {@code listener} told {@link #bytesWritten()}, under the write lock and on the thread that
     * writes, whenever a write to the transport takes it to the position set by
     * {@link #noticeWhenWritten(long)} or past (the access log's entries wait for that: a line is
     * written once its response has gone out, even while the turn goes on with a long response or a
     * slow request body). Set before the first write.
     */
    void listenForWritten(LongConsumer listener) {
        this.writtenListener = listener;
    }

    /** Where the next write that reaches it tells the listener ({@link Long#MAX_VALUE}: no notice), from any thread. */
    void noticeWhenWritten(long position) {
        noticeAt = position;
    }

    /**
     * After a write: tells the listener if it has reached {@link #noticeAt}. Under the write lock.
     * The write is over: a listener that waits (a stalled access log) is no stalled write for the
     * watchdog's write timeout, and a write of the rest marks itself again.
     */
    private void noticeIfReached() {
        if (bytesWritten < noticeAt) return;
        WRITE_STARTED.setRelease(this, 0L);
        writtenListener.accept(bytesWritten);
    }

    /** Notes that the body of the response begun last starts here (its head has been given). */
    void markBodyStart() {
        bodyStart = bufferOffset + count;
    }

    /** Where the body of the response begun last starts among the {@linkplain #bytesGiven() bytes given}. */
    long bodyStart() {
        return bodyStart;
    }

    void write(int b) throws IOException {
        ensureBuffer();
        if (count == capacity) flush();
        buf[count++] = (byte) b;
    }

    void write(byte[] b) throws IOException {
        write(b, 0, b.length);
    }

    void write(byte[] b, int off, int len) throws IOException {
        ensureBuffer();
        if (len <= capacity - count) {
            System.arraycopy(b, off, buf, count, len);
            count += len;
            return;
        }
        pieceWritten = 0;
        if (len < capacity) {
            flush();
            System.arraycopy(b, off, buf, 0, len);
            count = len;
        } else {
            writeThrough(b, off, len);
        }
    }

    /**
     * Writes the remaining bytes of {@code b} (moving its position to its limit) as
     * {@link #write(byte[], int, int)} does: copied into the buffer if small, else written from
     * {@code b} itself, so that a direct buffer reaches the socket without a copy into the heap.
     */
    void write(ByteBuffer b) throws IOException {
        ensureBuffer();
        int len = b.remaining();
        if (len <= capacity - count) {
            b.get(buf, count, len);
            count += len;
            return;
        }
        pieceWritten = 0;
        if (len < capacity) {
            flush();
            b.get(buf, 0, len);
            count = len;
        } else {
            writeThrough(null, 0, len, b);
        }
    }

    /**
     * Writes {@code count} bytes of {@code file} from {@code position}: as many as fit go into the
     * buffer (all of a small file, batched like any small body; else the first bytes, to leave with
     * the response head in one write), the rest by {@link Transport#transferFrom} (from file to socket
     * by the operating system where the transport can).
     *
     * @return the bytes written: fewer than {@code count} only if the file ended first (if the
     *         transport fails, {@link #pieceWritten()} says how many went to it)
     */
    long write(FileChannel file, long position, long count) throws IOException {
        Thread.interrupted(); // a stale flag (as the transports clear before writing): a file read with it closes the file
        ensureBuffer();
        pieceWritten = 0;
        int first = (int) Math.min(capacity - this.count, count);
        int read = readFully(file, position, buf, this.count, first);
        this.count += read;
        if (read < first || read == count) return read; // all of it buffered: nothing can fail now
        try {
            return writeLarge((from, to) -> {
                transportWrite(buf, from, to - from);
                pieceWritten = read;
                transportTransfer(file, position + read, count - read);
                return pieceWritten;
            });
        } finally {
            bufferOffset += count - read; // given past the buffer (a file that ends early fails its response anyway)
        }
    }

    /**
     * How many bytes of the body piece given to the last write call that failed had gone to the
     * transport: a response cut off is logged with what went out of it, where a large piece (a
     * file, an array written through) may be cut in its middle.
     */
    long pieceWritten() {
        return pieceWritten;
    }

    /** Reads {@code len} bytes of {@code file} from {@code position} into {@code b}, fewer only at the file's end. */
    private static int readFully(FileChannel file, long position, byte[] b, int off, int len) throws IOException {
        ByteBuffer into = ByteBuffer.wrap(b, off, len);
        while (into.hasRemaining()) {
            if (file.read(into, position + into.position() - off) < 0) break;
        }
        return into.position() - off;
    }

    private void writeThrough(byte[] b, int off, int len) throws IOException {
        writeThrough(b, off, len, null);
    }

    /**
     * Writes what is buffered and then a large piece ({@code b[off, off+len)}, or {@code buffer}'s
     * remaining bytes if it is not null), without copying the piece: the buffered bytes (a response
     * head, a chunk-size line) and the piece's first slice go out in one gathering write.
     */
    private void writeThrough(byte[] b, int off, int len, ByteBuffer buffer) throws IOException {
        int start = buffer == null ? 0 : buffer.position();
        try {
            writeLarge((from, to) -> {
                if (buffer == null) transportWrite(buf, from, to - from, b, off, len);
                else transportWrite(buf, from, to - from, buffer);
                return 0;
            });
        } catch (IOException | RuntimeException e) {
            // a buffer's position is where its writes got to; an array's whole slices are counted as they go
            if (buffer != null) pieceWritten = buffer.position() - start;
            throw e;
        } finally {
            bufferOffset += len; // given past the buffer
        }
    }

    /** A large write: what is buffered, {@code buf[from, to)}, then a piece of its own; returns a count of its choice. */
    private interface LargeWrite {
        long run(int from, int to) throws IOException;
    }

    /**
     * Runs {@code write} under the write lock with the buffer's bytes handed to it (the buffer is
     * empty for others from then on), lending the worker turn while it may block.
     */
    private long writeLarge(LargeWrite write) throws IOException {
        mayHaveWaited = true;
        turn.giveBack(); // a large piece (see LEND_TURN_MIN_BYTES)
        long result;
        try {
            writeLock.lock();
            try {
                int from = sent;
                int to = count;
                clearBuffered();
                result = write.run(from, to);
            } finally {
                writeLock.unlock();
            }
        } catch (Throwable t) {
            turn.takeAgainAfter(t);
            throw t;
        }
        turn.takeAgain();
        return result;
    }

    /** Writes an ASCII/ISO-8859-1 string (one byte per char, as HTTP heads are). */
    void writeLatin1(String s) throws IOException {
        ensureBuffer();
        int len = s.length();
        if (len > capacity - count) {
            flush();
            if (len > capacity) {
                write(s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                return;
            }
        }
        copyLowBytes(s, len, buf, count);
        count += len;
    }

    /**
     * The low byte of each char, as the loop {@code dst[off + i] = (byte) s.charAt(i)} would: header
     * text was checked to be Latin-1 when the application set it. The deprecated String method does
     * exactly this, as one array copy for a Latin-1 string.
     */
    @SuppressWarnings("deprecation")
    private static void copyLowBytes(String s, int len, byte[] dst, int off) {
        s.getBytes(0, len, dst, off);
    }

    /** Writes a non-negative number in decimal (without building a string). */
    void writeDecimal(long v) throws IOException {
        ensureBuffer();
        if (capacity - count < 20) flush();
        int digits = 1;
        for (long rest = v / 10; rest > 0; rest /= 10) digits++;
        int end = count + digits;
        for (int i = end - 1; i >= count; i--) {
            buf[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        count = end;
    }

    /** Writes a chunk-size line: hex length and CRLF. */
    void writeChunkSize(long size) throws IOException {
        ensureBuffer();
        if (capacity - count < 18) flush();
        int digits = Math.max(1, (67 - Long.numberOfLeadingZeros(size)) / 4);
        for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
            buf[count++] = HEX[(int) (size >>> shift) & 0xf];
        }
        buf[count++] = '\r';
        buf[count++] = '\n';
    }

    void writeCrlf() throws IOException {
        ensureBuffer();
        if (capacity - count < 2) flush();
        buf[count++] = '\r';
        buf[count++] = '\n';
    }

    void flush() throws IOException {
        if (count == 0) return;
        if (count < LEND_TURN_MIN_BYTES) {
            flushBuffered();
            return;
        }
        mayHaveWaited = true;
        turn.giveBack();
        try {
            flushBuffered();
        } catch (Throwable t) {
            turn.takeAgainAfter(t);
            throw t;
        }
        turn.takeAgain();
    }

    private void flushBuffered() throws IOException {
        writeLock.lock();
        try {
            int from = sent;
            int to = count;
            clearBuffered();
            if (to > from) transportWrite(buf, from, to - from);
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Empties the buffer; under {@link #writeLock}, from the connection's own thread. The only place
     * {@code count} drops to 0, with {@code sent} and {@code held}: {@link #release()} relies on it.
     */
    private void clearBuffered() {
        bufferOffset += count;
        count = 0;
        sent = 0;
        held = 0;
        responseStart = -1;
        if (heldSinceNanos != 0) heldSinceNanos = 0; // a volatile write costs a fence: most requests held nothing
    }

    /** Called as a response begins, before its first byte is written: see {@link #discardResponse()}. */
    void markResponseStart() {
        ensureBuffer();
        responseStart = count;
    }

    /**
     * Drops what the response begun last wrote if none of it has gone to the transport yet (it
     * fitted in the buffer): the application failed after starting it, and the client can still get
     * an error response instead of a cut one. Earlier responses in the buffer stay.
     *
     * @return true if it was dropped; false if some of it may have been sent
     */
    boolean discardResponse() {
        writeLock.lock();
        try {
            if (responseStart < 0 || buf == null) return false;
            count = responseStart;
            responseStart = -1;
            return true;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Puts {@code interim} (an interim response: 100 Continue) in front of the response begun last,
     * if none of that response has gone to the transport yet and the buffer has room for it. Its body
     * {@linkplain #bodyStart() starts} that much later.
     *
     * @return true if it was put there; false if some of the response may have been sent
     */
    boolean insertBeforeResponse(byte[] interim) {
        writeLock.lock();
        try {
            if (responseStart < 0 || buf == null || count + interim.length > buf.length) return false;
            System.arraycopy(buf, responseStart, buf, responseStart + interim.length, count - responseStart);
            System.arraycopy(interim, 0, buf, responseStart, interim.length);
            // its head given already (else bodyStart is the last response's, or this one's to come: marked anew)
            if (bodyStart > bufferOffset + responseStart) bodyStart += interim.length;
            count += interim.length;
            responseStart += interim.length;
            return true;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Marks everything buffered as complete responses that may go out without waiting for what
     * follows (see {@link #flushHeld()}); called before the next pipelined request runs. Writes
     * nothing itself.
     */
    void holdCompleteResponses() {
        if (count == 0) return;
        writeLock.lock();
        try {
            held = count;
            responseStart = -1; // complete, and may go out at any moment: no longer to be dropped (discardResponse)
            if (heldSinceNanos == 0) heldSinceNanos = System.nanoTime() | 1;
        } finally {
            writeLock.unlock();
        }
    }

    /** True if complete responses have been held in the buffer for longer than {@link #HOLD_NANOS}. */
    boolean heldTooLong(long nowNanos) {
        long since = heldSinceNanos;
        return since != 0 && nowNanos - since > HOLD_NANOS;
    }

    /**
     * Writes the held complete responses now, from any thread, while the connection's own thread may
     * be appending a later response behind them.
     */
    void flushHeld() throws IOException {
        writeLock.lock();
        try {
            int from = sent;
            int to = held;
            heldSinceNanos = 0;
            if (to > from) {
                sent = to;
                transportWrite(buf, from, to - from);
            }
        } finally {
            writeLock.unlock();
        }
    }

    private void transportWrite(byte[] b, int off, int len) throws IOException {
        transportWrite(b, 0, 0, b, off, len);
    }

    /**
     * Writes {@code head} (if any) and the first slice of {@code b} together, then the rest of
     * {@code b} in slices, each marked as a new write for the watchdog, so that the write timeout measures a
     * stall (no progress), not the time a large body takes to reach a slow but steady reader.
     * Called with the write lock held.
     */
    private void transportWrite(byte[] head, int headOff, int headLen, byte[] b, int off, int len) throws IOException {
        try {
            for (int done = 0; done < len; ) {
                int n = Math.min(WRITE_SLICE, len - done);
                // No fence for these two (a volatile write has one): the watchdog needs to see them
                // within its period, not at once.
                WRITE_STARTED.setRelease(this, WRITING);
                if (done == 0 && headLen > 0) {
                    transport.write(head, headOff, headLen, b, off, n);
                    bytesWritten += headLen;
                } else {
                    if (b != buf) giveBackEmptyBuffer(); // a piece of its own (see writeThrough), not the buffer
                    transport.write(b, off + done, n);
                }
                done += n;
                bytesWritten += n;
                if (b != head) pieceWritten = done;
                noticeIfReached();
            }
        } catch (IOException | RuntimeException e) {
            failure = e;
            throw e;
        } finally {
            WRITE_STARTED.setRelease(this, 0L);
        }
    }

    /**
     * Sends {@code count} bytes of {@code file} from {@code position} in slices, each marked as a
     * new write for the watchdog: by the transport from file to socket where it can, else (or for
     * what it could not send without waiting) read into the buffer, empty now, and written. A read
     * of the file that fails is not a failure of the transport. Adds what went out to {@link
     * #pieceWritten} as it goes. Called with the write lock held.
     */
    private void transportTransfer(FileChannel file, long position, long count) throws IOException {
        long done = 0;
        boolean direct = true;
        while (done < count) {
            long n = Math.min(WRITE_SLICE, count - done);
            long sent = -1;
            if (direct) {
                try {
                    WRITE_STARTED.setRelease(this, WRITING);
                    sent = transport.transferFrom(file, position + done, n);
                } catch (IOException | RuntimeException e) {
                    // Either side may have failed; a file closed under the transfer or not open for
                    // reading is the application's doing, not a client that left.
                    if (file.isOpen() && !(e instanceof NonReadableChannelException)) failure = e;
                    throw e;
                } finally {
                    WRITE_STARTED.setRelease(this, 0L);
                }
            }
            if (sent < 0) {
                direct = false;
            } else {
                done += sent;
                pieceWritten += sent;
                bytesWritten += sent;
                noticeIfReached();
                if (sent == n) continue;
            }
            int len = (int) Math.min(buf.length, count - done);
            int read = readFully(file, position + done, buf, 0, len);
            transportWrite(buf, 0, read);
            done += read;
            pieceWritten += read;
            if (read < len) break; // the file ended
        }
    }

    /**
     * Gives the buffer back to the pool while a large piece of a body is written and no buffered
     * byte rides along (none was buffered, or they went out with its first slice): such a write may
     * wait long for a slow reader, and thousands of clients that stop reading a large response then
     * hold no output buffer each. The next write takes one again. Called with the write lock held,
     * from the connection's own thread.
     */
    private void giveBackEmptyBuffer() {
        if (pool == null || buf == null || count != 0) return;
        byte[] b = buf;
        buf = null;
        pool.give(b);
    }

    /** As {@link #transportWrite(byte[], int, int, byte[], int, int)}, for the remaining bytes of {@code b}. */
    private void transportWrite(byte[] head, int headOff, int headLen, ByteBuffer b) throws IOException {
        int end = b.limit();
        try {
            for (boolean first = true; b.position() < end; first = false) {
                int from = b.position();
                b.limit(Math.min(end, from + WRITE_SLICE));
                WRITE_STARTED.setRelease(this, WRITING);
                if (first && headLen > 0) {
                    transport.write(head, headOff, headLen, b);
                    bytesWritten += headLen;
                } else {
                    giveBackEmptyBuffer();
                    transport.write(head, headOff, 0, b);
                }
                bytesWritten += b.position() - from;
                noticeIfReached();
            }
        } catch (IOException | RuntimeException e) {
            failure = e;
            throw e;
        } finally {
            b.limit(end);
            WRITE_STARTED.setRelease(this, 0L);
        }
    }
}
