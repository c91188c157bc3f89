package org.minipylib.wsgiserver.apps;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.minipylib.wsgiserver.testing.LogCapture;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.TestServer;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/**
 * StaticFilesApp with precompressed variants that cannot be opened (an opener refuses them, as the
 * file system would a file the server may not read, or replaces them around each open): the next
 * variant the client accepts is sent, then the file itself; and the errors about a file that has a
 * variant carry {@code Vary: Accept-Encoding}, as another Accept-Encoding may get that variant. A
 * file that cannot be opened for want of descriptors is a {@code 503}, warned of at most every 10 s.
 */
@Timeout(60)
class StaticFilesAppUnopenableTest {

    /** Files the opener refuses, as if the server's user might not read them (tests run as root, who may read anything). */
    private static final Set<String> UNREADABLE = Set.of("br-unreadable.js.br", "both-unreadable.js.br", "both-unreadable.js.gz",
            "file-unreadable.js", "no-variant-unreadable.js");
    /** Files the opener replaces around every open. */
    private static final Set<String> CHURNING = Set.of("churning.js", "churning-br.js.br");

    @TempDir
    static Path dir;
    private static TestServer server;

    @BeforeAll
    static void setUp() throws IOException {
        Path root = Files.createDirectory(dir.resolve("root"));
        for (String name : new String[] {"br-unreadable.js", "both-unreadable.js", "file-unreadable.js", "churning.js", "churning-br.js"}) {
            Files.writeString(root.resolve(name), "identity of " + name);
            Files.writeString(root.resolve(name + ".gz"), "gzip of " + name); // a variant's bytes are sent as they are
            Files.writeString(root.resolve(name + ".br"), "br of " + name);
        }
        Files.writeString(root.resolve("no-variant-unreadable.js"), "no variant");
        Path churn = Files.createDirectory(dir.resolve("churn"));
        server = TestServer.start(StaticFilesApp.of(root).withPrecompressed(true).withOpener((realRoot, relative) -> open(realRoot, relative, churn)));
    }

    private static FileChannel open(Path realRoot, Path relative, Path churn) throws IOException {
        Path file = realRoot.resolve(relative);
        String name = file.getFileName().toString();
        if (UNREADABLE.contains(name)) throw new AccessDeniedException(file.toString());
        FileChannel channel = BeneathOpener.open(realRoot, relative);
        if (CHURNING.contains(name)) { // a new file at once, the same bytes and time: which one the channel has is not known
            Path next = Files.write(churn.resolve(name), Files.readAllBytes(file));
            Files.setLastModifiedTime(next, Files.getLastModifiedTime(file)); // not newer than its variants, which would be stale
            Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        return channel;
    }

    @AfterAll
    static void tearDown() {
        if (server != null) server.close();
    }

    private static RawClient.Response accepting(String path, String acceptEncoding) throws IOException {
        try (RawClient client = server.connect()) {
            return client.send(acceptEncoding == null ? get(path) : get(path, "Accept-Encoding: " + acceptEncoding + "\r\n")).read();
        }
    }

    /**
     * Out of file descriptors, opening fails (EMFILE) while the file is still there: the client gets
     * a 503 to retry, and the log says which file and why, once for a flood of them.
     */
    @Test
    void aFileThatCannotBeOpenedForWantOfDescriptorsIsA503AndAWarning() throws Exception {
        Path root = Files.createDirectory(dir.resolve("descriptors"));
        Files.writeString(root.resolve("page.html"), "a page");
        StaticFilesApp app = StaticFilesApp.of(root).withOpener((realRoot, relative) -> {
            throw new FileSystemException(realRoot.resolve(relative).toString(), null, "Too many open files");
        });
        try (LogCapture log = LogCapture.from(Level.WARNING); TestServer starved = TestServer.start(app)) {
            for (int i = 0; i < 5; i++) {
                try (RawClient client = starved.connect()) {
                    RawClient.Response r = client.send(get("/page.html")).read();
                    assertEquals(503, r.status());
                    assertEquals("1", r.header("Retry-After"));
                }
            }
            List<String> warnings = log.records().stream().map(LogRecord::getMessage).toList();
            Path file = root.toRealPath().resolve("page.html");
            assertEquals(List.of("Could not open " + file + " to serve it; answered 503 with Retry-After: 1: "
                    + "java.nio.file.FileSystemException: " + file + ": Too many open files (logged at most every 10 s)"), warnings);
        }
    }

    /** The variant preferred cannot be opened: the next one accepted is sent, else the file (none accepted above identity). */
    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "none", value = {
            "/br-unreadable.js | br, gzip | gzip", "/br-unreadable.js | br | none", "/br-unreadable.js | br;q=1, gzip;q=0.1 | gzip",
            "/br-unreadable.js | br, gzip;q=0.5, identity;q=0.8 | none", "/br-unreadable.js | br, gzip;q=0 | none",
            "/both-unreadable.js | br, gzip | none", "/churning-br.js | br, gzip | gzip", "/churning.js | br, gzip | br"})
    void theNextAcceptableVariantThenTheFile(String path, String acceptEncoding, String coding) throws Exception {
        RawClient.Response r = accepting(path, acceptEncoding);
        assertEquals(200, r.status());
        assertEquals(coding, r.header("Content-Encoding"), acceptEncoding);
        assertEquals((coding == null ? "identity" : coding) + " of " + path.substring(1), r.bodyText());
        assertEquals("Accept-Encoding", r.header("Vary"));
    }

    /**
     * RFC 9110 section 12.5.5: Vary names what "might have influenced" the choice of the answer. A
     * file that cannot be opened is a 403 (or a 503) to a client that gets the file, while one that
     * accepts its variant gets that: the error, too, was chosen by Accept-Encoding.
     */
    @Test
    void anErrorAboutAFileWithAVariantVaries() throws Exception {
        RawClient.Response forbidden = accepting("/file-unreadable.js", null);
        assertEquals(403, forbidden.status());
        assertEquals("Accept-Encoding", forbidden.header("Vary"));
        RawClient.Response variant = accepting("/file-unreadable.js", "gzip");
        assertEquals(200, variant.status(), "the variant can be read");
        assertEquals("gzip of file-unreadable.js", variant.bodyText());

        RawClient.Response unavailable = accepting("/churning.js", "identity");
        assertEquals(503, unavailable.status());
        assertEquals("1", unavailable.header("Retry-After"));
        assertEquals("Accept-Encoding", unavailable.header("Vary"));

        RawClient.Response noVariant = accepting("/no-variant-unreadable.js", "gzip");
        assertEquals(403, noVariant.status());
        assertNull(noVariant.header("Vary"), "no variant: the field made no difference");
    }
}
