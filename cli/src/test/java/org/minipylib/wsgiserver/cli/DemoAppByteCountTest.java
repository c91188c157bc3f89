package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pieces of {@code /bytes}: reading {@code n} from the query, and the streamed body. */
class DemoAppByteCountTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "n=0                 | 0",
        "n=1048576           | 1048576",
        "a=1&n=5&b=2         | 5",
        "n=5&n=6             | 5",
        "n=1073741824        | 1073741824",
        "''                  | -1",
        "n=                  | -1",
        "n=-1                | -1",
        "n=1073741825        | -1",
        "n=12345678901       | -1",
        "n=1x                | -1",
        "xn=1                | -1",
        "N=1                 | -1",
    })
    void readsN(String query, long expected) {
        assertEquals(expected, DemoApp.byteCount(query));
    }

    @Test
    void theBodyRepeatsTheSharedBlockThenCutsIt() {
        ByteBuffer block = ByteBuffer.allocateDirect(3).put(new byte[] {1, 2, 3}).flip();
        RepeatedBlockBody body = new RepeatedBlockBody(block, 8);
        assertEquals(8, body.length());
        List<ByteBuffer> buffers = new ArrayList<>();
        body.buffers().forEachRemaining(buffers::add);
        assertEquals(3, buffers.size());
        assertSame(buffers.get(0), buffers.get(1), "full chunks are the one shared block, not copies");
        assertTrue(buffers.get(0).isDirect() && buffers.get(0).isReadOnly(), "the block stays direct and is shared read-only");
        assertEquals(2, buffers.get(2).remaining(), "the last chunk is the start of the block");
        List<byte[]> arrays = new ArrayList<>();
        body.forEach(arrays::add); // what middleware iterating arrays sees
        assertArrayEquals(new byte[] {1, 2, 3}, arrays.get(0));
        assertArrayEquals(new byte[] {1, 2}, arrays.get(2));
        assertEquals(0, block.position(), "nothing moved the caller's buffer");
        assertFalse(new RepeatedBlockBody(block, 0).buffers().hasNext(), "an empty body has no chunks");
    }
}
