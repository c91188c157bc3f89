package org.minipylib.wsgiserver.cli;

import org.minipylib.wsgiserver.ServerConfig;
import org.minipylib.wsgiserver.http.HttpLimits;
import org.minipylib.wsgiserver.http.HttpTimeouts;
import org.minipylib.wsgiserver.tls.TlsConfig;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The end of {@code --help}: the defaults that apply to options not given. They are read from the
 * library ({@link ServerConfig.Builder}), which is their only source.
 */
final class DefaultsFooter {

    private DefaultsFooter() {
    }

    /** The footer lines for {@code defaults}, the configuration of a builder given nothing. */
    static String[] lines(ServerConfig defaults) {
        HttpTimeouts timeouts = defaults.timeouts();
        HttpLimits limits = defaults.limits();
        return new String[] {
            "",
            "Defaults: --bind " + addresses(defaults.bindAddresses())
                    + ", --workers " + defaults.workerMode().name().toLowerCase(Locale.ROOT)
                    + ", --threads " + defaults.minThreads() + ",",
            "  --max-threads " + defaults.maxThreads() + ", --backlog " + defaults.acceptBacklog()
                    + ", --shutdown-timeout " + seconds(defaults.shutdownTimeout())
                    + ", --drain-delay " + seconds(defaults.drainDelay()) + ";",
            "  --max-connections " + defaults.maxConnections() + ", --accept-queue " + defaults.acceptQueueSize()
                    + ", --thread-idle-timeout " + seconds(defaults.threadIdleTimeout()) + ";",
            "  --max-requests-per-connection " + defaults.maxRequestsPerConnection()
                    + ", --max-connection-age " + seconds(defaults.maxConnectionAge()) + " (0: no limit);",
            "  request limits: --max-request-line " + bytes(limits.maxRequestLineLength())
                    + ", --max-header-size " + bytes(limits.maxHeaderSectionSize()) + ",",
            "  --max-headers " + limits.maxHeaderCount() + ", --max-body-size " + bytes(limits.maxBodySize())
                    + ", --max-drain-size " + bytes(limits.maxDrainSize()) + ",",
            "  --max-chunk-extension " + bytes(limits.maxChunkExtensionLength())
                    + ", --max-pipelined-requests " + limits.maxPipelinedRequestsPerTurn() + ",",
            "  --max-head-memory " + bytes(limits.maxHeadMemory()) + " and",
            "  --max-stalled-write-memory " + bytes(defaults.maxStalledWriteMemory()) + " (each a quarter of the heap),",
            "  --ssl-max-handshakes " + TlsConfig.DEFAULT_MAX_HANDSHAKES + " (64 KiB each in a quarter of the heap);",
            "  client timeouts in seconds: --request-head-timeout " + seconds(timeouts.requestHead()) + ",",
            "  --body-read-timeout " + seconds(timeouts.bodyRead()) + ", --write-timeout " + seconds(timeouts.write())
                    + ", --keep-alive-timeout " + seconds(timeouts.keepAlive()) + ",",
            "  --handshake-timeout " + seconds(timeouts.handshake()) + ", --drain-timeout " + seconds(timeouts.drain())
                    + ", --min-body-rate " + MinDataRateConverter.format(timeouts.minBodyRate()),
            "  (bytes per second/grace seconds).",
            "Stop with Ctrl-C, SIGTERM or SIGHUP: after the drain delay, in-flight requests",
            "may finish, up to the shutdown timeout; a second signal cuts the wait short.",
            "SIGUSR1 reopens the --access-log file (log rotation).",
            "",
            "To serve your own application, put its jar on the class path:",
            "  java -cp wsgiserver.jar:myapp.jar \\",
            "      " + Main.CLASS_NAME + " com.example.MyApp"
        };
    }

    private static String addresses(List<SocketAddress> addresses) {
        return addresses.stream().map(a -> a instanceof InetSocketAddress inet ? inet.getHostString() + ":" + inet.getPort()
                : String.valueOf(a)).collect(Collectors.joining(" --bind "));
    }

    private static String seconds(Duration d) {
        return SecondsConverter.format(d);
    }

    private static String bytes(long n) {
        return ByteSizeConverter.format(n);
    }
}
