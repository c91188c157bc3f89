package org.minipylib.wsgiserver.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Main} run by a test in a JVM of its own: its command line, its start, and its graceful stop on SIGTERM. */
final class MainJvm {

    private MainJvm() {
    }

    /** The command that runs {@link Main} with {@code args}: this JVM's java and class path, a 128 MiB heap, then {@code jvmOptions}. */
    static List<String> command(List<String> jvmOptions, List<String> args) {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "-Xmx128m"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.CLASS_NAME));
        command.addAll(args);
        return command;
    }

    /**
     * Runs {@link Main} with {@code args} in a new JVM. Output goes to files: Process.destroy() closes
     * the pipes, and we want what is printed after it.
     */
    static Process start(List<String> jvmOptions, Path stdout, Path stderr, String... args) throws IOException {
        return new ProcessBuilder(command(jvmOptions, List.of(args))).redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
                .start();
    }

    /**
     * Sends SIGTERM and checks that the process stopped gracefully: it exits (within 20 s) with the
     * JVM's status for it, 128 + 15, having printed "wsgiserver stopped" to {@code output};
     * {@code diagnostics} (its standard error) is shown if not.
     */
    static void stopsOnSigterm(Process process, Path output, Path diagnostics) throws Exception {
        process.destroy(); // SIGTERM
        assertTrue(process.waitFor(20, TimeUnit.SECONDS), "exited within 20 s of SIGTERM");
        assertEquals(143, process.exitValue(), () -> "128 + SIGTERM's 15; output: " + ProcessOutput.read(diagnostics));
        String printed = Files.readString(output);
        assertTrue(printed.contains("wsgiserver stopped"), () -> "output: " + printed + "\ndiagnostics: " + ProcessOutput.read(diagnostics));
    }
}
