package org.minipylib.wsgiserver.testing;

import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A missing tool skips a test, except on CI, where it fails it with a message that says why. */
class OptionalToolTest {

    @Test
    void aMissingToolSkipsOutsideCiAndFailsOnCi() {
        assertThrows(TestAbortedException.class, () -> OptionalTool.assumeInstalled(false, "x is not installed", null));
        assertThrows(TestAbortedException.class, () -> OptionalTool.assumeInstalled(false, "x is not installed", "false"));
        AssertionError e = assertThrows(AssertionError.class,
                () -> OptionalTool.assumeInstalled(false, "x is not installed", "true"));
        assertTrue(e.getMessage().startsWith("x is not installed. CI=true"), e.getMessage());
        assertTrue(e.getMessage().contains(".ci/install-monitoring-tools"), e.getMessage());
    }

    @Test
    void anInstalledToolAlwaysRuns() {
        assertDoesNotThrow(() -> OptionalTool.assumeInstalled(true, "x", "true"));
        assertDoesNotThrow(() -> OptionalTool.assumeInstalled(true, "x", null));
    }
}
