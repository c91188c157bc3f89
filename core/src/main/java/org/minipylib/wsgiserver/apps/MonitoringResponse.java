package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.StartResponse;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** How the monitoring applications answer: a complete, never-cached body. */
final class MonitoringResponse {

    private MonitoringResponse() {
    }

    static Iterable<byte[]> send(StartResponse startResponse, String status, String contentType, String body,
                                 Header... extraHeaders) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        List<Header> headers = new ArrayList<>(3 + extraHeaders.length);
        headers.add(Header.of("Content-Type", contentType));
        headers.add(Header.of("Cache-Control", "no-store"));
        headers.add(Header.of("X-Content-Type-Options", "nosniff"));
        headers.addAll(Arrays.asList(extraHeaders));
        startResponse.start(status, headers);
        return List.of(bytes);
    }

    static Iterable<byte[]> notFound(StartResponse startResponse) {
        return send(startResponse, "404 Not Found", "text/plain; charset=utf-8", "Not Found\n");
    }

    /** A number without exponent or needless zeros: {@code 0.0001}, {@code 1}, {@code 2.5}. */
    static String number(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) return Long.toString((long) value);
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }
}
