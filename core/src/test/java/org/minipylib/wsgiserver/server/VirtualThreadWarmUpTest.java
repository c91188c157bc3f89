package org.minipylib.wsgiserver.server;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The start-up warm-up has a virtual thread make a timed wait and (from JDK 24) wait in the JDK's I/O
 * poller, so that what the JDK starts on first use is started while the process has threads and
 * descriptors.
 */
class VirtualThreadWarmUpTest {

    @Test
    void aVirtualThreadWaitsInAReadUntilWoken() throws Exception {
        assertEquals(Runtime.version().feature() >= 24, VirtualThreadWarmUp.run(),
                "from JDK 24, the warm-up's read was seen waiting before it was woken");
        VirtualThreadWarmUp.runOnce();
        VirtualThreadWarmUp.runOnce(); // once it has succeeded, nothing more
    }

    /** A caller whose interrupt flag is set (restored after a catch, say) can still start a server: the flag is kept. */
    @Test
    void theCallersInterruptFlagNeitherFailsItNorIsLost() throws Exception {
        Thread.currentThread().interrupt();
        try {
            assertEquals(Runtime.version().feature() >= 24, VirtualThreadWarmUp.run());
            assertTrue(Thread.currentThread().isInterrupted(), "the flag is set again");
        } finally {
            Thread.interrupted();
        }
    }
}
