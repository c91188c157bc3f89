package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parsers lent for one head at a time: reused, never to two threads at once, and only for their own limits. */
class RequestParserPoolTest {

    private static final byte[] HEAD = "GET /a HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

    @Test
    void aParserGivenBackIsTheNextOneThisThreadTakes() {
        RequestParserPool pool = new RequestParserPool(2);
        HttpLimits limits = HttpLimits.defaults();
        RequestParser first = pool.take(limits);
        pool.give(first);
        assertSame(first, pool.take(limits));
        assertNotSame(first, pool.take(limits), "a slot holds one parser: taken, it is empty");
    }

    @Test
    void aParserForOtherLimitsIsNotReused() {
        RequestParserPool pool = new RequestParserPool(1);
        HttpLimits limits = HttpLimits.defaults();
        RequestParser p = pool.take(limits);
        pool.give(p);
        HttpLimits other = limits.withCompliance(HttpCompliance.strict().relaxing(ComplianceViolation.OBS_FOLD));
        RequestParser q = pool.take(other);
        assertNotSame(p, q);
        assertSame(other, q.limits());
    }

    @Test
    void manyThreadsNeverHoldTheSameParserAtOnce() throws Exception {
        RequestParserPool pool = new RequestParserPool(1); // few slots: threads share them
        HttpLimits limits = HttpLimits.defaults();
        Set<RequestParser> inUse = ConcurrentHashMap.newKeySet();
        Set<RequestParser> seen = ConcurrentHashMap.newKeySet();
        ExecutorService threads = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> results = new ArrayList<>();
        try {
            for (int t = 0; t < 8; t++) {
                results.add(threads.submit(() -> {
                    go.await();
                    int clashes = 0;
                    for (int i = 0; i < 20_000; i++) {
                        RequestParser p = pool.take(limits);
                        if (!inUse.add(p)) clashes++;
                        seen.add(p);
                        assertEquals("/a", p.parse(HEAD, 0, HEAD.length).path());
                        inUse.remove(p);
                        pool.give(p);
                    }
                    return clashes;
                }));
            }
            go.countDown();
            for (Future<Integer> r : results) assertEquals(0, r.get(60, TimeUnit.SECONDS), "a parser lent twice at once");
        } finally {
            threads.shutdownNow();
        }
        assertTrue(seen.size() < 8 * 20_000 / 10, "parsers were reused: " + seen.size() + " made for 160000 heads");
    }
}
