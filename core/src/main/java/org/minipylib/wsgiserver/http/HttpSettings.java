package org.minipylib.wsgiserver.http;

import org.minipylib.wsgiserver.AccessLog;

import java.util.Objects;

/**
 * Everything a connection needs to know about the server it belongs to.
 *
 * @param limits       size limits
 * @param timeouts     timeouts
 * @param serverHeader value of the {@code Server} header, or {@code null} to send none
 * @param accessLog    where to record requests, or {@code null} for no access log
 */
public record HttpSettings(HttpLimits limits, HttpTimeouts timeouts, String serverHeader, AccessLog accessLog) {

    public HttpSettings {
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(timeouts, "timeouts");
    }

    /** Default limits and timeouts, a Server header, no access log. */
    public static HttpSettings defaults() {
        return new HttpSettings(HttpLimits.defaults(), HttpTimeouts.defaults(), "wsgiserver", null);
    }
}
