package org.minipylib.wsgiserver.apps;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * One gzip stream (RFC 1952): its header, the input deflated, and the trailer with the input's CRC-32
 * and size, handed out in pieces of at most a fixed size. Owns its {@link Deflater}: {@link #end()}
 * frees the deflater's native memory, and must be called once the stream is no longer needed, whether
 * it was finished or not.
 */
final class GzipEncoder {

    /** Magic, deflate, no flags, no time, no extra flags, operating system unknown. */
    private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};
    private static final int TRAILER_LENGTH = 8;

    private final Deflater deflater;
    private final CRC32 crc = new CRC32();
    private final byte[] out;
    private int filled;
    private long size;
    private boolean finishing;
    private boolean flushing;
    private boolean trailerWritten;
    private boolean ended;

    /** @param deflater a deflater for raw deflate data ({@code nowrap}), which this encoder ends */
    GzipEncoder(Deflater deflater, int pieceSize) {
        this.deflater = deflater;
        this.out = new byte[pieceSize];
        System.arraycopy(HEADER, 0, out, 0, HEADER.length);
        filled = HEADER.length;
    }

    /**
     * Gives the next input: its remaining bytes, which stay unread (no position moves) until
     * {@link #deflate()} reports them consumed; the buffer must not change until then.
     */
    void input(ByteBuffer data) {
        if (!deflater.needsInput()) throw new IllegalStateException("the previous input is not consumed yet");
        crc.update(data.duplicate());
        size += data.remaining();
        deflater.setInput(data.duplicate());
    }

    /**
     * Flushes the input given so far (a deflate sync flush): {@link #deflate()} then produces all of
     * it, decodable by the client without what follows, and reports it ready even short of a piece.
     */
    void flush() {
        flushing = true;
    }

    /** Ends the input: {@link #deflate()} then produces the rest of the stream and its trailer. */
    void finish() {
        deflater.finish();
        finishing = true;
        flushing = false; // the end flushes everything anyway
    }

    /**
     * Deflates what input there is into the output: true when a whole piece is ready to {@link #take()},
     * or after a {@link #flush()} all of the input flushed (if it made any output); false when the input
     * is consumed (or, once finishing, when the stream is complete), the output then holding less than a
     * piece.
     */
    boolean deflate() {
        while (true) {
            if (deflater.finished()) {
                if (trailerWritten) return false;
                if (out.length - filled < TRAILER_LENGTH) return true;
                writeTrailer();
                return false;
            }
            if (filled == out.length) return true;
            int space = out.length - filled;
            int n = deflater.deflate(out, filled, space, flushing ? Deflater.SYNC_FLUSH : Deflater.NO_FLUSH);
            filled += n;
            if (flushing && n < space) { // a sync flush is complete once it leaves output space unused
                flushing = false;
                if (filled > 0) return true;
            }
            if (n == 0 && deflater.needsInput() && !finishing) return false;
        }
    }

    /** The output so far (possibly none), which is then no longer held. */
    byte[] take() {
        byte[] piece = Arrays.copyOf(out, filled);
        filled = 0;
        return piece;
    }

    /** Frees the deflater; later calls do nothing. */
    void end() {
        if (ended) return;
        ended = true;
        deflater.end();
    }

    private void writeTrailer() {
        int value = (int) crc.getValue();
        for (int i = 0; i < 4; i++) out[filled++] = (byte) (value >>> (8 * i));
        int length = (int) size; // ISIZE: the input's size modulo 2^32
        for (int i = 0; i < 4; i++) out[filled++] = (byte) (length >>> (8 * i));
        trailerWritten = true;
    }
}
