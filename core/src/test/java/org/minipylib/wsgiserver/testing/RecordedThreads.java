package org.minipylib.wsgiserver.testing;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A factory of virtual threads that keeps every thread it made: for tests that a scheduler given
 * it starts no thread where none is due, or that the threads it started have ended.
 */
public final class RecordedThreads implements ThreadFactory {

    private final ThreadFactory virtual = Thread.ofVirtual().factory();
    private final List<Thread> made = new CopyOnWriteArrayList<>();

    @Override
    public Thread newThread(Runnable task) {
        Thread t = virtual.newThread(task);
        made.add(t);
        return t;
    }

    /** The threads made so far, in order (a live view). */
    public List<Thread> threads() {
        return made;
    }

    /** Asserts that every thread made so far ends within 5 s each, naming where one is stuck. */
    public void awaitEnded() throws InterruptedException {
        for (Thread t : made) {
            assertTrue(t.join(Duration.ofSeconds(5)), () -> "the threads started ended: " + t + " of "
                    + made.size() + " is at " + Arrays.toString(t.getStackTrace()));
        }
    }
}
