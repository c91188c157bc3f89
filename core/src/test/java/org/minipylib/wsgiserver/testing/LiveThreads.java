package org.minipylib.wsgiserver.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * The live threads of this process, virtual ones included (which {@link Thread#getAllStackTraces()}
 * leaves out), as a JSON thread dump lists them: for tests that a connection holds no thread.
 * The dump is asked of the HotSpot diagnostic MBean by name ({@code dumpThreads}), as jcmd's
 * {@code Thread.dump_to_file} does, the module not reading {@code jdk.management}.
 */
public final class LiveThreads {

    private LiveThreads() {
    }

    /** How many live threads, platform or virtual, have a frame of a method of {@code type} on their stack. */
    public static long runningIn(Class<?> type) {
        String frame = type.getName() + "."; // in a stack entry, after the class loader's and module's names
        long count = 0;
        for (String thread : dump().split("\"tid\"")) {
            if (thread.contains(frame)) count++;
        }
        return count;
    }

    private static String dump() {
        try {
            Path dir = Files.createTempDirectory("threads");
            Path file = dir.resolve("dump.json"); // must not exist yet
            try {
                ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=HotSpotDiagnostic"),
                        "dumpThreads", new Object[] {file.toString(), "JSON"},
                        new String[] {String.class.getName(), String.class.getName()});
                return Files.readString(file);
            } catch (JMException e) {
                throw new IllegalStateException("no thread dump", e);
            } finally {
                Files.deleteIfExists(file);
                Files.delete(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
