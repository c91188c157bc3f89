/**
 * Sockets, threads and time, behind {@code WsgiServer} (not exported): {@code Listener} accepts
 * connections and hands them to a {@code ConnectionScheduler} ({@code VirtualThreadScheduler} or
 * {@code PooledScheduler} over a {@code WorkerPool}); {@code SocketTransport} and
 * {@code UnixSocketTransport} are the transports; {@code ReadinessLoop} holds idle connections with
 * no thread; {@code ConnectionRegistry} knows every open connection, and {@code Watchdog} enforces
 * the timeouts no read in progress can; {@code DirectSocketCalls} calls {@code recv}/{@code send}
 * through the foreign function API where it may.
 */
package org.minipylib.wsgiserver.server;
