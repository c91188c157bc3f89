package org.minipylib.wsgiserver.server;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * Loads every class of the server's own code at start, when that code comes from a directory of
 * class files (an IDE, {@code mvn exec}, a container image with exploded classes such as Jib's)
 * rather than a jar. There, each class loaded later opens its file: once the process is out of
 * file descriptors (a connection flood up to {@code ulimit -n}), a class first needed then fails
 * to load, and the JVM fails that reference for good (JVMS section 5.4.3), leaving a code path,
 * the accept loop's say, broken after the flood has passed. A jar is opened once and kept open,
 * so nothing is needed then.
 */
public final class ClassPreloader {

    private static final System.Logger LOG = System.getLogger(ClassPreloader.class.getName());
    private static final String PACKAGE_DIRECTORY = "org/minipylib/wsgiserver";

    /** Whether {@link #loadAllOnce} has run: the classes stay loaded, so a second server has nothing to do. */
    private static final AtomicBoolean LOADED = new AtomicBoolean();

    private ClassPreloader() {
    }

    /** {@link #loadAll} the first time it is called in this JVM; nothing after that. */
    public static void loadAllOnce(Class<?> anchor) {
        if (LOADED.compareAndSet(false, true)) loadAll(anchor);
    }

    /**
     * Loads (without initialising) every class beside {@code anchor} in the server's packages, if
     * they come from a directory.
     *
     * @return how many classes were loaded; 0 for a jar or an unknown location
     */
    public static int loadAll(Class<?> anchor) {
        Path root = directoryOf(anchor);
        if (root == null || !Files.isDirectory(root.resolve(PACKAGE_DIRECTORY))) return 0;
        List<String> names;
        try (Stream<Path> files = Files.walk(root.resolve(PACKAGE_DIRECTORY))) {
            names = files.map(root::relativize).map(Path::toString).filter(name -> name.endsWith(".class"))
                    .map(name -> name.substring(0, name.length() - ".class".length()).replace(root.getFileSystem().getSeparator(), "."))
                    .toList();
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "Classes not preloaded: {0}", e.toString());
            return 0;
        }
        int loaded = 0;
        for (String name : names) {
            try {
                Class.forName(name, false, anchor.getClassLoader());
                loaded++;
            } catch (ClassNotFoundException | LinkageError e) {
                // one for a later Java release (the Java 22 classes on 21), say: never used here
            }
        }
        return loaded;
    }

    private static Path directoryOf(Class<?> anchor) {
        CodeSource source = anchor.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) return null;
        try {
            Path location = Path.of(source.getLocation().toURI());
            return Files.isDirectory(location) ? location : null;
        } catch (URISyntaxException | RuntimeException e) { // not a file: URL
            return null;
        }
    }
}
