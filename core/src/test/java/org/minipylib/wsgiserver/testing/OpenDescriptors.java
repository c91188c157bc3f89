package org.minipylib.wsgiserver.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The file descriptors this process holds open (Linux: the entries of /proc/self/fd), for leak checks. */
public final class OpenDescriptors {

    private OpenDescriptors() {
    }

    private static final Path FDS = Path.of("/proc/self/fd");

    /** This process's soft limit on open descriptors ("Max open files" in /proc/self/limits). */
    public static long limit() {
        try {
            String line = Files.readAllLines(Path.of("/proc/self/limits")).stream()
                    .filter(l -> l.startsWith("Max open files")).findFirst().orElseThrow();
            String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
            return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How many descriptors this process holds open now. */
    public static long count() {
        try (Stream<Path> fds = Files.list(FDS)) {
            return fds.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * How many descriptors this process holds open on files under {@code dir} (their entries link
     * there); 0 where there is no /proc/self/fd to look at.
     */
    public static long onFilesUnder(Path dir) {
        if (!Files.isDirectory(FDS)) return 0;
        try (Stream<Path> fds = Files.list(FDS)) {
            Path realDir = dir.toRealPath();
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).startsWith(realDir);
                } catch (IOException e) {
                    return false; // closed meanwhile
                }
            }).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
