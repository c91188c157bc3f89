package org.minipylib.wsgiserver.apps;

import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.StartResponse;

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

    /**
     * The {@code 405} for a method other than GET and HEAD, or null to go on: the monitoring
     * endpoints only read, so a POST must not pass for a health check nor a DELETE for a reset.
     */
    static Iterable<byte[]> refuseUnlessRead(Environ environ, StartResponse startResponse) {
        String method = environ.method();
        if (method.equals("GET") || method.equals("HEAD")) return null;
        return send(startResponse, "405 Method Not Allowed", "text/plain; charset=utf-8", "Method Not Allowed\n",
                Header.of("Allow", "GET, HEAD"));
    }

    static Iterable<byte[]> notFound(StartResponse startResponse) {
        return send(startResponse, "404 Not Found", "text/plain; charset=utf-8", "Not Found\n");
    }
}
