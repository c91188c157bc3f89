package org.minipylib.wsgiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link AccessLogEntry#jsonFormat()} stays one valid JSON object for any entry a custom AccessLog may build. */
class AccessLogJsonOddValuesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void oddTimesAndDurationsMakeValidJson() throws Exception {
        List<Instant> times = List.of(Instant.parse("1969-07-20T20:17:40.5Z"), Instant.parse("+10000-01-01T00:00:00Z"),
                Instant.parse("-0001-01-01T00:00:00Z"));
        List<Long> durations = List.of(0L, 999_999L, 1_000_000L, 59_999_999_999L, Long.MAX_VALUE, -1L, -1_000_000L,
                -1_500_000_000L, Long.MIN_VALUE);
        for (Instant time : times) {
            for (long nanos : durations) {
                String line = new AccessLogEntry("192.0.2.7", time, "GET / HTTP/1.1", 200, 1, null, null, nanos).jsonFormat();
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (Exception e) {
                    throw new AssertionError("not JSON for " + time + ", " + nanos + " ns: " + line, e);
                }
                double seconds = node.get("request_time").asDouble();
                assertTrue(node.get("request_time").isNumber(), line);
                assertEquals(Math.max(0, nanos) / 1_000_000 / 1000.0, seconds, 1e-9, line);
                assertTrue(node.get("time").isTextual(), line);
            }
        }
    }
}
