package org.minipylib.wsgiserver.http;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Request parsers shared by the connections of one server, each lent for one head at a time.
 * A parser carries state between heads (the fields of the previous head, whose repeated values
 * it reuses, and the arrays it parses into): kept per connection, with a thousand busy
 * connections that state was out of the CPU's caches at every request (parsing took 9 % of the
 * server's CPU with 1024 keep-alive connections, 5 % with 64; lent, 3.8 % with 1024). A few
 * parsers, reused by every connection, stay in the cache; clients mostly send the same fields,
 * so the remembered values still match.
 *
 * <p>A parser sits in one of a few slots, each on a cache line of its own, picked by the thread's
 * id: a take empties the slot with one atomic exchange (an empty slot means a new parser), a give
 * fills it (a parser already there is dropped). Two threads parsing at once rarely pick the same
 * slot, and then one of them parses with a new parser. It never blocks.
 */
public final class RequestParserPool {

    private static final int SLOT_STRIDE = 16; // 16 references span a 64-byte line or more: no two slots share one

    private final AtomicReferenceArray<RequestParser> slots;
    private final int mask;

    /** A pool for a machine with {@code cpus} processors (two slots per processor, at least 2). */
    public RequestParserPool(int cpus) {
        int n = Integer.highestOneBit(Math.max(2, 2 * cpus - 1) << 1);
        this.mask = n - 1;
        this.slots = new AtomicReferenceArray<>((n + 2) * SLOT_STRIDE); // a line spare at each end: none next to the array's header
    }

    /** A parser for heads within {@code limits}: one given back from this thread's slot, or a new one. */
    public RequestParser take(HttpLimits limits) {
        RequestParser p = slots.getAndSet(slot(), null);
        return p != null && p.limits() == limits ? p : new RequestParser(limits);
    }

    /** Gives back a parser taken from this pool, on the thread that took it, once its head is parsed. */
    public void give(RequestParser parser) {
        slots.setRelease(slot(), parser);
    }

    private int slot() {
        return (((int) Thread.currentThread().threadId() & mask) + 1) * SLOT_STRIDE;
    }
}
