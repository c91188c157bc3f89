package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.http.HttpLimits;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.tls.SslAdapter;

import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * {@link WsgiServer.Builder} repeats every setter of {@link ServerConfig.Builder} (so an option added to the
 * config and not to the server's builder fails here), and {@link WsgiServer.Builder#config(ServerConfig)}
 * hands over every setting, which the setters called after it override one by one. Nothing is started.
 */
class ServerBuilderOffersEveryConfigOptionTest {

    private static final WsgiApp APP = (environ, startResponse) -> List.of();

    @Test
    void everyConfigSetterHasAServerBuilderMethodOfTheSameNameAndParameters() {
        List<String> missing = new ArrayList<>();
        for (Method setter : ServerConfig.Builder.class.getDeclaredMethods()) {
            // setters return the builder; build() returns the config
            if (!Modifier.isPublic(setter.getModifiers()) || Modifier.isStatic(setter.getModifiers())
                    || setter.isSynthetic() || setter.getReturnType() != ServerConfig.Builder.class) continue;
            try {
                Method delegate = WsgiServer.Builder.class.getMethod(setter.getName(), setter.getParameterTypes());
                if (delegate.getReturnType() != WsgiServer.Builder.class) missing.add(describe(setter) + " returns no WsgiServer.Builder");
            } catch (NoSuchMethodException e) {
                missing.add(describe(setter));
            }
        }
        assertEquals(List.of(), missing, "ServerConfig.Builder setters without a WsgiServer.Builder delegate");
    }

    @Test
    void configHandsOverEverySettingReplacingThoseGivenBefore() {
        ServerConfig config = everySettingChanged();
        WsgiServer server = WsgiServer.builder(APP).maxConnections(5).bind("127.0.0.3", 0).config(config).build();
        assertEquals(config, server.config());
    }

    @Test
    void settersAfterConfigOverrideSingleSettings() {
        ServerConfig config = everySettingChanged();
        ServerConfig built = WsgiServer.builder(APP).config(config).maxConnections(5).jmx(false).build().config();
        assertEquals(config.toBuilder().maxConnections(5).jmx(false).build(), built);
        assertEquals(5, built.maxConnections());
        assertEquals(config.maxThreads(), built.maxThreads());
    }

    @Test
    void aBindAfterAConfigWithoutAddressesReplacesTheDefaultAddress() {
        ServerConfig noAddress = ServerConfig.builder().maxThreads(50).build();
        assertEquals(List.of(new InetSocketAddress("127.0.0.1", 8080)), noAddress.bindAddresses());
        ServerConfig built = WsgiServer.builder(APP).config(noAddress).bind("127.0.0.1", 0).build().config();
        assertEquals(List.of(new InetSocketAddress("127.0.0.1", 0)), built.bindAddresses());
        assertEquals(List.of(new InetSocketAddress("127.0.0.1", 0)), noAddress.toBuilder().bind("127.0.0.1", 0).build().bindAddresses());
        assertEquals(noAddress, noAddress.toBuilder().build(), "without a bind, the copy listens where the original does");

        ServerConfig explicit = ServerConfig.builder().bind("127.0.0.1", 8080).build(); // the same address, asked for
        assertEquals(List.of(new InetSocketAddress("127.0.0.1", 8080), new InetSocketAddress("127.0.0.1", 0)),
                explicit.toBuilder().bind("127.0.0.1", 0).build().bindAddresses());
    }

    /** A config none of whose settings is the default, so that a setting {@code config(..)} dropped would show. */
    private static ServerConfig everySettingChanged() {
        SslAdapter ssl = (transport, deadlineNanos) -> transport;
        AccessLog log = entry -> { };
        ServerConfig config = ServerConfig.builder()
                .bind("127.0.0.1", 0).bind("127.0.0.2", 0)
                .serverName("www.example.test").workerMode(WorkerMode.POOL).minThreads(3).maxThreads(7)
                .threadIdleTimeout(Duration.ofSeconds(5)).acceptQueueSize(9).maxConnections(11)
                .maxStalledWriteMemory(1 << 20).acceptBacklog(13)
                .limits(HttpLimits.defaults().withMaxHeaderCount(17)).timeouts(HttpTimeouts.all(Duration.ofSeconds(3)))
                .shutdownTimeout(Duration.ofSeconds(2)).drainDelay(Duration.ofSeconds(1)).accessLog(log)
                .serverHeader("test").sslAdapter(ssl).listenOptions(ListenOptions.defaults().withReusePort(true))
                .jmx(true).readinessLoops(2).directSocketCalls(false).maxRequestsPerConnection(19)
                .maxConnectionAge(Duration.ofSeconds(60))
                .build();
        ServerConfig defaults = ServerConfig.builder().build();
        for (RecordComponent c : ServerConfig.class.getRecordComponents()) {
            assertNotEquals(value(c, defaults), value(c, config), c.getName() + " is the default: change it here");
        }
        return config;
    }

    private static Object value(RecordComponent component, ServerConfig config) {
        try {
            return component.getAccessor().invoke(config);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static String describe(Method m) {
        return m.getName() + Arrays.stream(m.getParameterTypes()).map(Class::getSimpleName).toList();
    }
}
