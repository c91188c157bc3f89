package org.minipylib.wsgiserver.testing;

import org.junit.jupiter.api.Assumptions;

/**
 * A test's need for an external program (Chromium, promtool, curl, openssl): where the program is missing the test
 * is skipped, saying why, except on CI (environment variable {@code CI=true}), where
 * {@code .ci/install-monitoring-tools} installs it and a missing program is a failure, so that a
 * broken installation cannot pass as a skipped test.
 */
public final class OptionalTool {

    private OptionalTool() {
    }

    /** Skips the test if {@code installed} is false (fails it instead on CI); {@code missing} says what is missing. */
    public static void assumeInstalled(boolean installed, String missing) {
        assumeInstalled(installed, missing, System.getenv("CI"));
    }

    /** As {@link #assumeInstalled(boolean, String)}, with the value of {@code CI} given (tests). */
    static void assumeInstalled(boolean installed, String missing, String ci) {
        if (installed) return;
        if ("true".equals(ci)) {
            throw new AssertionError(missing + ". CI=true, where this test must run: .ci/install-monitoring-tools"
                    + " should have installed it (see its output)");
        }
        Assumptions.abort(missing + "; skipping (set CI=true to make this a failure)");
    }
}
