package org.minipylib.wsgiserver.apps;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * StaticFilesApp serves nothing outside its root even when a directory on a file's path becomes a
 * link out of the root between the check of the path and the open of the file (the race a {@code
 * renameat2} swap wins, over and over): over real sockets, with an opener that makes that swap at
 * that moment. Opened only if it is still under the root ({@link BeneathOpener}), the open fails and
 * the file is looked up again; opened by path (where that cannot be done), the real path is checked
 * again after the open.
 * Links that stay inside the root are still served.
 */
@Timeout(60)
class StaticFilesAppNeverLeavesRootTest {

    private static final String SECRET = "OUTSIDE-SECRET";

    @TempDir
    Path dir;
    private Path root;
    private Path outside;

    /** root/race/f.txt is inside; outside/f.txt, of the same name, is what a link from root/race to outside/ would reach. */
    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectories(dir.resolve("root"));
        Files.writeString(Files.createDirectory(root.resolve("race")).resolve("f.txt"), "inside");
        Files.writeString(root.resolve("race/f.txt.gz"), "gzip inside");
        outside = Files.createDirectory(dir.resolve("outside"));
        Files.writeString(outside.resolve("f.txt"), SECRET);
        Files.writeString(outside.resolve("f.txt.gz"), "gzip " + SECRET);
    }

    /** An opener that, on its first call, replaces root/race by a link to outside/ and then opens as {@code then} does. */
    private StaticFilesApp.Opener swappingFirst(AtomicBoolean swapped, StaticFilesApp.Opener then) {
        return (realRoot, relative) -> {
            if (swapped.compareAndSet(false, true)) {
                Files.move(root.resolve("race"), dir.resolve("race-moved"));
                Files.createSymbolicLink(root.resolve("race"), outside);
            }
            return then.open(realRoot, relative);
        };
    }

    private static RawClient.Response send(StaticFilesApp app, String path, String fields) throws IOException {
        try (TestServer server = TestServer.start(app); RawClient client = server.connect()) {
            return client.send(get(path, fields)).read();
        }
    }

    /** Each open fails, while the path leads to a file: the client may retry, and the next request finds the link leads out. */
    @Test
    void aDirectoryReplacedByALinkOutsideJustBeforeTheOpenIsNotFollowed() throws Exception {
        AtomicBoolean swapped = new AtomicBoolean();
        StaticFilesApp app = StaticFilesApp.of(root).withOpener(swappingFirst(swapped, BeneathOpener::open));
        RawClient.Response r = send(app, "/race/f.txt", "");
        assertTrue(swapped.get());
        assertNotEquals(SECRET, r.bodyText());
        assertEquals(503, r.status());
        assertEquals("1", r.header("Retry-After"));
        assertEquals(404, send(app, "/race/f.txt", "").status(), "checked anew: out of the root");
    }

    /** Variants go through the same open: the variant is passed over, then the file itself is refused too. */
    @Test
    void aVariantBehindTheSwappedDirectoryIsNotFollowedEither() throws Exception {
        AtomicBoolean swapped = new AtomicBoolean();
        StaticFilesApp app = StaticFilesApp.of(root).withPrecompressed(true).withOpener(swappingFirst(swapped, BeneathOpener::open));
        RawClient.Response r = send(app, "/race/f.txt", "Accept-Encoding: gzip\r\n");
        assertTrue(swapped.get());
        assertTrue(!r.bodyText().contains(SECRET), r.bodyText());
        assertEquals(503, r.status());
    }

    /**
     * Where the opener cannot tell whether the file is under the root (null), it is opened by path,
     * which follows the link out; its real path, checked again after the open, is no longer itself.
     */
    @Test
    void openedByPathTheRealPathIsCheckedAgainAfterTheOpen() throws Exception {
        AtomicBoolean swapped = new AtomicBoolean();
        StaticFilesApp app = StaticFilesApp.of(root).withOpener(swappingFirst(swapped, (realRoot, relative) -> null));
        RawClient.Response r = send(app, "/race/f.txt", "");
        assertTrue(swapped.get());
        assertNotEquals(SECRET, r.bodyText());
        assertEquals(503, r.status());
    }

    @Test
    void openedByPathAFileInsideIsServed() throws Exception {
        RawClient.Response r = send(StaticFilesApp.of(root).withOpener((realRoot, relative) -> null), "/race/f.txt", "");
        assertEquals(200, r.status());
        assertEquals("inside", r.bodyText());
    }

    /** A link inside the root to a directory inside it is served: the file found by its real path is under the root. */
    @Test
    void aDirectoryLinkedInsideTheRootIsServed() throws Exception {
        Files.createSymbolicLink(root.resolve("linked"), Path.of("race"));
        Files.createSymbolicLink(root.resolve("race/link.txt"), Path.of("f.txt"));
        StaticFilesApp app = StaticFilesApp.of(root);
        for (String path : new String[] {"/linked/f.txt", "/linked/link.txt", "/race/link.txt"}) {
            RawClient.Response r = send(app, path, "");
            assertEquals(200, r.status(), path);
            assertEquals("inside", r.bodyText(), path);
        }
        assertEquals("gzip inside", send(app.withPrecompressed(true), "/linked/f.txt", "Accept-Encoding: gzip\r\n").bodyText());
    }
}
