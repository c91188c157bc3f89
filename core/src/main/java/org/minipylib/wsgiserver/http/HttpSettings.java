package org.minipylib.wsgiserver.http;

import org.minipylib.wsgiserver.AccessLog;

import java.time.Duration;
import java.util.Objects;

/**
 * Everything a connection needs to know about the server it belongs to.
 *
 * @param limits                   size limits
 * @param timeouts                 timeouts
 * @param serverHeader             value of the {@code Server} header, or {@code null} to send none
 * @param accessLog                where to record requests, or {@code null} for no access log
 * @param maxRequestsPerConnection the most requests one connection serves, the last one's response saying
 *                                 {@code Connection: close}; 0: no limit
 * @param maxConnectionAge         how long one connection is reused: the first response to begin after this
 *                                 (less up to a tenth, per connection) says {@code Connection: close}; zero: no limit
 */
public record HttpSettings(HttpLimits limits, HttpTimeouts timeouts, String serverHeader, AccessLog accessLog,
                           int maxRequestsPerConnection, Duration maxConnectionAge) {

    public HttpSettings {
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(timeouts, "timeouts");
        Objects.requireNonNull(maxConnectionAge, "maxConnectionAge");
        if (maxRequestsPerConnection < 0) throw new IllegalArgumentException("maxRequestsPerConnection must be >= 0");
        if (maxConnectionAge.isNegative()) throw new IllegalArgumentException("maxConnectionAge must be >= 0");
    }

    /** Settings that reuse a connection for as many requests and as long as its client likes. */
    public HttpSettings(HttpLimits limits, HttpTimeouts timeouts, String serverHeader, AccessLog accessLog) {
        this(limits, timeouts, serverHeader, accessLog, 0, Duration.ZERO);
    }

    /** Default limits and timeouts, a Server header, no access log. */
    public static HttpSettings defaults() {
        return new HttpSettings(HttpLimits.defaults(), HttpTimeouts.defaults(), "wsgiserver", null);
    }
}
