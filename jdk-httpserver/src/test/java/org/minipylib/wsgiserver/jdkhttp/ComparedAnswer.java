package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.HttpServer;
import org.minipylib.wsgiserver.testing.RawClient;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the differential tests compare of one response: the status, the named headers (those each
 * server sets on its own, such as {@code Date}, left out) and the body as ISO-8859-1 text.
 */
record ComparedAnswer(int status, Map<String, String> headers, String body) {

    /** {@code r}'s status, body and those of {@code compared} (lower-case names) that it has. */
    static ComparedAnswer of(RawClient.Response r, List<String> compared) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (String name : compared) {
            String value = r.header(name);
            if (value != null) headers.put(name, value);
        }
        return new ComparedAnswer(r.status(), headers, r.bodyText());
    }

    /** The answer of {@code server} to {@code request}, sent on a new connection ({@code head}: the answer has no body). */
    static ComparedAnswer ask(HttpServer server, String request, boolean head, List<String> compared) throws IOException {
        try (RawClient client = new RawClient("127.0.0.1", ServerFixture.port(server)).timeout(5000)) {
            return of(client.send(request).read(head), compared);
        }
    }
}
