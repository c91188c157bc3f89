package org.minipylib.wsgiserver.apps;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.testing.OpenDescriptors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * BeneathOpener opens a file only if it is beneath the directory given at the depth its path says,
 * whatever links lie on that path: a link out of the directory, or to another depth, fails the
 * open; so does a link as the file itself. On platforms with {@link SecureDirectoryStream} (Linux);
 * elsewhere it opens nothing.
 */
class BeneathOpenerTest {

    @TempDir
    Path dir;
    private Path root;
    private Path outside;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectories(dir.resolve("root")).toRealPath();
        Files.createDirectories(root.resolve("a/b/c"));
        Files.writeString(root.resolve("a/b/c/f.txt"), "deep");
        Files.writeString(root.resolve("top.txt"), "top");
        outside = Files.createDirectories(dir.resolve("outside/b/c")).getParent().getParent();
        Files.writeString(outside.resolve("b/c/f.txt"), "outside");
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(root)) {
            assumeTrue(stream instanceof SecureDirectoryStream, "no SecureDirectoryStream on this platform (Linux has)");
        }
    }

    private static String read(FileChannel channel) throws IOException {
        assertNotNull(channel, "opened, not left to a path lookup");
        try (channel) {
            ByteBuffer buffer = ByteBuffer.allocate((int) channel.size());
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // until full
            }
            return new String(buffer.array(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void opensAFileAtAnyDepth() throws IOException {
        assertEquals("deep", read(BeneathOpener.open(root, Path.of("a/b/c/f.txt"))));
        assertEquals("top", read(BeneathOpener.open(root, Path.of("top.txt"))));
    }

    /** What a directory on the path replaced by a link out of the root looks like to the opener. */
    @Test
    void aLinkOutOfTheDirectoryFailsTheOpen() throws IOException {
        Files.createSymbolicLink(root.resolve("out"), outside);
        Files.createSymbolicLink(root.resolve("a/out-c"), outside.resolve("b/c"));
        assertThrows(IOException.class, () -> BeneathOpener.open(root, Path.of("out/b/c/f.txt")));
        assertThrows(IOException.class, () -> BeneathOpener.open(root, Path.of("a/out-c/f.txt")));
    }

    @Test
    void aLinkToAnotherDepthFailsTheOpen() throws IOException {
        Files.createSymbolicLink(root.resolve("to-c"), root.resolve("a/b/c"));
        assertThrows(IOException.class, () -> BeneathOpener.open(root, Path.of("to-c/f.txt")));
    }

    /** The file opened is beneath the directory: that is all the guarantee says. */
    @Test
    void aLinkWithinTheDirectoryAtTheSameDepthIsFollowed() throws IOException {
        Files.createSymbolicLink(root.resolve("a/b/also-c"), Path.of("c"));
        assertEquals("deep", read(BeneathOpener.open(root, Path.of("a/b/also-c/f.txt"))));
    }

    @Test
    void aLinkAsTheFileFailsTheOpen() throws IOException {
        Files.createSymbolicLink(root.resolve("a/link.txt"), root.resolve("top.txt"));
        assertThrows(IOException.class, () -> BeneathOpener.open(root, Path.of("a/link.txt")));
    }

    @Test
    void aMissingNameFailsAndLeaksNoDescriptor() throws IOException {
        Files.writeString(root.resolve("not-a-dir"), "a file");
        for (String missing : new String[] {"a/missing/f.txt", "a/missing.txt", "not-a-dir/f.txt"}) {
            assertThrows(IOException.class, () -> BeneathOpener.open(root, Path.of(missing)), missing);
        }
        assertEquals(0, OpenDescriptors.onFilesUnder(root));
    }

    /** Opening a directory needs read permission, a path lookup only search: such a directory is left to the path open. */
    @Test
    void aDirectoryThatMayBeSearchedButNotReadIsLeftToThePathOpen() throws IOException {
        assumeFalse("root".equals(System.getProperty("user.name")), "root may read any directory");
        Path searchOnly = root.resolve("a/b/c");
        Files.setPosixFilePermissions(searchOnly, PosixFilePermissions.fromString("--x------"));
        try {
            assertNull(BeneathOpener.open(root, Path.of("a/b/c/f.txt")));
        } finally {
            Files.setPosixFilePermissions(searchOnly, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void aFileThatMayNotBeReadIsDenied() throws IOException {
        assumeFalse("root".equals(System.getProperty("user.name")), "root may read any file");
        Files.setPosixFilePermissions(root.resolve("top.txt"), PosixFilePermissions.fromString("---------"));
        assertThrows(AccessDeniedException.class, () -> BeneathOpener.open(root, Path.of("top.txt")));
    }
}
