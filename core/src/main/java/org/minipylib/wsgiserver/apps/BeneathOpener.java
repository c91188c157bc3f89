package org.minipylib.wsgiserver.apps;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.Set;

/**
 * Opens a file for reading only if it is beneath a directory, whatever symbolic links are swapped in
 * on its path meanwhile (opened by path, the kernel would follow them, out of the directory too). The
 * file's own directory is opened and held, then checked: its ancestor as many levels up as the path
 * has directories must be that directory ({@code ../..} from the directory held: {@code ..} is never
 * a link, and a directory has one parent). Only then is the file opened in it, without following a
 * link ({@code O_NOFOLLOW}). This needs {@link SecureDirectoryStream}, which Linux has.
 *
 * <p>It opens that one directory, not each one on the way with {@link
 * SecureDirectoryStream#newDirectoryStream}: up to JDK 25 at least, that call closes a descriptor
 * twice and leaks another when the name is no longer a directory (its error path closes the first
 * descriptor where it means the duplicate: sun.nio.fs.UnixSecureDirectoryStream), which a race
 * that swaps a directory for a file would reach at will. It is also cheaper.
 */
final class BeneathOpener {

    private static final Set<OpenOption> READ_NO_FOLLOW = Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);

    private BeneathOpener() {
    }

    /**
     * The file at {@code relative} under {@code directory} (a real path, trusted) opened for reading,
     * if it is still beneath it. Null when this cannot be done here: the platform has no {@link
     * SecureDirectoryStream} or no file keys, the file's directory may be searched but not read
     * (opening a directory needs read permission, a path lookup does not), or the channel is no
     * {@link FileChannel}.
     *
     * @throws AccessDeniedException if the file may not be read
     * @throws IOException           if the file's directory is gone, or no longer beneath {@code directory}
     *                               at the same depth, or the file is missing or a link ({@code ELOOP})
     */
    static FileChannel open(Path directory, Path relative) throws IOException {
        Object directoryKey = Files.readAttributes(directory, BasicFileAttributes.class).fileKey();
        if (directoryKey == null) return null;
        Path file = directory.resolve(relative);
        DirectoryStream<Path> stream;
        try {
            stream = Files.newDirectoryStream(file.getParent());
        } catch (AccessDeniedException e) {
            return null;
        }
        try (stream) {
            if (!(stream instanceof SecureDirectoryStream<Path> parent)) return null;
            Path up = up(relative.getNameCount() - 1);
            Object upKey = parent.getFileAttributeView(up, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .readAttributes().fileKey();
            if (!directoryKey.equals(upKey)) throw new FileSystemException(file.toString(), null, "no longer beneath " + directory);
            SeekableByteChannel channel = parent.newByteChannel(file.getFileName(), READ_NO_FOLLOW);
            if (channel instanceof FileChannel opened) return opened;
            channel.close();
            return null;
        }
    }

    /** The relative path {@code levels} directories up: {@code .}, {@code ..}, {@code ../..} and so on. */
    private static Path up(int levels) {
        if (levels == 0) return Path.of(".");
        String[] more = new String[levels - 1];
        Arrays.fill(more, "..");
        return Path.of("..", more);
    }
}
