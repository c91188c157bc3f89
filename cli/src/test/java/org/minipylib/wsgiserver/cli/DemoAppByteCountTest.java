package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

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
        byte[] block = {1, 2, 3};
        List<byte[]> chunks = new ArrayList<>();
        new RepeatedBlockBody(block, 8).forEach(chunks::add);
        assertEquals(3, chunks.size());
        assertSame(block, chunks.get(0), "full chunks are the shared block itself");
        assertSame(block, chunks.get(1));
        assertArrayEquals(new byte[] {1, 2}, chunks.get(2), "the last chunk is the start of the block");
        assertFalse(new RepeatedBlockBody(block, 0).iterator().hasNext(), "an empty body has no chunks");
    }
}
