package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.net.http.HttpResponse;
import javax.management.ObjectName;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** --status-path, --metrics-path, --health-path and --jmx mount the monitoring apps next to the application. */
@Timeout(60)
class MonitoringOptionsTest {

    @Test
    void monitoringAppsAreMountedNextToTheDemoApp() throws Exception {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", "--status-path", "/server-status",
                "--metrics-path", "/metrics", "--health-path", "/health", "--jmx")) {
            assertEquals("Hello, World!", cli.get("/plaintext").body(), "the demo app still serves its paths");
            HttpResponse<String> metrics = cli.get("/metrics");
            assertTrue(metrics.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain; version=0.0.4"));
            assertTrue(metrics.body().contains("\nwsgiserver_responses_total{code=\"200\"} 1\n"), metrics.body());
            assertTrue(cli.get("/metrics/json").body().contains("\"state\":\"RUNNING\""));
            assertTrue(cli.get("/server-status").body().contains("<title>wsgiserver status</title>"));
            assertEquals(200, cli.get("/health/readyz").statusCode());
            assertEquals(200, cli.get("/health/livez").statusCode());
            ObjectName bean = new ObjectName("org.minipylib.wsgiserver:type=Server,name=\"127.0.0.1:" + cli.server().port() + "\"");
            assertTrue(ManagementFactory.getPlatformMBeanServer().isRegistered(bean));
        }
    }

    @Test
    void withoutTheOptionsNothingIsMounted() throws Exception {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0")) {
            assertEquals(404, cli.get("/metrics").statusCode());
            assertFalse(cli.server().config().jmx());
        }
    }

    @Test
    void twoMonitoringAppsAtOnePathAreAUsageError() {
        CliRun.usageError("\"/ops\" is mounted twice", "--bind", "127.0.0.1:0", "--status-path", "/ops", "--metrics-path", "/ops");
    }

    @Test
    void aMountPathMustBeBelowTheRoot() {
        CliRun.usageError("--metrics-path must be a path below / such as /metrics, got '/'", "--bind", "127.0.0.1:0", "--metrics-path", "/");
        CliRun.usageError("--health-path must be a plain path", "--bind", "127.0.0.1:0", "--health-path", "/he%6clth");
        CliRun.usageError("--status-path must be a plain path", "--bind", "127.0.0.1:0", "--status-path", "/a?b");
    }
}
