package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.BasicAuthenticator;
import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/** Handlers written against the JDK's API only, mounted the same way on our server and the JDK's. */
final class TestHandlers {

    private TestHandlers() {
    }

    /** Mounts every handler below on {@code server} under {@code /t/}. */
    static void mountAll(HttpServer server) {
        server.createContext("/t/fixed", TestHandlers::fixed);
        server.createContext("/t/chunked", TestHandlers::chunked);
        server.createContext("/t/empty", t -> send(t, 200, -1, null));
        server.createContext("/t/nocontent", t -> send(t, 204, -1, null));
        server.createContext("/t/notmodified", t -> {
            t.getResponseHeaders().set("ETag", "\"v1\"");
            send(t, 304, -1, null);
        });
        server.createContext("/t/headlength", t -> {
            t.getResponseHeaders().set("Content-Length", "5");
            boolean head = t.getRequestMethod().equals("HEAD");
            send(t, 200, head ? -1 : 5, head ? null : "hello");
        });
        server.createContext("/t/created", t -> {
            t.getResponseHeaders().set("Location", "/t/things/1");
            t.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            send(t, 201, 4, "made");
        });
        server.createContext("/t/teapot", t -> send(t, 418, 0, "short and stout"));
        server.createContext("/t/echo", TestHandlers::echo);
        server.createContext("/t/auth", t -> send(t, 200, 0, "hello " + t.getPrincipal().getUsername()))
                .setAuthenticator(new BasicAuthenticator("diff", StandardCharsets.UTF_8) {
                    @Override
                    public boolean checkCredentials(String user, String password) {
                        return user.equals("ann") && password.equals("secret");
                    }
                });
        server.createContext("/t/", t -> send(t, 200, 0, "prefix " + t.getHttpContext().getPath()));
        server.createContext("/t/proxyauth", t -> send(t, 200, 0, "through"))
                .setAuthenticator(new Authenticator() {
                    @Override
                    public Result authenticate(HttpExchange t) {
                        t.getResponseHeaders().set("Proxy-Authenticate", "Basic realm=\"proxy\"");
                        return t.getRequestHeaders().containsKey("X-Let-Me") ? new Failure(403) : new Retry(407);
                    }
                });
        HttpContext filtered = server.createContext("/t/filtered", t -> send(t, 200, 0, "filtered"));
        filtered.getFilters().add(Filter.beforeHandler("tags the response", t -> t.getResponseHeaders().add("X-Filter", "before")));
        filtered.setAuthenticator(new Authenticator() {
            @Override
            public Result authenticate(HttpExchange t) {
                return new Failure(403);
            }
        });
        server.createContext("/t/closedearly", TestHandlers::closedEarly);
        server.createContext("/t/ownlength", t -> {
            t.getResponseHeaders().set("Content-Length", "5");
            send(t, 200, -1, null);
        });
    }

    /** Lets a handler of {@code /t/closedearly} return: the client has its answer. */
    static final Semaphore ANSWERED = new Semaphore(0);

    /**
     * Wraps the request body (as a filter may) in a stream whose close fails, sends the response,
     * closes the exchange, and works on until the client has the answer (at most 10 s).
     */
    static void closedEarly(HttpExchange t) throws IOException {
        t.setStreams(new FilterInputStream(t.getRequestBody()) {
            @Override
            public void close() throws IOException {
                throw new IOException("this wrapper fails to close");
            }
        }, null);
        t.sendResponseHeaders(200, 5);
        t.getResponseBody().write("early".getBytes(StandardCharsets.US_ASCII));
        t.close();
        try {
            ANSWERED.tryAcquire(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** 5 bytes with their length; writes them even for HEAD (the server must drop them). */
    static void fixed(HttpExchange t) throws IOException {
        t.getResponseHeaders().set("Content-Type", "text/plain");
        t.sendResponseHeaders(200, 5);
        try (OutputStream out = t.getResponseBody()) {
            out.write("hello".getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** Chunked, in two pieces with a flush between. */
    static void chunked(HttpExchange t) throws IOException {
        t.sendResponseHeaders(200, 0);
        try (OutputStream out = t.getResponseBody()) {
            out.write("hel".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            out.write("lo".getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** The request as the handler sees it, and its body, in a fixed-length response. */
    static void echo(HttpExchange t) throws IOException {
        byte[] body = t.getRequestBody().readAllBytes();
        List<String> multi = t.getRequestHeaders().get("x-multi");
        t.getResponseHeaders().set("X-Method", t.getRequestMethod());
        t.getResponseHeaders().set("X-Uri", t.getRequestURI().toString());
        t.getResponseHeaders().set("X-Path", t.getRequestURI().getPath());
        t.getResponseHeaders().set("X-Protocol", t.getProtocol());
        t.getResponseHeaders().set("X-Multi", multi == null ? "none" : String.join("|", multi));
        t.getResponseHeaders().set("X-Context", t.getHttpContext().getPath());
        t.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
        try (OutputStream out = t.getResponseBody()) {
            if (body.length > 0) out.write(body);
        }
    }

    /** Sends {@code text} (ISO-8859-1) with {@code length} as given to sendResponseHeaders, and closes. */
    static void send(HttpExchange t, int status, long length, String text) throws IOException {
        t.sendResponseHeaders(status, length);
        try (OutputStream out = t.getResponseBody()) {
            if (text != null) out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        }
    }
}
