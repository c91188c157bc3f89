package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.http.HttpLimits;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.http.MinDataRate;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The defaults the README's "Configuration, limits and defaults" tables and docs/http-compliance.md
 * quote are the library's: each row's default cell, read from the Markdown, against
 * {@link ServerConfig}, {@link HttpLimits#defaults()} and {@link HttpTimeouts#defaults()}. A default
 * changed in the code and not in the documents (or the other way round) fails here.
 */
class DocumentedDefaultsTest {

    private static final ServerConfig CONFIG = ServerConfig.builder().build();
    private static final HttpLimits LIMITS = HttpLimits.defaults();
    private static final HttpTimeouts TIMEOUTS = HttpTimeouts.defaults();

    @Test
    void readmeServerConfigTable() throws IOException {
        List<String> readme = lines("README.md");
        InetSocketAddress bind = (InetSocketAddress) CONFIG.bindAddresses().get(0);
        assertDefault(readme, "bind(host, port)", "`" + bind.getHostString() + ":" + bind.getPort() + "`");
        assertDefault(readme, "workerMode", "`" + CONFIG.workerMode() + "`");
        assertDefault(readme, "directSocketCalls", "`" + CONFIG.directSocketCalls() + "`");
        assertDefault(readme, "minThreads", CONFIG.minThreads() + " / " + CONFIG.maxThreads());
        assertDefault(readme, "threadIdleTimeout", seconds(CONFIG.threadIdleTimeout()));
        assertDefault(readme, "acceptQueueSize", count(CONFIG.acceptQueueSize()));
        assertDefault(readme, "maxConnections", count(CONFIG.maxConnections()));
        assertEquals(Runtime.getRuntime().maxMemory() / 4, CONFIG.maxStalledWriteMemory());
        assertDefault(readme, "maxStalledWriteMemory", "a quarter of the heap");
        assertDefault(readme, "acceptBacklog", count(CONFIG.acceptBacklog()));
        assertEquals(0, CONFIG.maxRequestsPerConnection());
        assertDefault(readme, "maxRequestsPerConnection", "0 (no limit)");
        assertEquals(Duration.ZERO, CONFIG.maxConnectionAge());
        assertDefault(readme, "maxConnectionAge", "0 (no limit)");
        assertDefault(readme, "shutdownTimeout", seconds(CONFIG.shutdownTimeout()));
        assertEquals(Duration.ZERO, CONFIG.drainDelay());
        assertDefault(readme, "drainDelay", "0");
        assertEquals("wsgiserver/" + Version.VERSION, CONFIG.serverHeader());
        assertDefault(readme, "serverHeader", "`wsgiserver/VERSION`");
        assertEquals(null, CONFIG.accessLog());
        assertDefault(readme, "accessLog", "off");
        assertEquals(false, CONFIG.jmx());
        assertDefault(readme, "jmx", "off");
        assertEquals(ListenOptions.DEFAULT_DEFER_ACCEPT, CONFIG.listenOptions().deferAccept());
        assertDefault(readme, "listenOptions(ListenOptions)", "`deferAccept` " + seconds(ListenOptions.DEFAULT_DEFER_ACCEPT) + ", the rest off");
        assertEquals(ServerConfig.AUTO_READINESS_LOOPS, CONFIG.readinessLoops());
    }

    @Test
    void readmeLimitsAndTimeoutsTables() throws IOException {
        List<String> readme = lines("README.md");
        assertLimits(readme);
        assertTimeouts(readme);
        assertDefault(readme, "compliance", "`HttpCompliance.strict()`");
        assertEquals(org.minipylib.wsgiserver.http.HttpCompliance.strict(), LIMITS.compliance());
    }

    @Test
    void httpComplianceDocumentTables() throws IOException {
        List<String> doc = lines("docs/http-compliance.md");
        assertLimits(doc);
        assertTimeouts(doc);
        assertDefault(doc, "maxConnections", count(CONFIG.maxConnections()));
        assertDefault(doc, "maxThreads", CONFIG.maxThreads() + " / " + count(CONFIG.acceptQueueSize()));
    }

    private static void assertLimits(List<String> doc) {
        assertDefault(doc, "maxRequestLineLength", size(LIMITS.maxRequestLineLength()));
        assertDefault(doc, "maxHeaderSectionSize", size(LIMITS.maxHeaderSectionSize()));
        assertDefault(doc, "maxHeaderCount", count(LIMITS.maxHeaderCount()));
        assertDefault(doc, "maxBodySize", size(LIMITS.maxBodySize()));
        assertDefault(doc, "maxDrainSize", size(LIMITS.maxDrainSize()));
        assertDefault(doc, "maxChunkExtensionLength", size(LIMITS.maxChunkExtensionLength()));
        assertDefault(doc, "maxPipelinedRequestsPerTurn", count(LIMITS.maxPipelinedRequestsPerTurn()));
        assertEquals(Runtime.getRuntime().maxMemory() / 4, LIMITS.maxHeadMemory());
        assertDefault(doc, "maxHeadMemory", "a quarter of the heap");
    }

    private static void assertTimeouts(List<String> doc) {
        assertDefault(doc, "requestHead", seconds(TIMEOUTS.requestHead()));
        assertDefault(doc, "bodyRead", seconds(TIMEOUTS.bodyRead()));
        assertDefault(doc, "write", seconds(TIMEOUTS.write()));
        assertDefault(doc, "keepAlive", seconds(TIMEOUTS.keepAlive()));
        assertDefault(doc, "handshake", seconds(TIMEOUTS.handshake()));
        assertDefault(doc, "drain", seconds(TIMEOUTS.drain()));
        MinDataRate rate = TIMEOUTS.minBodyRate();
        String cell = cell(doc, "minBodyRate");
        String grace = seconds(rate.grace());
        assertTrue(cell.equals(rate.bytesPerSecond() + " bytes/s after " + grace)
                        || cell.equals(rate.bytesPerSecond() + " bytes/s after a " + grace + " grace period"),
                "minBodyRate's default is " + rate + ", the document says: " + cell);
    }

    /** The default cell of the row for {@code name} is {@code expected}, or starts with it and a space ("100 fields"). */
    private static void assertDefault(List<String> doc, String name, String expected) {
        String cell = cell(doc, name);
        assertTrue(cell.equals(expected) || cell.startsWith(expected + " "),
                () -> "the default of " + name + " is " + expected + ", the document says: " + cell);
    }

    /** The second cell of every table row whose first cell starts with {@code `name`}; all of them must agree. */
    private static String cell(List<String> doc, String name) {
        List<String> cells = new ArrayList<>();
        for (String line : doc) {
            if (!line.startsWith("| `" + name + "`")) continue;
            String[] parts = line.split("\\|");
            cells.add(parts[2].trim());
        }
        if (cells.isEmpty()) fail("no table row for " + name);
        for (String c : cells) assertEquals(cells.get(0), c, "two rows for " + name + " disagree");
        return cells.get(0);
    }

    private static List<String> lines(String file) throws IOException {
        Path path = Path.of("..").resolve(file); // tests run in the module's directory
        if (!Files.exists(path)) path = Path.of(file);
        return Files.readAllLines(path);
    }

    private static String size(long bytes) {
        if (bytes % (1024 * 1024) == 0) return bytes / (1024 * 1024) + " MiB";
        if (bytes % 1024 == 0) return bytes / 1024 + " KiB";
        return Long.toString(bytes);
    }

    private static String seconds(Duration d) {
        assertEquals(0, d.toMillisPart(), d + " in whole seconds");
        return d.toSeconds() + " s";
    }

    /** As the documents write counts: a space between thousands from 10 000 on. */
    private static String count(long n) {
        return n >= 10_000 ? String.format(java.util.Locale.ROOT, "%,d", n).replace(',', ' ') : Long.toString(n);
    }
}
