package org.minipylib.wsgiserver.server;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.WsgiTestApps;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * An IPv4 address is listened on by an IPv4 socket: the JDK's default, an IPv6 one, bound to
 * {@code 0.0.0.0} listens on {@code [::]}, IPv6 too, which {@code --bind 0.0.0.0:PORT} did not ask
 * for. Seen in the kernel's own tables (Linux {@code /proc/net/tcp} and {@code tcp6}) for a loopback
 * address, which a test may bind.
 */
class Ipv4ListenerTest {

    @Test
    void anIpv4AddressIsListenedOnByAnIpv4Socket() throws Exception {
        Path tcp = Path.of("/proc/net/tcp");
        Path tcp6 = Path.of("/proc/net/tcp6");
        assumeTrue(Files.isReadable(tcp) && Files.isReadable(tcp6), "Linux's socket tables");
        try (WsgiServer server = WsgiServer.builder(WsgiTestApps.text("200 OK", "v4")).bind("127.0.0.1", 0).build().start()) {
            String port = String.format(Locale.ROOT, ":%04X ", server.port());
            assertTrue(listens(tcp, port), "an IPv4 socket listens on port " + server.port());
            assertEquals(false, listens(tcp6, port), "no IPv6 socket does");
            try (RawClient client = new RawClient("127.0.0.1", server.port())) {
                assertEquals("v4", client.send(WsgiTestApps.get("/")).read().bodyText());
            }
        }
    }

    /** True if the table has a listening socket (state 0A) whose local address ends in {@code port}. */
    private static boolean listens(Path table, String port) throws Exception {
        List<String> lines = Files.readAllLines(table);
        return lines.stream().skip(1).map(String::trim).map(l -> l.split("\\s+"))
                .anyMatch(f -> f.length > 3 && (f[1] + " ").endsWith(port) && f[3].equals("0A"));
    }
}
