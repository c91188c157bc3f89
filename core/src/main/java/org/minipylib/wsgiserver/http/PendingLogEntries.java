package org.minipylib.wsgiserver.http;

import org.minipylib.wsgiserver.AccessLog;
import org.minipylib.wsgiserver.AccessLogEntry;

import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The access-log entries of one connection's responses that have not gone out yet: a small response
 * is still in the connection's output buffer when its exchange ends (with those of the requests
 * pipelined behind it). An entry goes to the log once the transport has taken its response (the
 * output tells, {@link ConnectionOutput#listenForWritten}: a flush at the turn's end, a read that
 * waits for a request body, a long response behind it, the watchdog's write of held responses), or
 * at the turn's end ({@link #writeAll}) with the body bytes that did go out: for a client that reset
 * the connection first, those written before the failure. The output's writer thread, the serving
 * thread or the watchdog's, writes them; hence the lock (not a monitor: held while the log writes, it
 * would pin a virtual thread to its carrier on Java 21). Positions are among the bytes the
 * connection's output was given ({@link ConnectionOutput#bytesGiven()}).
 */
final class PendingLogEntries {

    private final AccessLog log;
    private final ConnectionOutput output;
    private AccessLogEntry[] entries = new AccessLogEntry[4];
    /** Per entry: where its body starts and where its response ends among the bytes given. */
    private long[] bodyStarts = new long[4];
    private long[] ends = new long[4];
    private int size;
    private final ReentrantLock lock = new ReentrantLock();

    /** Entries for {@code log}, of the responses given to {@code output}. */
    PendingLogEntries(AccessLog log, ConnectionOutput output) {
        this.log = log;
        this.output = output;
        output.listenForWritten(this::writeSent);
    }

    boolean isEmpty() {
        lock.lock();
        try {
            return size == 0;
        } finally {
            lock.unlock();
        }
    }

    /** Adds {@code entry}, whose response body starts at {@code bodyStart} and ends at {@code end}. */
    void add(AccessLogEntry entry, long bodyStart, long end) {
        lock.lock();
        try {
            if (size == entries.length) {
                entries = Arrays.copyOf(entries, size * 2);
                bodyStarts = Arrays.copyOf(bodyStarts, size * 2);
                ends = Arrays.copyOf(ends, size * 2);
            }
            entries[size] = entry;
            bodyStarts[size] = bodyStart;
            ends[size] = end;
            if (size++ == 0) output.noticeWhenWritten(end);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes every entry to the log in order, and forgets them: as they are if their responses
     * went out whole ({@code bytesWritten} is past their ends), else with the body bytes that did.
     */
    void writeAll(long bytesWritten) {
        lock.lock();
        try {
            for (int i = 0; i < size; i++) {
                AccessLogEntry entry = entries[i];
                entries[i] = null;
                if (bytesWritten < ends[i]) entry = cut(entry, Math.max(0, bytesWritten - bodyStarts[i]));
                write(log, entry);
            }
            size = 0;
            output.noticeWhenWritten(Long.MAX_VALUE);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes to the log, in order, the first entries whose responses went out whole
     * ({@code bytesWritten} is past their ends), and forgets them; the others stay.
     */
    void writeSent(long bytesWritten) {
        lock.lock();
        try {
            int sent = 0;
            while (sent < size && ends[sent] <= bytesWritten) {
                write(log, entries[sent]);
                sent++;
            }
            if (sent == 0) return;
            System.arraycopy(entries, sent, entries, 0, size - sent);
            System.arraycopy(bodyStarts, sent, bodyStarts, 0, size - sent);
            System.arraycopy(ends, sent, ends, 0, size - sent);
            Arrays.fill(entries, size - sent, size, null);
            size -= sent;
            output.noticeWhenWritten(size > 0 ? ends[0] : Long.MAX_VALUE);
        } finally {
            lock.unlock();
        }
    }

    /** Writes {@code entry} to {@code log}; a log that fails is warned of, never thrown into the connection. */
    static void write(AccessLog log, AccessLogEntry entry) {
        try {
            log.log(entry);
        } catch (RuntimeException e) {
            System.getLogger(HttpConnection.class.getName()).log(System.Logger.Level.WARNING, "Access log failed", e);
        }
    }

    /** {@code entry} with at most {@code written} body bytes. */
    private static AccessLogEntry cut(AccessLogEntry entry, long written) {
        if (written >= entry.bodyBytes()) return entry;
        return new AccessLogEntry(entry.remoteAddress(), entry.time(), entry.requestLine(), entry.status(), written,
                entry.referer(), entry.userAgent(), entry.durationNanos(), entry.host());
    }
}
