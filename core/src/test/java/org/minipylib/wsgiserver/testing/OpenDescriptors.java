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

    /** How many descriptors this process holds open now. */
    public static long count() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
