package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.WorkerMode;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An option that has no effect with the others given is not refused: the server starts, and a line on
 * standard error says the option is ignored and why. Where the option does apply, no such line.
 * (--threads with virtual workers: OptionsTest; --ssl-ca without client certificates: TlsOptionsTest.)
 */
@Timeout(60)
class IgnoredOptionsWarningTest {

    private static final String VIRTUAL_ONLY =
            "wsgiserver: --readiness-loops and --no-direct-socket-calls apply to --workers virtual only; ignored with pool workers";
    private static final String UNIX_SOCKET_MODE = "wsgiserver: --unix-socket-mode applies to --bind unix:PATH only";
    private static final String PEER_CREDENTIALS = "wsgiserver: --peer-credentials applies to UNIX sockets";
    private static final String NO_PROXY = "wsgiserver: --forwarded-allow-ips is empty (an unset variable?): no proxy is trusted";

    @TempDir
    Path dir;

    @Test
    void virtualOnlyOptionsWithPoolWorkers() {
        assertWarns(VIRTUAL_ONLY, "--workers", "pool", "--readiness-loops", "2");
        assertWarns(VIRTUAL_ONLY, "--workers", "pool", "--no-direct-socket-calls");
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--workers", "pool", "--readiness-loops", "2")) {
            assertEquals(WorkerMode.POOL, cli.server().config().workerMode(), "still served, as asked");
        }
        assertSilent(VIRTUAL_ONLY, "--readiness-loops", "2", "--no-direct-socket-calls");
        assertSilent(VIRTUAL_ONLY, "--workers", "virtual", "--readiness-loops", "2");
    }

    @Test
    void unixSocketOptionsWithoutAUnixSocket() {
        assertWarns(UNIX_SOCKET_MODE, "--unix-socket-mode", "660");
        assertWarns(PEER_CREDENTIALS, "--peer-credentials");
        Path socket = dir.resolve("s.sock");
        try (CliRun cli = CliRun.start("--bind", "unix:" + socket, "--unix-socket-mode", "660", "--peer-credentials")) {
            assertFalse(cli.err().contains(UNIX_SOCKET_MODE) || cli.err().contains(PEER_CREDENTIALS), cli.err());
        }
    }

    /** {@code --forwarded-allow-ips "$PROXIES"} with the variable unset trusts no one: said, as it is surely not meant. */
    @Test
    void anEmptyListOfTrustedProxies() {
        assertWarns(NO_PROXY, "--forwarded-allow-ips", "");
        assertWarns(NO_PROXY, "--forwarded-allow-ips", " , ");
        assertSilent(NO_PROXY, "--forwarded-allow-ips", "10.0.0.5");
    }

    /** The server starts with {@code options} on 127.0.0.1 (any port), and standard error has {@code warning}. */
    private static void assertWarns(String warning, String... options) {
        try (CliRun cli = CliRun.start(onAnyPort(options))) {
            assertTrue(cli.err().contains(warning), () -> String.join(" ", options) + ": " + cli.err());
        }
    }

    /** The server starts with {@code options} on 127.0.0.1 (any port), and standard error does not have {@code warning}. */
    private static void assertSilent(String warning, String... options) {
        try (CliRun cli = CliRun.start(onAnyPort(options))) {
            assertFalse(cli.err().contains(warning), () -> String.join(" ", options) + ": " + cli.err());
        }
    }

    private static String[] onAnyPort(String... options) {
        String[] args = new String[options.length + 2];
        args[0] = "--bind";
        args[1] = "127.0.0.1:0";
        System.arraycopy(options, 0, args, 2, options.length);
        return args;
    }
}
