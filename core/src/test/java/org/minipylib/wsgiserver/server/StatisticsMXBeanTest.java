package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.WsgiServerMXBean;
import org.minipylib.wsgiserver.testing.Poll;
import org.minipylib.wsgiserver.testing.RawClient;
import org.minipylib.wsgiserver.testing.WsgiTestApps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minipylib.wsgiserver.apps.MetricsApp;

import java.lang.management.ManagementFactory;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import javax.management.JMX;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.TabularData;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.testing.WsgiTestApps.get;

/** With jmx on, a server is visible on the platform MBean server while it runs, and gone after stop. */
class StatisticsMXBeanTest {

    private static final MBeanServer MBEANS = ManagementFactory.getPlatformMBeanServer();

    @Test
    void registeredWhileRunningWithLiveAttributesAndUnregisteredOnStop() throws Exception {
        WsgiServer server = WsgiServer.builder(WsgiTestApps.text("200 OK", "hi")).bind("127.0.0.1", 0).jmx(true)
                .build().start();
        ObjectName name = new ObjectName("org.minipylib.wsgiserver:type=Server,name=\"127.0.0.1:" + server.port() + "\"");
        try {
            assertTrue(MBEANS.isRegistered(name), name + " registered");
            try (RawClient client = new RawClient("127.0.0.1", server.port())) {
                for (int i = 0; i < 2; i++) {
                    client.send(get("/"));
                    assertEquals(200, client.read().status());
                }
            }
            WsgiServerMXBean bean = JMX.newMXBeanProxy(MBEANS, name, WsgiServerMXBean.class);
            Poll.until(bean::getRequests, n -> n == 2, "two requests over JMX");
            assertEquals("RUNNING", bean.getState());
            assertEquals(1, bean.getAccepts());
            assertEquals(Map.of("200", 2L), bean.getResponsesByStatus());
            assertEquals(2L, bean.getLatencyBuckets().get("+Inf"));
            assertTrue(bean.getLatencyBuckets().containsKey("0.0001") && bean.getLatencyBuckets().containsKey("1"),
                    () -> "the labels /metrics uses: " + bean.getLatencyBuckets().keySet());
            assertTrue(bean.getBytesRead() > 0 && bean.getBytesWritten() > 0);
            // What a JMX console sees: open types
            assertEquals(2L, MBEANS.getAttribute(name, "Requests"));
            assertTrue(MBEANS.getAttribute(name, "ResponsesByStatus") instanceof TabularData);
        } finally {
            server.stop();
        }
        assertFalse(MBEANS.isRegistered(name), "unregistered on stop");
    }

    @Test
    void aServerOnAUnixSocketIsNamedByItsPathAndCountsItsBytes(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("app.sock");
        WsgiServer server = WsgiServer.builder(WsgiTestApps.text("200 OK", "hi")).bind(UnixDomainSocketAddress.of(socket))
                .jmx(true).mount("/metrics", MetricsApp::new).build().start();
        ObjectName name = new ObjectName("org.minipylib.wsgiserver:type=Server,name=\"unix:" + socket + "\"");
        try {
            assertTrue(MBEANS.isRegistered(name), name + " registered");
            String request = get("/metrics/json", "Connection: close\r\n");
            String response = UnixDomainSocketTest.exchange(socket, request);
            assertTrue(response.contains("\"addresses\":[\"unix:" + socket + "\"]"), response);
            WsgiServerMXBean bean = JMX.newMXBeanProxy(MBEANS, name, WsgiServerMXBean.class);
            Poll.until(bean::getRequests, n -> n == 1, "one request over JMX");
            assertEquals(request.length(), bean.getBytesRead());
            assertEquals(response.length(), bean.getBytesWritten());
        } finally {
            server.stop();
        }
        assertFalse(MBEANS.isRegistered(name), "unregistered on stop");
    }

    @Test
    void notRegisteredUnlessAskedFor() throws Exception {
        try (WsgiServer server = WsgiServer.builder(WsgiTestApps.text("200 OK", "hi")).bind("127.0.0.1", 0).build().start()) {
            assertFalse(MBEANS.isRegistered(StatisticsMXBean.nameFor(server.addresses().get(0))));
        }
    }
}
