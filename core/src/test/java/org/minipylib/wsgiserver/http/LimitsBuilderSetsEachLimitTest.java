package org.minipylib.wsgiserver.http;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link HttpLimits#builder()} starts from the defaults, each setter reaches its own component,
 * {@link HttpLimits#toBuilder()} copies every limit, and {@code build()} checks them as the record does.
 */
class LimitsBuilderSetsEachLimitTest {

    private static final HttpCompliance RELAXED = HttpCompliance.strict().relaxing(ComplianceViolation.OBS_FOLD);

    @Test
    void startsFromTheDefaults() {
        HttpLimits limits = HttpLimits.builder().build();
        assertEquals(8 * 1024, limits.maxRequestLineLength());
        assertEquals(32 * 1024, limits.maxHeaderSectionSize());
        assertEquals(100, limits.maxHeaderCount());
        assertEquals(64L * 1024 * 1024, limits.maxBodySize());
        assertEquals(64 * 1024, limits.maxDrainSize());
        assertEquals(1024, limits.maxChunkExtensionLength());
        assertEquals(HttpCompliance.strict(), limits.compliance());
        assertEquals(HttpLimits.DEFAULT_MAX_PIPELINED_REQUESTS_PER_TURN, limits.maxPipelinedRequestsPerTurn());
        assertEquals(HttpLimits.DEFAULT_MAX_HEAD_MEMORY, limits.maxHeadMemory());
        assertEquals(HttpLimits.defaults(), limits);
    }

    @Test
    void eachSetterSetsItsOwnLimit() {
        assertEquals(new HttpLimits(1, 2, 3, 4, 5, 6, RELAXED, 7, 8), allSet());
    }

    @Test
    void toBuilderCopiesEveryLimit() {
        HttpLimits limits = allSet();
        assertEquals(limits, limits.toBuilder().build());
        assertEquals(limits.withMaxBodySize(99), limits.toBuilder().maxBodySize(99).build());
    }

    @Test
    void buildChecksTheLimits() {
        assertThrows(IllegalArgumentException.class, () -> HttpLimits.builder().maxHeaderCount(0).build());
        assertThrows(IllegalArgumentException.class, () -> HttpLimits.builder().maxDrainSize(-1).build());
        assertThrows(NullPointerException.class, () -> HttpLimits.builder().compliance(null).build());
    }

    private static HttpLimits allSet() {
        return HttpLimits.builder().maxRequestLineLength(1).maxHeaderSectionSize(2).maxHeaderCount(3)
                .maxBodySize(4).maxDrainSize(5).maxChunkExtensionLength(6).compliance(RELAXED)
                .maxPipelinedRequestsPerTurn(7).maxHeadMemory(8).build();
    }
}
