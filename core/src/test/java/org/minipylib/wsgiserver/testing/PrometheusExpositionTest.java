package org.minipylib.wsgiserver.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The test-side reader of the Prometheus text format accepts the format's own example and refuses what the format forbids. */
class PrometheusExpositionTest {

    /** The example of https://prometheus.io/docs/instrumenting/exposition_formats/ (text format 0.0.4). */
    private static final String SPEC_EXAMPLE = """
            # HELP http_requests_total The total number of HTTP requests.
            # TYPE http_requests_total counter
            http_requests_total{method="post",code="200"} 1027 1395066363000
            http_requests_total{method="post",code="400"}    3 1395066363000

            # Escaping in label values:
            msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9

            # Minimalistic line:
            metric_without_timestamp_and_labels 12.47

            # A weird metric from before the epoch:
            something_weird{problem="division by zero"} +Inf -3982045

            # A histogram, which has a pretty complex representation in the text format:
            # HELP http_request_duration_seconds A histogram of the request duration.
            # TYPE http_request_duration_seconds histogram
            http_request_duration_seconds_bucket{le="0.05"} 24054
            http_request_duration_seconds_bucket{le="0.1"} 33444
            http_request_duration_seconds_bucket{le="0.2"} 100392
            http_request_duration_seconds_bucket{le="0.5"} 129389
            http_request_duration_seconds_bucket{le="1"} 133988
            http_request_duration_seconds_bucket{le="+Inf"} 144320
            http_request_duration_seconds_sum 53423
            http_request_duration_seconds_count 144320
            """;

    @Test
    void acceptsTheFormatsOwnExample() {
        Map<String, PrometheusExposition.Family> families = PrometheusExposition.parse(SPEC_EXAMPLE);
        assertEquals(3, PrometheusExposition.value(families, "http_requests_total", "method", "post", "code", "400"));
        assertEquals("C:\\DIR\\FILE.TXT", families.get("msdos_file_access_time_seconds").samples().get(0).labels().get("path"));
        assertEquals(Double.POSITIVE_INFINITY, PrometheusExposition.value(families, "something_weird", "problem", "division by zero"));
        assertEquals("histogram", families.get("http_request_duration_seconds").type());
        assertEquals(8, families.get("http_request_duration_seconds").samples().size());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "no final newline            | a 1",
        "bad metric name             | 1a 1\\n",
        "bad value                   | a one\\n",
        "unquoted label value        | a{b=c} 1\\n",
        "label twice                 | a{b=\"1\",b=\"2\"} 1\\n",
        "reserved label name         | a{__b=\"1\"} 1\\n",
        "duplicate series            | a 1\\na 2\\n",
        "TYPE after samples          | a 1\\n# TYPE a gauge\\n",
        "TYPE twice                  | # TYPE a gauge\\n# TYPE a gauge\\na 1\\n",
        "unknown type                | # TYPE a meter\\na 1\\n",
        "family split in two         | a 1\\nb 1\\na{x=\"y\"} 1\\n",
        "buckets not cumulative      | # TYPE h histogram\\nh_bucket{le=\"1\"} 5\\nh_bucket{le=\"+Inf\"} 4\\nh_count 4\\n",
        "no +Inf bucket              | # TYPE h histogram\\nh_bucket{le=\"1\"} 5\\nh_count 5\\n",
        "+Inf bucket is not _count   | # TYPE h histogram\\nh_bucket{le=\"+Inf\"} 5\\nh_count 6\\n",
        "buckets out of order        | # TYPE h histogram\\nh_bucket{le=\"2\"} 1\\nh_bucket{le=\"1\"} 1\\nh_bucket{le=\"+Inf\"} 1\\nh_count 1\\n",
    })
    void refusesWhatTheFormatForbids(String what, String text) {
        AssertionError e = assertThrows(AssertionError.class, () -> PrometheusExposition.parse(text.replace("\\n", "\n")), what);
        assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
    }
}
