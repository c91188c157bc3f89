package org.minipylib.wsgiserver.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --log-level} sets how much the server logs to standard error: {@code warning} leaves out the
 * INFO lines ("Listening on"), {@code debug} lets in the one-line DEBUG reports (a failed connection
 * setup), which the default leaves out.
 */
@Timeout(60)
class LogLevelOptionTest {

    private static final Pattern PORT = Pattern.compile("serving on http://127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;

    @Test
    void warningLeavesOutTheInfoLines() throws Exception {
        Path stdout = dir.resolve("out.txt");
        Path stderr = dir.resolve("err.txt");
        Process process = MainJvm.start(List.of(), stdout, stderr, "--bind", "127.0.0.1:0", "--log-level", "warning");
        try {
            ProcessOutput.awaitLine(process, stdout, line -> line.contains("serving on"));
            MainJvm.stopsOnSigterm(process, stdout, stderr);
            String logged = Files.readString(stderr);
            assertFalse(logged.contains("Listening on"), logged);
            assertFalse(logged.contains("Stopped"), logged);
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void debugLetsInAFailedConnectionSetupWhichTheDefaultLeavesOut() throws Exception {
        assertTrue(setupFailureLogged("--log-level", "debug"), "logged at --log-level debug");
        assertFalse(setupFailureLogged(), "logged without --log-level");
    }

    /** Starts a server that expects the PROXY protocol, sends it garbage, and says whether the failure was logged. */
    private boolean setupFailureLogged(String... options) throws Exception {
        Path stdout = dir.resolve("out-" + options.length + ".txt");
        Path stderr = dir.resolve("err-" + options.length + ".txt");
        List<String> args = new java.util.ArrayList<>(List.of("--bind", "127.0.0.1:0", "--proxy-protocol"));
        args.addAll(List.of(options));
        Process process = MainJvm.start(List.of(), stdout, stderr, args.toArray(String[]::new));
        try {
            Matcher port = PORT.matcher(ProcessOutput.awaitLine(process, stdout, line -> PORT.matcher(line).find()));
            assertTrue(port.find());
            try (Socket socket = new Socket("127.0.0.1", Integer.parseInt(port.group(1)))) {
                socket.setSoTimeout(10_000);
                OutputStream out = socket.getOutputStream();
                out.write("NOT A PROXY HEADER\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertTrue(socket.getInputStream().read() < 0, "closed after the bad header");
            }
            MainJvm.stopsOnSigterm(process, stdout, stderr); // what was logged is in the file by the end
            return Files.readString(stderr).contains("Connection setup with");
        } finally {
            process.destroyForcibly();
        }
    }
}
