package org.minipylib.wsgiserver.server;

import org.minipylib.wsgiserver.HostAddress;
import org.minipylib.wsgiserver.ServerStats;
import org.minipylib.wsgiserver.ServerStatus;
import org.minipylib.wsgiserver.WsgiServerMXBean;

import java.lang.management.ManagementFactory;
import java.net.SocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * A server's {@link WsgiServerMXBean}: each attribute reads a fresh snapshot from the server.
 * {@link #register} puts it on the platform MBean server under a name made of the server's first
 * address; {@link #unregister} takes it off.
 */
public final class StatisticsMXBean implements WsgiServerMXBean {

    private static final System.Logger LOG = System.getLogger(StatisticsMXBean.class.getName());

    private final ServerStatus server;
    private ObjectName name;

    public StatisticsMXBean(ServerStatus server) {
        this.server = server;
    }

    /**
     * The JMX name for a server whose first address is {@code address}:
     * {@code org.minipylib.wsgiserver:type=Server,name="HOST:PORT"} (or {@code name="unix:/path"}).
     */
    public static ObjectName nameFor(SocketAddress address) {
        try {
            return new ObjectName("org.minipylib.wsgiserver:type=Server,name=" + ObjectName.quote(HostAddress.text(address)));
        } catch (JMException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /**
     * Registers this bean under the server's first address. A failure, such as a second server with
     * the same name, is logged, not thrown: monitoring must not stop a server from serving.
     */
    public void register() {
        ObjectName n = nameFor(server.listeningAddresses().get(0));
        try {
            ManagementFactory.getPlatformMBeanServer().registerMBean(this, n);
            name = n;
        } catch (JMException e) {
            LOG.log(System.Logger.Level.WARNING, "Cannot register the JMX bean {0}: {1}", n, e.toString());
        }
    }

    /** Unregisters this bean if {@link #register()} registered it. */
    public void unregister() {
        if (name == null) return;
        MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
        try {
            mbs.unregisterMBean(name);
        } catch (JMException e) {
            LOG.log(System.Logger.Level.DEBUG, "JMX bean {0} was already gone", name);
        }
        name = null;
    }

    private ServerStats stats() {
        return server.statistics();
    }

    @Override public String getState() { return server.state().name(); }
    @Override public long getUptimeSeconds() { return stats().uptime().toSeconds(); }
    @Override public long getAccepts() { return stats().accepts(); }
    @Override public long getRefusedConnections() { return stats().refusedConnections(); }
    @Override public long getRetiredConnections() { return stats().retiredConnections(); }
    @Override public long getTlsHandshakeFailures() { return stats().tlsHandshakeFailures(); }
    @Override public long getTlsHandshakeTimeouts() { return stats().tlsHandshakeTimeouts(); }
    @Override public long getProxyProtocolFailures() { return stats().proxyProtocolFailures(); }
    @Override public int getOpenConnections() { return stats().openConnections(); }
    @Override public long getRequests() { return stats().requests(); }
    @Override public long getBusyRefusals() { return stats().busyRefusals(); }
    @Override public long getBytesRead() { return stats().bytesRead(); }
    @Override public long getBytesWritten() { return stats().bytesWritten(); }
    @Override public long getWorkTimeMillis() { return stats().workTime().toMillis(); }
    @Override public int getQueued() { return stats().queued(); }
    @Override public int getThreads() { return stats().threads(); }
    @Override public int getBusyWorkers() { return stats().busyWorkers(); }
    @Override public long getSocketErrors() { return stats().socketErrors(); }

    @Override
    public Map<String, Long> getResponsesByStatus() {
        Map<String, Long> out = new LinkedHashMap<>();
        stats().responsesByStatus().forEach((code, n) -> out.put(Integer.toString(code), n));
        return out;
    }

    @Override
    public Map<String, Long> getLatencyBuckets() {
        ServerStats.Latency latency = stats().latency();
        Map<String, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < latency.upperBounds().size(); i++) {
            out.put(ServerStats.number(latency.upperBounds().get(i)), latency.cumulativeCount(i)); // as /metrics labels it
        }
        out.put("+Inf", latency.count());
        return out;
    }
}
