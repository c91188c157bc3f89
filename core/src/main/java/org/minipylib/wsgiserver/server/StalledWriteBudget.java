package org.minipylib.wsgiserver.server;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.minipylib.wsgiserver.http.HttpConnection;

/**
 * Bounds the heap held by connections whose write to the client has made no progress for a second
 * or more (clients that stopped reading large responses; see {@code ServerConfig.maxStalledWriteMemory}):
 * while they hold more, those stalled longest are reset, their write timeout come early. Each holds
 * about what its transport says ({@link HttpConnection#heapHeldWhileWriting()}); a slow reader that
 * takes 4 KiB between two of the watchdog's looks at what the kernel holds unsent (every half second,
 * see {@link HttpConnection#writeStalledSince()}), or where the kernel cannot tell, each 32 KiB slice
 * within a second, is never stalled this long. Run by the watchdog, on its thread only.
 */
final class StalledWriteBudget {

    /** How long a write must have made no progress to count. */
    static final long STALLED_NANOS = 1_000_000_000L;

    private record Stalled(HttpConnection connection, long since, int bytes) {
    }

    private final long maxBytes;
    private final ThrottledWarning warning;

    StalledWriteBudget(long maxBytes, ThrottledWarning warning) {
        this.maxBytes = maxBytes;
        this.warning = warning;
    }

    /** Resets the connections stalled longest while the stalled ones hold more than the budget. */
    void enforce(Iterable<HttpConnection> connections, long nowNanos) {
        List<Stalled> stalled = null;
        long held = 0;
        for (HttpConnection c : connections) {
            long since = c.writeStalledSince();
            if (since == 0 || nowNanos - since < STALLED_NANOS) continue;
            if (stalled == null) stalled = new ArrayList<>();
            Stalled s = new Stalled(c, since, c.heapHeldWhileWriting());
            stalled.add(s);
            held += s.bytes();
        }
        if (held <= maxBytes) return;
        stalled.sort(Comparator.comparingLong(s -> s.since() - nowNanos)); // the longest stalled first (nanoTime may wrap)
        for (Stalled s : stalled) {
            if (held <= maxBytes) break;
            s.connection().resetStalledWrite();
            held -= s.bytes();
            warning.occurred((count, interval) -> "Writes to clients that stopped reading held more than " + maxBytes
                    + " bytes (maxStalledWriteMemory): " + count + " connection(s) reset before their write timeout"
                    + (count > 1 ? " in the last " + interval + " s" : "") + "; many clients may be reading slowly on purpose");
        }
    }
}
