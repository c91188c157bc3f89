package org.minipylib.wsgiserver.testing;

import org.minipylib.wsgiserver.http.Gateway;
import org.minipylib.wsgiserver.http.HttpResponse;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Gateways for tests that serve an {@code HttpConnection} without the WSGI layer. */
public final class TestGateways {

    private TestGateways() {
    }

    /** Answers 200 with the body {@code served <path>}, with a Content-Length. */
    public static Gateway servedPath() {
        return exchange -> {
            byte[] body = ("served " + exchange.request().path()).getBytes(StandardCharsets.US_ASCII);
            HttpResponse response = exchange.response();
            response.begin(200, "OK", List.of(), body.length);
            response.write(body, 0, body.length);
            response.finish();
        };
    }
}
