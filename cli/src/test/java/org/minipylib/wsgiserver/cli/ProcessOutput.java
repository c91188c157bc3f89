package org.minipylib.wsgiserver.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The output file of a server process started by a test, waited on by bounded polling. */
final class ProcessOutput {

    private ProcessOutput() {
    }

    /** The first line of {@code output} that {@code wanted} accepts, waited for up to 30 s. */
    static String awaitLine(Process process, Path output, Predicate<String> wanted) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            for (String line : Files.readAllLines(output)) {
                if (wanted.test(line)) return line;
            }
            assertTrue(process.isAlive(), () -> "the process exited early; output: " + read(output));
            assertTrue(System.nanoTime() < deadline, () -> "the line did not come within 30 s; output: " + read(output));
            Thread.sleep(20);
        }
    }

    /** The whole file, or a note saying it cannot be read. */
    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
