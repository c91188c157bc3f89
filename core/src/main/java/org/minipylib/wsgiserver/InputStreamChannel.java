package org.minipylib.wsgiserver;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A channel over an input stream, as {@code Channels.newChannel(InputStream)} makes, for
 * {@link Environ#inputChannel()} over a stream that is not the server's: its reads are serialized
 * by a lock, not a monitor, since a read waits for the client and, before JDK 24, a virtual thread
 * that waits holding a monitor pins its carrier. A read waits at most once: it returns what the
 * first read of the stream gave, or -1 at the end. Closing closes the stream.
 */
final class InputStreamChannel implements ReadableByteChannel {

    private static final int MAX_READ = 8192;

    private final InputStream in;
    private final ReentrantLock readLock = new ReentrantLock();
    private byte[] buffer; // for a buffer without an accessible array; guarded by readLock
    private volatile boolean open = true;

    InputStreamChannel(InputStream in) {
        this.in = in;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (!open) throw new ClosedChannelException();
        int len = Math.min(dst.remaining(), MAX_READ);
        if (len == 0) return 0;
        readLock.lock();
        try {
            if (dst.hasArray()) {
                int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), len);
                if (n > 0) dst.position(dst.position() + n);
                return n;
            }
            if (buffer == null) buffer = new byte[MAX_READ];
            int n = in.read(buffer, 0, len);
            if (n > 0) dst.put(buffer, 0, n);
            return n;
        } finally {
            readLock.unlock();
        }
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() throws IOException {
        open = false;
        in.close();
    }
}
