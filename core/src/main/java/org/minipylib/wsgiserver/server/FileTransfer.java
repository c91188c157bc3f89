package org.minipylib.wsgiserver.server;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;

/** Sending a file to a non-blocking socket by the operating system, waiting whenever the socket is full. */
final class FileTransfer {

    /** Waits until the socket may take more bytes. */
    interface WritableWait {
        void await() throws IOException;
    }

    private FileTransfer() {
    }

    /**
     * Sends {@code count} bytes of {@code file} from {@code position} with {@link FileChannel#transferTo},
     * calling {@code wait} when the socket takes nothing.
     *
     * @return the bytes sent: fewer than {@code count} if the file ended first
     */
    static long send(FileChannel file, long position, long count, WritableByteChannel socket, WritableWait wait)
            throws IOException {
        long done = 0;
        boolean waited = false;
        while (done < count) {
            long n = file.transferTo(position + done, count - done, socket);
            if (n > 0) {
                done += n;
                waited = false;
            } else if (waited || position + done >= file.size()) {
                // The file ended; or nothing went to a socket just reported writable, so it ended
                // where its size says more (a sysfs file, a stale size on a network file system):
                // the caller reads what is there. Waiting again would spin.
                break;
            } else {
                wait.await();
                waited = true;
            }
        }
        return done;
    }
}
