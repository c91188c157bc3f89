package org.minipylib.wsgiserver.server;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.WsgiServer;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The server's classes are all loaded at start when they come from a directory (as in this build:
 * target/classes), so that a later file-descriptor flood cannot fail a class load on the serving
 * path; from a jar, nothing is done. (MainProcessTest runs the flood itself.)
 */
class ClassPreloaderTest {

    @Test
    void everyClassOfTheServerIsLoadedFromADirectory() throws Exception {
        Path classes = Path.of(WsgiServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assumeTrue(Files.isDirectory(classes), "the server's classes come from a directory in this build");
        long classFiles;
        try (var files = Files.walk(classes.resolve("org/minipylib/wsgiserver"))) {
            classFiles = files.filter(f -> f.toString().endsWith(".class")).count();
        }
        int loaded = ClassPreloader.loadAll(WsgiServer.class);
        // all but those for a later Java release than this one, if any
        assertTrue(loaded > 100 && loaded <= classFiles, loaded + " of " + classFiles);
        if (Runtime.version().feature() >= 22) assertEquals(classFiles, loaded);
    }

    @Test
    void nothingIsDoneForAJar() {
        assertEquals(0, ClassPreloader.loadAll(Test.class)); // JUnit's, from its jar
    }
}
