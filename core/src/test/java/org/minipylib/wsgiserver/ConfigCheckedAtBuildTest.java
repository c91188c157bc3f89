package org.minipylib.wsgiserver;

import org.minipylib.wsgiserver.http.HttpLimits;
import org.minipylib.wsgiserver.testing.RawClient;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Settings are checked when the server is built, not found wrong in service: those that cannot
 * work (a zero or negative thread idle timeout, a Server header or server name that would break
 * the response, a mount where the main application is or at a malformed path, a mount whose
 * factory makes no application, a null configuration, a minimum of threads above the maximum)
 * are refused there; the largest value of each limit either serves or is refused by its name; a
 * copied pool configuration keeps its minimum unless a new maximum is below it.
 */
class ConfigCheckedAtBuildTest {

    private static final WsgiApp HELLO = (env, sr) -> {
        sr.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
        return List.of(("hello from " + env.serverName() + ":" + env.serverPort()).getBytes(StandardCharsets.US_ASCII));
    };

    @Test
    void settingsThatCannotWorkAreRefusedAtBuild() {
        assertThrows(IllegalArgumentException.class, () -> WsgiServer.builder(HELLO).threadIdleTimeout(Duration.ZERO).build());
        assertThrows(IllegalArgumentException.class, () -> WsgiServer.builder(HELLO).threadIdleTimeout(Duration.ofSeconds(-1)).build());
        assertThrows(IllegalArgumentException.class, () -> WsgiServer.builder(HELLO).serverHeader("x\r\nSet-Cookie: a=1").build());
        assertEquals("a\tb", WsgiServer.builder(HELLO).serverHeader("a\tb").build().config().serverHeader());
    }

    @Test
    void mountsThatCannotWorkAreRefusedAtBuild() {
        IllegalArgumentException root = assertThrows(IllegalArgumentException.class,
                () -> WsgiServer.builder(HELLO).mountApp("", HELLO));
        assertTrue(root.getMessage().contains("is the root, where the main application is mounted"), root.getMessage());
        assertThrows(IllegalArgumentException.class, () -> WsgiServer.builder(HELLO).mount("//", status -> HELLO));
        NullPointerException nothing = assertThrows(NullPointerException.class,
                () -> WsgiServer.builder(HELLO).bind("127.0.0.1", 0).mount("/status", status -> null).build());
        assertEquals("the application made for \"/status\" is null", nothing.getMessage());
        assertEquals("config", assertThrows(NullPointerException.class, () -> new WsgiServer(HELLO, null)).getMessage());
    }

    @Test
    void serverNameMustBeANameForUrls() {
        assertThrows(IllegalArgumentException.class, () -> WsgiServer.builder(HELLO).serverName("").build());
        assertThrows(IllegalArgumentException.class, () -> WsgiServer.builder(HELLO).serverName("a\r\nb").build());
    }

    /** What users write for "no bound": each limit's largest value works, or is refused at build with its name. */
    @Test
    void theLargestLimitsServeOrAreRefusedByName() throws Exception {
        try (WsgiServer server = WsgiServer.builder(HELLO).bind("127.0.0.1", 0).workerMode(WorkerMode.POOL)
                .acceptQueueSize(Integer.MAX_VALUE).build().start();
             RawClient client = new RawClient("127.0.0.1", server.port())) {
            assertEquals(200, client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read().status(), "not a 503: no overflow");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HttpLimits.defaults().withMaxRequestLineLength(1 << 30).withMaxHeaderSectionSize(1 << 30));
        assertTrue(e.getMessage().startsWith("maxRequestLineLength + maxHeaderSectionSize must be at most"), e.getMessage());
        HttpLimits largest = HttpLimits.defaults().withMaxRequestLineLength(1 << 30)
                .withMaxHeaderSectionSize(HttpLimits.MAX_LINE_AND_SECTION - (1 << 30));
        try (WsgiServer server = WsgiServer.builder(HELLO).bind("127.0.0.1", 0).limits(largest).build().start();
             RawClient client = new RawClient("127.0.0.1", server.port())) {
            client.send("GET / HTTP/1.1\r\n");
            Thread.sleep(50); // the head in two reads: the limit is checked against what is buffered
            assertEquals(200, client.send("Host: x\r\n\r\n").read().status());
        }
    }

    @Test
    void aCopiedPoolConfigKeepsItsMinimumUnlessANewMaximumIsBelowIt() {
        ServerConfig base = ServerConfig.builder().workerMode(WorkerMode.POOL).build();
        assertEquals(10, base.minThreads());
        assertEquals(5, base.toBuilder().maxThreads(5).build().minThreads(), "lowered to the new maximum, not refused");
        ServerConfig four = ServerConfig.builder().workerMode(WorkerMode.POOL).minThreads(4).maxThreads(4).build();
        assertEquals(4, four.toBuilder().maxThreads(100).build().minThreads(), "a minimum set is kept, never raised");
        assertThrows(IllegalArgumentException.class, () -> base.toBuilder().minThreads(8).maxThreads(5).build(),
                "a minimum given to the copy itself must fit");
    }
}
