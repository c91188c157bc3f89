package org.minipylib.wsgiserver.cli;

import org.minipylib.wsgiserver.ServerConfig;
import org.minipylib.wsgiserver.http.HttpTimeouts;

import java.math.BigDecimal;
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
        return new String[] {
            "",
            "Defaults: --bind " + addresses(defaults.bindAddresses())
                    + ", --workers " + defaults.workerMode().name().toLowerCase(Locale.ROOT)
                    + ", --threads " + defaults.minThreads() + ",",
            "  --max-threads " + defaults.maxThreads() + ", --backlog " + defaults.acceptBacklog()
                    + ", --shutdown-timeout " + seconds(defaults.shutdownTimeout())
                    + ", --drain-delay " + seconds(defaults.drainDelay()) + ";",
            "  client timeouts in seconds: request head " + seconds(timeouts.requestHead())
                    + ", body read " + seconds(timeouts.bodyRead()) + ",",
            "  write " + seconds(timeouts.write()) + ", keep-alive idle " + seconds(timeouts.keepAlive())
                    + ", handshake " + seconds(timeouts.handshake()) + ".",
            "Stop with Ctrl-C or SIGTERM: after the drain delay, in-flight requests may",
            "finish, up to the shutdown timeout.",
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

    /** {@code 10} for ten seconds, {@code 0.25} for a quarter of one. */
    private static String seconds(Duration d) {
        return BigDecimal.valueOf(d.toNanos(), 9).stripTrailingZeros().toPlainString();
    }
}
