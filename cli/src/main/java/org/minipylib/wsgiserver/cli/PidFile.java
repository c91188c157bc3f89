package org.minipylib.wsgiserver.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The {@code --pid-file}: this process's id and a newline, for {@code kill -USR1 $(cat FILE)} (log
 * rotation) and for service managers. Written whole into a temporary file next to it and renamed
 * into place, so that a reader never finds it empty or half written.
 */
final class PidFile {

    private static final System.Logger LOG = System.getLogger(PidFile.class.getName());

    private PidFile() {
    }

    /**
     * Writes this process's id to {@code file}, replacing what was there; readable by everyone (0644
     * less the umask). The caller has {@link #checkWritable checked} where it goes (before the server
     * started); what fails here is what that check cannot see.
     *
     * @throws IOException if it cannot, with a message that says why (the file's name left to the caller)
     */
    static void write(Path file) throws IOException {
        Path absolute = file.toAbsolutePath();
        Path dir = absolute.getParent();
        Path temporary;
        try {
            temporary = Files.createTempFile(dir, "." + absolute.getFileName() + ".", ".tmp", readableByAll());
        } catch (IOException e) {
            throw new IOException("cannot create a file in " + dir + " (" + reason(e) + ")", e);
        }
        try {
            Files.writeString(temporary, content(), StandardCharsets.US_ASCII);
            Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new IOException(reason(e), e);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * Throws, saying why, if {@code file} cannot be written where it is: checked before the server
     * starts too, so that the usual mistakes (a missing or read-only directory) need no stop.
     */
    static void checkWritable(Path file) throws IOException {
        Path absolute = file.toAbsolutePath();
        if (Files.isDirectory(absolute)) throw new IOException("is a directory");
        Path dir = absolute.getParent();
        try {
            if (!Files.readAttributes(dir, BasicFileAttributes.class).isDirectory()) throw new IOException(dir + " is not a directory");
        } catch (NoSuchFileException e) {
            throw new IOException("no such directory " + dir, e);
        } catch (AccessDeniedException e) {
            throw new IOException("permission denied: a directory on the way to " + dir + " cannot be searched", e);
        }
        if (!Files.isWritable(dir)) throw new IOException("the directory " + dir + " is not writable");
    }

    /** What went wrong, without the file names the JDK's file errors carry. */
    private static String reason(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof NoSuchFileException) return "no such file";
        return e instanceof FileSystemException ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * Removes {@code file} if it still holds this process's id (a process started since may have
     * written its own); a failure is logged.
     */
    static void remove(Path file) {
        try {
            if (Files.isRegularFile(file) && Files.readString(file, StandardCharsets.US_ASCII).equals(content())) {
                Files.delete(file);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Could not remove the pid file {0}", TlsOptions.describe(file.toString(), e));
        }
    }

    private static String content() {
        return ProcessHandle.current().pid() + "\n";
    }

    private static FileAttribute<?>[] readableByAll() {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) return new FileAttribute<?>[0];
        return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--"))};
    }
}
