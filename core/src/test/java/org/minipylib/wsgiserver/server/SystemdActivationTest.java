package org.minipylib.wsgiserver.server;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The LISTEN_PID / LISTEN_FDS checks of socket activation, as sd_listen_fds makes them. */
class SystemdActivationTest {

    private static void check(Map<String, String> env) throws IOException {
        new SystemdActivation(env, 4242).check();
    }

    @Test
    void noVariablesMeansInetdStyle() {
        assertDoesNotThrow(() -> check(Map.of()));
    }

    @Test
    void oneSocketForThisProcess() {
        assertDoesNotThrow(() -> check(Map.of("LISTEN_PID", "4242", "LISTEN_FDS", "1", "LISTEN_FDNAMES", "web")));
    }

    @Test
    void refusals() {
        String[][] cases = {
            {"4243", "1", "meant for another process"},
            {"4242", "2", "exactly one socket"},
            {"4242", "0", "exactly one socket"},
            {"x", "1", "meant for another process"},
        };
        for (String[] c : cases) {
            IOException e = assertThrows(IOException.class, () -> check(Map.of("LISTEN_PID", c[0], "LISTEN_FDS", c[1])));
            assertTrue(e.getMessage().contains(c[2]), e.getMessage());
        }
        IOException half = assertThrows(IOException.class, () -> check(Map.of("LISTEN_FDS", "1")));
        assertTrue(half.getMessage().contains("together"), half.getMessage());
    }
}
