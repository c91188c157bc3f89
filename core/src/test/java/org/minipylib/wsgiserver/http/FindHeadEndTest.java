package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.minipylib.wsgiserver.http.ParsedHeads.bytes;

/** {@link RequestParser#findHeadEnd}: where a head ends in a buffer, found across reads and whatever its line ends. */
class FindHeadEndTest {

    @Test
    void findsTheEmptyLineAfterTheHeaders() {
        byte[] b = bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\nNEXT");
        assertEquals(b.length - 4, RequestParser.findHeadEnd(b, 0, 0, b.length));
    }

    @Test
    void incompleteHeadIsNotFound() {
        for (String partial : List.of("GET / HTTP/1.1", "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: a\r\n",
                "GET / HTTP/1.1\r\nHost: a\r\n\r")) {
            byte[] b = bytes(partial);
            assertEquals(-1, RequestParser.findHeadEnd(b, 0, 0, b.length), partial);
        }
    }

    @Test
    void resumesScanningWhereItLeftOffAcrossReads() {
        byte[] b = bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        int split = b.length - 1; // everything but the final LF has arrived
        assertEquals(-1, RequestParser.findHeadEnd(b, 0, 0, split));
        assertEquals(b.length, RequestParser.findHeadEnd(b, 0, split, b.length));
    }

    @Test
    void honoursAHeadStartInsideTheBuffer() {
        byte[] b = bytes("xx\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(b.length, RequestParser.findHeadEnd(b, 6, 6, b.length));
    }

    @Test
    void recognisesBareLfLineEndsSoTheyCanBeRefusedRatherThanWaitedOn() {
        byte[] b = bytes("GET / HTTP/1.1\nHost: a\n\n");
        assertEquals(b.length, RequestParser.findHeadEnd(b, 0, 0, b.length));
    }
}
