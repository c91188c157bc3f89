package org.minipylib.wsgiserver.server;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.testing.Poll;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pool grows before it queues, refuses when full, and shrinks back to its minimum when idle. */
class WorkerPoolTest {

    @Test
    void growsToMaxThenQueuesThenRefuses() throws Exception {
        WorkerPool pool = new WorkerPool("test", 1, 3, Duration.ofSeconds(30), 2);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(3);
        try {
            for (int i = 0; i < 3; i++) {
                assertTrue(pool.submit(() -> {
                    running.countDown();
                    await(release);
                }));
            }
            assertTrue(running.await(5, TimeUnit.SECONDS), "three tasks run at once: the pool grew to 3 threads");
            assertEquals(3, pool.threads());
            assertTrue(pool.submit(() -> { }), "queued");
            assertTrue(pool.submit(() -> { }), "queued");
            assertFalse(pool.submit(() -> { }), "every thread busy and the queue full: refused");
            release.countDown();
        } finally {
            pool.shutdown();
        }
    }

    /**
     * A thread that cannot start (a limit on the process's threads, out of memory) is not counted:
     * counted, the pool waited on threads that did not exist, and retired its real ones for them. The
     * work waits for the running thread, and threads start again once they can.
     */
    @Test
    void aThreadThatCannotStartIsNotCountedAndItsWorkWaitsForARunningOne() throws Exception {
        AtomicBoolean startsFail = new AtomicBoolean();
        WorkerPool pool = new WorkerPool("test", 1, 4, Duration.ofSeconds(30), 10, task -> {
            Thread t = new Thread(task) {
                @Override
                public void start() {
                    if (startsFail.get()) throw new OutOfMemoryError("unable to create native thread (expected by the test)");
                    super.start();
                }
            };
            t.setDaemon(true);
            return t;
        });
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch ran = new CountDownLatch(3);
        try {
            waitUntilIdle(pool, 1);
            startsFail.set(true);
            for (int i = 0; i < 3; i++) {
                assertTrue(pool.submit(() -> {
                    await(release);
                    ran.countDown();
                }), "accepted: it waits for the running thread");
            }
            assertEquals(1, pool.threads(), "the threads that could not start are not counted");
            Poll.until(pool::queued, n -> n == 2, "two tasks waiting, the running thread busy with the first");
            startsFail.set(false);
            CountDownLatch another = new CountDownLatch(1);
            assertTrue(pool.submit(another::countDown));
            assertTrue(another.await(5, TimeUnit.SECONDS), "threads start again once they can, for the waiting work too");
            release.countDown();
            assertTrue(ran.await(5, TimeUnit.SECONDS));
        } finally {
            release.countDown();
            pool.shutdown();
        }
    }

    @Test
    void aQueueOfIntegerMaxValueIsUnboundedNotAnOverflowThatRefusesAll() throws Exception {
        WorkerPool pool = new WorkerPool("test", 1, 2, Duration.ofSeconds(30), Integer.MAX_VALUE);
        CountDownLatch ran = new CountDownLatch(1);
        try {
            assertTrue(pool.submit(ran::countDown));
            assertTrue(ran.await(5, TimeUnit.SECONDS));
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void withoutQueueRefusesAsSoonAsAllThreadsAreBusy() throws Exception {
        WorkerPool pool = oneThreadNoQueue();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        try {
            waitUntilIdle(pool, 1);
            assertTrue(pool.submit(() -> {
                running.countDown();
                await(release);
            }));
            assertTrue(running.await(5, TimeUnit.SECONDS));
            assertFalse(pool.submit(() -> { }));
            release.countDown();
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void idleThreadsAboveMinimumRetire() throws Exception {
        WorkerPool pool = new WorkerPool("test", 1, 4, Duration.ofMillis(100), 10);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(4);
        try {
            for (int i = 0; i < 4; i++) {
                pool.submit(() -> {
                    running.countDown();
                    await(release);
                });
            }
            assertTrue(running.await(5, TimeUnit.SECONDS));
            assertEquals(4, pool.threads());
            release.countDown();
            int left = Poll.until(pool::threads, n -> n <= 1, "the threads above minThreads retired");
            assertEquals(1, left, "shrinks back to minThreads");
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void aTaskThatThrowsDoesNotKillTheWorker() throws Exception {
        WorkerPool pool = new WorkerPool("test", 1, 1, Duration.ofSeconds(30), 10);
        CountDownLatch done = new CountDownLatch(1);
        try {
            pool.submit(() -> {
                throw new IllegalStateException("expected by the test");
            });
            pool.submit(done::countDown);
            assertTrue(done.await(5, TimeUnit.SECONDS));
            assertEquals(1, pool.threads());
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void aFollowUpRunsOnceItsTaskNoLongerCountsSoWhatItSubmitsIsTaken() throws Exception {
        WorkerPool pool = oneThreadNoQueue();
        CountDownLatch done = new CountDownLatch(1);
        boolean[] taken = new boolean[1];
        try {
            WorkerPool.Task first = release -> () -> taken[0] = pool.submit(done::countDown);
            assertTrue(pool.submit(first));
            assertTrue(done.await(5, TimeUnit.SECONDS), "the follow-up's task ran");
            assertTrue(taken[0], "one thread, no queue: taken since the first task no longer counted");
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void aTaskThatReleasedItsPlaceLetsAnotherInWhichWaitsForItsThread() throws Exception {
        WorkerPool pool = oneThreadNoQueue();
        CountDownLatch secondRan = new CountDownLatch(1);
        boolean[] taken = new boolean[3];
        try {
            WorkerPool.Task first = release -> {
                taken[0] = pool.submit(secondRan::countDown);
                release.run();
                taken[1] = pool.submit(secondRan::countDown);
                taken[2] = secondRan.getCount() == 1; // the one thread is still this task's
                return null;
            };
            assertTrue(pool.submit(first));
            assertTrue(secondRan.await(5, TimeUnit.SECONDS), "the task taken ran once the thread was free");
            assertFalse(taken[0], "one thread, no queue: refused while the first task counted");
            assertTrue(taken[1], "taken once the first task released its place");
            assertTrue(taken[2], "it waited for the thread");
        } finally {
            pool.shutdown();
        }
    }

    private static WorkerPool oneThreadNoQueue() {
        return new WorkerPool("test", 1, 1, Duration.ofSeconds(30), 0);
    }

    private static void waitUntilIdle(WorkerPool pool, int idle) throws InterruptedException {
        Poll.until(pool::idleThreads, n -> n >= idle, idle + " idle thread(s)");
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * drainQueued() (a stopping server refusing the requests that wait) takes every waiting task,
     * and none submitted meanwhile stays behind: each is drained, or refused to its caller.
     */
    @Test
    void noTaskSubmittedWhileTheQueueIsDrainedIsLeftWaiting() throws Exception {
        for (int round = 0; round < 100; round++) {
            WorkerPool pool = new WorkerPool("drain", 1, 1, Duration.ofSeconds(10), 1_000_000);
            CountDownLatch running = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            pool.submit(() -> { // the only thread stays busy: everything else waits in the queue
                running.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertTrue(running.await(10, TimeUnit.SECONDS));
            java.util.concurrent.atomic.AtomicBoolean submitting = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread[] submitters = new Thread[2];
            for (int i = 0; i < submitters.length; i++) {
                submitters[i] = Thread.ofPlatform().start(() -> {
                    // At most about 10,000 waiting: unbounded, two spinning submitters queued up to a
                    // million tasks per round, and the collector's work on them under a loaded host
                    // outlasted the 10 s awaits (seen once, at load average 7.6)
                    while (submitting.get()) {
                        if (pool.queued() < 10_000 && !pool.submit(() -> { })) break;
                        Thread.onSpinWait();
                    }
                });
            }
            Thread.sleep(1); // not synchronisation: the submitters get going
            pool.drainQueued();
            submitting.set(false);
            for (Thread t : submitters) t.join(10_000);
            assertEquals(0, pool.queued(), "round " + round + ": a task left waiting after the drain");
            release.countDown();
            pool.shutdown();
        }
    }

    /**
     * A task that gives its place back before its last, blocking step (a connection's turn ends
     * before its last write, which waits for a client that does not read) still holds its thread:
     * the next task gets a thread of its own, up to the maximum, rather than waiting for that write.
     */
    @Test
    void aTaskBlockedAfterGivingItsPlaceBackDoesNotHoldUpTheNext() throws Exception {
        WorkerPool pool = new WorkerPool("blocked-after-release", 1, 4, Duration.ofSeconds(60), 10);
        CountDownLatch unblock = new CountDownLatch(1);
        try {
            CountDownLatch released = new CountDownLatch(1);
            assertTrue(pool.submit((WorkerPool.Task) place -> {
                place.run(); // WorkerTurn.answered(): the responses are complete
                released.countDown();
                try {
                    unblock.await(); // the last write, blocked
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return null;
            }));
            assertTrue(released.await(5, TimeUnit.SECONDS));
            CountDownLatch secondRan = new CountDownLatch(1);
            assertTrue(pool.submit(secondRan::countDown));
            assertTrue(secondRan.await(5, TimeUnit.SECONDS), "the second task waited; pool threads: " + pool.threads());
            assertEquals(2, pool.threads());
        } finally {
            unblock.countDown();
            pool.shutdown();
        }
    }
}
