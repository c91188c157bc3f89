package org.minipylib.wsgiserver.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import org.minipylib.wsgiserver.InheritedSocketAddress;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;

/**
 * Reads a {@code --bind} value: {@code HOST:PORT}, with an IPv6 address in brackets
 * ({@code [::1]:8080}). HOST is a name or an address literal ({@code 0.0.0.0} and {@code [::]} mean
 * every interface); PORT is 0 to 65535, 0 meaning any free port. Names are resolved at once.
 * {@code unix:PATH} is a UNIX domain socket; {@code fd:0} (or {@code fd://0}) the listening socket
 * inherited on standard input (systemd socket activation with {@code StandardInput=socket}).
 */
final class BindAddressConverter implements ITypeConverter<SocketAddress> {

    @Override
    public SocketAddress convert(String value) {
        if (value.startsWith("unix:")) {
            String path = value.substring("unix:".length());
            if (path.isEmpty()) throw new TypeConversionException("'" + value + "': unix: needs a path, like unix:/run/app.sock");
            return UnixDomainSocketAddress.of(path);
        }
        if (value.startsWith("fd:")) {
            String fd = value.startsWith("fd://") ? value.substring(5) : value.substring(3);
            if (!fd.equals("0")) {
                throw new TypeConversionException("'" + value + "': only fd:0 (standard input) is supported;"
                        + " for systemd's descriptor 3, start with /bin/sh -c 'exec java ... --bind fd:0 0<&3 3<&-'"
                        + " or set StandardInput=socket in the service unit");
            }
            return InheritedSocketAddress.INSTANCE;
        }
        return parse(value);
    }

    /**
     * The address {@code value} names.
     *
     * @throws TypeConversionException if it is not {@code HOST:PORT} or HOST cannot be resolved
     */
    static InetSocketAddress parse(String value) {
        String host;
        String port;
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0 || !value.startsWith(":", close + 1)) throw invalid(value);
            host = value.substring(1, close);
            port = value.substring(close + 2);
        } else {
            int colon = value.lastIndexOf(':');
            if (colon < 0) throw invalid(value);
            host = value.substring(0, colon);
            port = value.substring(colon + 1);
            if (host.indexOf(':') >= 0) {
                throw new TypeConversionException("'" + value + "': put an IPv6 address in brackets, like [::1]:8080");
            }
        }
        if (host.isEmpty()) throw invalid(value);
        InetSocketAddress address = new InetSocketAddress(host, portNumber(value, port));
        if (address.isUnresolved()) throw new TypeConversionException("'" + value + "': unknown host " + host);
        return address;
    }

    private static int portNumber(String value, String port) {
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw invalid(value);
        }
        int n = Integer.parseInt(port);
        if (n > 65535) throw new TypeConversionException("'" + value + "': the port must be 0 to 65535");
        return n;
    }

    private static TypeConversionException invalid(String value) {
        return new TypeConversionException("'" + value + "' is not HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080, 0.0.0.0:80)"
                + " or unix:PATH or fd:0");
    }

    /** {@code --proxy-protocol}'s values: bind addresses, or {@link #EVERY_LISTENER} (the option without a value). */
    static final class ProxyProtocolListeners implements ITypeConverter<SocketAddress> {

        /** What {@code --proxy-protocol} without a value stands for (picocli's fallback value): every listener. */
        static final String EVERY_LISTENER = "*";
        /** {@link #EVERY_LISTENER} converted: no address, a marker. */
        static final SocketAddress EVERY = InetSocketAddress.createUnresolved("*", 0);

        @Override
        public SocketAddress convert(String value) {
            return value.equals(EVERY_LISTENER) ? EVERY : new BindAddressConverter().convert(value);
        }
    }
}
