package org.minipylib.wsgiserver.server;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.ServerState;
import org.minipylib.wsgiserver.http.Transport;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The statistics wrapper around every connection's socket passes each call on as the same call: a
 * gathering write (response head + large body piece) must stay one gathering write, or the socket's
 * single {@code writev} becomes two {@code write}s.
 */
class CountingTransportTest {

    /** Records which Transport methods were called, and with how many bytes. */
    private static final class RecordingTransport implements Transport {
        final List<String> calls = new ArrayList<>();

        @Override
        public int read(byte[] b, int off, int len, int timeoutMillis) {
            calls.add("read " + len);
            b[off] = 'x';
            return 1;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            calls.add("write " + len);
        }

        @Override
        public void write(byte[] a, int aOff, int aLen, byte[] b, int bOff, int bLen) {
            calls.add("gathering write " + aLen + " + " + bLen);
        }

        @Override
        public void closeCleanly() {
            calls.add("closeCleanly");
        }

        @Override
        public boolean hasPendingInput() {
            return false;
        }

        @Override
        public void shutdownOutput() {
            calls.add("shutdownOutput");
        }

        @Override
        public SocketAddress localAddress() {
            return new InetSocketAddress("127.0.0.1", 80);
        }

        @Override
        public SocketAddress remoteAddress() {
            return new InetSocketAddress("127.0.0.1", 40000);
        }

        @Override
        public String scheme() {
            return "http";
        }

        @Override
        public void close() {
            calls.add("close");
        }
    }

    @Test
    void aGatheringWriteStaysOneCallAndIsCountedWhole() throws Exception {
        RecordingTransport socket = new RecordingTransport();
        ServerStatistics statistics = new ServerStatistics();
        CountingTransport counting = new CountingTransport(socket, statistics);

        counting.write(new byte[100], 10, 50, new byte[70000], 0, 65536);
        counting.write(new byte[10], 0, 10);
        counting.read(new byte[8], 0, 8, 0);
        counting.closeCleanly();

        assertEquals(List.of("gathering write 50 + 65536", "write 10", "read 8", "closeCleanly"), socket.calls);
        var stats = statistics.snapshot(ServerState.RUNNING, 0, 0, 0, 0);
        assertEquals(50 + 65536 + 10, stats.bytesWritten());
        assertEquals(1, stats.bytesRead());
    }
}
