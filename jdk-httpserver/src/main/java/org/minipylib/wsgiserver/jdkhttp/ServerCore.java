package org.minipylib.wsgiserver.jdkhttp;

import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import org.minipylib.wsgiserver.ServerConfig;
import org.minipylib.wsgiserver.ServerStats;
import org.minipylib.wsgiserver.WsgiServer;
import org.minipylib.wsgiserver.tls.SslAdapter;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What {@link WsgiHttpServer} and {@link WsgiHttpsServer} share: the lifecycle of the
 * {@link WsgiServer} underneath and the contexts.
 *
 * <p>The server listens from {@link #bind} on, as the JDK's does; requests that arrive before
 * {@link #start()} wait for it (the JDK's wait in the accept queue).
 */
final class ServerCore {

    /** {@link HttpServer#stop(int)} decides how long a stop waits; the server's own limit must not cut it shorter. */
    private static final Duration LONGEST_STOP = Duration.ofSeconds(Integer.MAX_VALUE);
    /** How often {@link #stop} looks whether an exchange is still in progress. */
    private static final Duration STOP_POLL = Duration.ofMillis(10);
    /** The name of the thread that keeps the JVM up while the server serves (see {@link #start()}). */
    static final String KEEPER_THREAD = "wsgiserver-jdkhttp-keeper";

    private enum State { NEW, BOUND, STARTED, STOPPED }

    private final HttpServer owner;
    private final SslAdapter sslAdapter;
    private final Contexts contexts = new Contexts();
    private final CountDownLatch startedOrStopped = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private State state = State.NEW;
    private volatile WsgiServer server;
    private volatile boolean started;
    /** Set before start() only (then fixed); volatile: read by the request's thread, not under the lock. */
    private volatile Executor executor;
    /**
     * Requests the gateway is handling (a handler, or the server's own answer, under way); see
     * {@link #stop}. Not the busy workers: a worker lends its turn while a large write waits for the client.
     */
    private final AtomicInteger exchangesInProgress = new AtomicInteger();

    /**
     * @param owner      the server whose contexts these are
     * @param sslAdapter the TLS of an {@code HttpsServer}, or {@code null}
     */
    ServerCore(HttpServer owner, SslAdapter sslAdapter) {
        this.owner = owner;
        this.sslAdapter = sslAdapter;
    }

    /** Listens on {@code address}; a backlog of 0 or less means the server's default. */
    void bind(InetSocketAddress address, int backlog) throws IOException {
        Objects.requireNonNull(address, "null address");
        ServerConfig.Builder config = ServerConfig.builder().bind(address);
        if (backlog > 0) config.acceptBacklog(backlog);
        listen(config.build());
    }

    /** Listens on every address of {@code config}. */
    synchronized void listen(ServerConfig config) throws IOException {
        if (state != State.NEW) throw new BindException("HttpServer already bound");
        ServerConfig.Builder b = config.toBuilder().shutdownTimeout(LONGEST_STOP);
        if (sslAdapter != null) b.sslAdapter(sslAdapter);
        WsgiServer s = new WsgiServer(new ContextGateway(this), b.build());
        s.start();
        server = s;
        state = State.BOUND;
    }

    /**
     * Starts serving. A thread that is not a daemon lives from here until {@link #stop}, as the JDK's
     * dispatcher thread does: the JVM stays up after a {@code main} that starts a server and returns,
     * which is how applications of this API are written (the server's own threads are daemons).
     */
    synchronized void start() {
        if (state != State.BOUND) throw new IllegalStateException("server in wrong state: " + state);
        state = State.STARTED;
        started = true;
        startedOrStopped.countDown();
        Thread.ofPlatform().name(KEEPER_THREAD).daemon(false).start(this::awaitStopUninterruptibly);
    }

    private void awaitStopUninterruptibly() {
        while (true) {
            try {
                stopped.await();
                return;
            } catch (InterruptedException e) {
                // only stop() ends the wait
            }
        }
    }

    /**
     * Waits until the server was started or stopped.
     *
     * @return true if it was started (and may have been stopped since)
     */
    boolean awaitStart() throws InterruptedException {
        startedOrStopped.await();
        return started;
    }

    /** True once {@link #start()} or {@link #stop} ran: the server's settings are fixed then. */
    synchronized boolean startedOrStopped() {
        return state == State.STARTED || state == State.STOPPED;
    }

    synchronized void setExecutor(Executor executor) {
        if (startedOrStopped()) throw new IllegalStateException("server already started");
        this.executor = executor;
    }

    synchronized Executor getExecutor() {
        return executor;
    }

    /** The executor handlers run on, or null for the server's workers; fixed once started. */
    Executor handlerExecutor() {
        return executor;
    }

    /**
     * Stops accepting, waits up to {@code delaySeconds} for the exchanges in progress, then closes
     * every connection, as the JDK's server does: idle keep-alive connections, and connections whose
     * next request has not come whole, are not waited for (the server's own stop would wait for them:
     * it half-closes an idle connection and lets it linger up to 2 s, and waits for a partial request
     * head up to its timeout). The server's stop runs on a thread of its own, interrupted once no
     * exchange is in progress or the delay is over, which makes it close what is still open at once.
     */
    void stop(int delaySeconds) {
        if (delaySeconds < 0) throw new IllegalArgumentException("negative delay parameter");
        WsgiServer s;
        synchronized (this) {
            s = server;
            state = State.STOPPED;
        }
        startedOrStopped.countDown();
        if (s == null) {
            stopped.countDown();
            return;
        }
        Thread stopper = Thread.ofPlatform().name("jdkhttp-stop").daemon().start(s::stop);
        boolean interrupted = false;
        try {
            awaitExchanges(s, stopper, System.nanoTime() + Duration.ofSeconds(delaySeconds).toNanos());
        } catch (InterruptedException e) {
            interrupted = true;
        }
        stopper.interrupt(); // a no-op if it is done
        while (stopper.isAlive()) {
            try {
                stopper.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        stopped.countDown(); // the server's threads are done: the JVM may end now
        if (interrupted) Thread.currentThread().interrupt();
    }

    /**
     * Waits until the server's stop is done, no exchange is in progress (twice in a row, once it no
     * longer accepts), or {@code deadline} ({@link System#nanoTime()}) passed.
     */
    private void awaitExchanges(WsgiServer s, Thread stopper, long deadline) throws InterruptedException {
        int quietLooks = 0;
        while (stopper.isAlive()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return;
            stopper.join(Duration.ofNanos(Math.min(left, STOP_POLL.toNanos())));
            if (!s.isRunning() && noExchangeInProgress(s)) {
                if (++quietLooks == 2) return;
            } else {
                quietLooks = 0;
            }
        }
    }

    /** True if no handler runs, and the server writes no answer and has no request waiting for a worker. */
    private boolean noExchangeInProgress(WsgiServer s) {
        if (exchangesInProgress.get() > 0) return false;
        ServerStats stats = s.statistics();
        return stats.busyWorkers() == 0 && stats.queued() == 0;
    }

    /** The gateway began handling a request (see {@link #stop}); {@link #exchangeEnded()} must follow. */
    void exchangeBegun() {
        exchangesInProgress.incrementAndGet();
    }

    void exchangeEnded() {
        exchangesInProgress.decrementAndGet();
    }

    /** The first TCP address listened on, with the real port; {@code null} while unbound. */
    InetSocketAddress address() {
        WsgiServer s = server;
        if (s == null) return null;
        List<InetSocketAddress> addresses = s.addresses();
        return addresses.isEmpty() ? null : addresses.get(0);
    }

    /** The server underneath; {@code null} while unbound. */
    WsgiServer server() {
        return server;
    }

    HttpContext createContext(String path, HttpHandler handler) {
        ServerContext context = new ServerContext(path, handler, owner);
        contexts.add(context);
        return context;
    }

    Contexts contexts() {
        return contexts;
    }

    boolean secure() {
        return sslAdapter != null;
    }
}
