package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --pid-file FILE}: the process id and a newline, there once the server listens (for
 * {@code kill -USR1 $(cat FILE)}), gone after a graceful stop; a file that cannot be written is a
 * start failure.
 */
@Timeout(60)
class PidFileOptionTest {

    @TempDir
    Path dir;

    @Test
    void holdsThePidWhileServingAndIsGoneAfterSigterm() throws Exception {
        Path stdout = dir.resolve("out.txt");
        Path stderr = dir.resolve("err.txt");
        Path pidFile = dir.resolve("wsgiserver.pid");
        Process process = MainJvm.start(List.of(), stdout, stderr, "--bind", "127.0.0.1:0", "--pid-file", pidFile.toString());
        try {
            ProcessOutput.awaitLine(process, stdout, line -> line.contains("serving on"));
            assertEquals(process.pid() + "\n", Files.readString(pidFile), "there before the server says it serves");
            MainJvm.stopsOnSigterm(process, stdout, stderr);
            assertFalse(Files.exists(pidFile), "removed after the graceful stop");
        } finally {
            process.destroyForcibly();
        }
    }

    /** An older file (a process that was killed) is replaced, through a temporary file that does not stay behind. */
    @Test
    void replacesAnOldFileAndLeavesNothingElse() throws Exception {
        Path pidFile = Files.writeString(dir.resolve("app.pid"), "999999\n");
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--pid-file", pidFile.toString())) {
            assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(pidFile));
            try (var files = Files.list(dir)) {
                assertEquals(List.of(pidFile), files.toList());
            }
        }
    }

    /** The graceful stop leaves a pid file alone that another process has written since. */
    @Test
    void aFileWithAnotherPidIsNotRemoved() throws Exception {
        Path pidFile = Files.writeString(dir.resolve("app.pid"), "999999\n");
        PidFile.remove(pidFile);
        assertTrue(Files.exists(pidFile));
        PidFile.write(pidFile);
        PidFile.remove(pidFile);
        assertFalse(Files.exists(pidFile));
    }

    @Test
    void aFileThatCannotBeWrittenIsAStartFailureWithNothingLeftListening() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        Path missing = dir.resolve("no-such-dir").resolve("app.pid");
        try (CliRun cli = CliRun.run("--bind", "127.0.0.1:" + port, "--pid-file", missing.toString())) {
            assertNull(cli.server());
            assertEquals(1, cli.exitCode(), cli.err());
            assertTrue(cli.err().startsWith("wsgiserver: Cannot write the pid file " + missing + ": no such directory "
                    + missing.getParent()), cli.err());
            assertFalse(cli.out().contains("serving on"), cli.out());
        }
        try (ServerSocket again = new ServerSocket()) {
            again.bind(new InetSocketAddress("127.0.0.1", port)); // the server that started let its port go
        }
        try (CliRun cli = CliRun.run("--bind", "127.0.0.1:0", "--pid-file", dir.toString())) {
            assertEquals(1, cli.exitCode(), cli.err());
            assertTrue(cli.err().contains("Cannot write the pid file " + dir + ": is a directory"), cli.err());
        }
        CliRun.usageError("--pid-file is empty", "--bind", "127.0.0.1:0", "--pid-file", "");
    }
}
