package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The output buffer pool reuses what it is given, never hands one buffer to two takers, and stays bounded. */
class BufferPoolTest {

    @Test
    void aReturnedBufferIsReused() {
        BufferPool pool = new BufferPool(1024, 8);
        byte[] first = pool.take();
        assertEquals(1024, first.length);
        pool.give(first);
        assertSame(first, pool.take());
    }

    @Test
    void aBufferGivenBackByOneThreadIsReusedByTheNext() throws Exception {
        // every connection has a new virtual thread: reuse must not depend on which thread gives back
        BufferPool pool = new BufferPool(1024, 8);
        byte[][] seen = new byte[2][];
        Thread first = Thread.ofVirtual().start(() -> {
            seen[0] = pool.take();
            pool.give(seen[0]);
        });
        first.join();
        Thread second = Thread.ofVirtual().start(() -> seen[1] = pool.take());
        second.join();
        assertSame(seen[0], seen[1]);
    }

    @Test
    void keepsAtMostItsCapacity() {
        BufferPool pool = new BufferPool(16, 4);
        List<byte[]> given = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            byte[] b = new byte[16];
            given.add(b);
            pool.give(b);
        }
        Set<byte[]> reused = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < 100; i++) {
            byte[] b = pool.take();
            if (given.stream().anyMatch(g -> g == b)) reused.add(b);
        }
        assertTrue(reused.size() <= 4, "at most the capacity is kept: " + reused.size());
        assertThrows(IllegalArgumentException.class, () -> new BufferPool(0, 4));
    }

    @Test
    void concurrentTakersNeverShareABuffer() throws Exception {
        BufferPool pool = new BufferPool(64, 16);
        Set<byte[]> inUse = ConcurrentHashMap.newKeySet();
        AtomicReference<String> failure = new AtomicReference<>();
        int threads = 8;
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < 20_000 && failure.get() == null; i++) {
                        byte[] b = pool.take();
                        if (!inUse.add(b)) failure.set("one buffer handed to two takers");
                        inUse.remove(b);
                        pool.give(b);
                    }
                } finally {
                    done.countDown();
                }
            });
        }
        assertTrue(done.await(60, TimeUnit.SECONDS), "workers finished");
        assertNull(failure.get());
    }

    @Test
    void afterConcurrentUseEveryPooledBufferIsPooledOnce() throws Exception {
        // contended takes and gives may bypass the pool, but must never leave one buffer in it twice
        BufferPool pool = new BufferPool(32, 8);
        int threads = 8;
        CountDownLatch done = new CountDownLatch(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int t = 0; t < threads; t++) {
            Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < 20_000; i++) {
                        byte[] a = pool.take();
                        byte[] b = pool.take();
                        pool.give(b);
                        pool.give(a);
                    }
                } catch (RuntimeException | Error e) {
                    failure.set(e);
                } finally {
                    done.countDown();
                }
            });
        }
        assertTrue(done.await(60, TimeUnit.SECONDS), "workers finished");
        assertNull(failure.get());
        Set<byte[]> taken = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < 8; i++) assertTrue(taken.add(pool.take()), "each buffer handed out once");
        byte[] fresh = pool.take(); // the pool is empty now: a new buffer
        assertTrue(taken.add(fresh));
        for (byte[] b : taken) pool.give(b); // one more than the capacity: one of them is dropped
        Set<byte[]> again = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < 8; i++) again.add(pool.take());
        assertEquals(8, again.size());
        assertTrue(taken.containsAll(again), "the pooled buffers are reused");
    }
}
