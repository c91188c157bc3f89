/**
 * Ready-made applications and middleware: {@code PathInfoDispatcher} (mounts applications by path
 * prefix), {@code StaticFilesApp}, {@code GzipApp}, {@code ForwardedHeadersApp} (client addresses
 * from trusted proxies), and the monitoring applications {@code HealthApp}, {@code MetricsApp}
 * (Prometheus text) and {@code StatusPage}. The other classes here are their parts.
 */
package org.minipylib.wsgiserver.apps;
