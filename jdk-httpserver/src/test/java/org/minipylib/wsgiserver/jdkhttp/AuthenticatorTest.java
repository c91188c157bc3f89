package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.BasicAuthenticator;
import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.testing.RawClient;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A context's {@link Authenticator} runs after the application's filters and before the handler:
 * a retry is a 401 with the challenge, a failure its own code, a success gives the handler the
 * principal; the connection stays usable after a refusal with an unread body.
 */
class AuthenticatorTest {

    private static final ServerFixture servers = new ServerFixture();
    private static final AtomicReference<Object> principalSeenByFilter = new AtomicReference<>("unset");
    private static int port;

    @BeforeAll
    static void start() throws IOException {
        HttpServer server = servers.ours();
        HttpContext basic = server.createContext("/basic", t ->
                TestHandlers.send(t, 200, 0, t.getPrincipal().getUsername() + "@" + t.getPrincipal().getRealm()));
        basic.setAuthenticator(new BasicAuthenticator("test", StandardCharsets.UTF_8) {
            @Override
            public boolean checkCredentials(String user, String password) {
                return user.equals("ann") && password.equals("secret");
            }
        });
        basic.getFilters().add(new Filter() {
            @Override
            public void doFilter(HttpExchange t, Chain chain) throws IOException {
                principalSeenByFilter.set(t.getPrincipal());
                chain.doFilter(t);
            }

            @Override
            public String description() {
                return "looks at the principal before authentication";
            }
        });
        HttpContext forbidden = server.createContext("/forbidden", t -> TestHandlers.send(t, 200, 0, "never"));
        forbidden.setAuthenticator(new Authenticator() {
            @Override
            public Result authenticate(HttpExchange exch) {
                return new Failure(403);
            }
        });
        server.start();
        port = ServerFixture.port(server);
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    private static RawClient.Response getBasic(RawClient c, String user, String password) throws IOException {
        String credentials = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        return c.send("GET /basic HTTP/1.1\r\nHost: h\r\nAuthorization: Basic " + credentials + "\r\n\r\n").read();
    }

    @Test
    void withoutCredentialsTheClientIsChallenged() throws IOException {
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            RawClient.Response r = c.send("POST /basic HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc").read();
            assertEquals(401, r.status());
            assertEquals("Basic realm=\"test\", charset=\"UTF-8\"", r.header("WWW-Authenticate"));
            assertEquals(401, getBasic(c, "ann", "guess").status());
        }
    }

    /** BasicAuthenticator cannot decode {@code Basic !!!}: the client's error, a 400, and the connection serves on. */
    @Test
    void credentialsThatAreNoBase64AreABadRequest() throws IOException {
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            RawClient.Response r = c.send("GET /basic HTTP/1.1\r\nHost: h\r\nAuthorization: Basic !!!\r\n\r\n").read();
            assertEquals(400, r.status());
            assertEquals(200, getBasic(c, "ann", "secret").status(), "the same connection, good credentials");
        }
    }

    @Test
    void goodCredentialsGiveTheHandlerThePrincipal() throws IOException {
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            RawClient.Response r = getBasic(c, "ann", "secret");
            assertEquals(200, r.status());
            assertEquals("ann@test", r.bodyText());
        }
        assertNull(principalSeenByFilter.get(), "application filters run before the authenticator");
    }

    @Test
    void aFailureIsAnsweredWithItsCode() throws IOException {
        try (RawClient c = new RawClient("127.0.0.1", port)) {
            RawClient.Response r = c.send("GET /forbidden HTTP/1.1\r\nHost: h\r\n\r\n").read();
            assertEquals(403, r.status());
            assertEquals("0", r.header("Content-Length"));
        }
    }
}
