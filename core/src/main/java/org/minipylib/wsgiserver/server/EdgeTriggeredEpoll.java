package org.minipylib.wsgiserver.server;

/**
 * One edge-triggered {@code epoll} instance of the C library (Linux, Java 22 or later, native
 * access: as {@link DirectSocketCalls}), and what an {@link EdgeTriggeredLoop} needs to sleep on it
 * without blocking a virtual thread's carrier: a second, outer instance holding the first (one-shot),
 * that a platform thread blocks on, and an {@code eventfd} that wakes that thread for good.
 *
 * <p>Edge-triggered, a socket is reported once per arrival of bytes (or space to write, or an
 * error) rather than on every poll while it has some: a poll looks at each ready socket once, and
 * nothing needs changing between reads. Who reads must then read until the socket is empty before
 * waiting again: see {@link EdgeWait}.
 */
interface EdgeTriggeredEpoll {

    /** {@link #ready(int)}'s bit for a socket with bytes to read, the end of its stream, or an error. */
    int READABLE = 1;

    /** {@link #ready(int)}'s bit for a socket with room to write, or an error. */
    int WRITABLE = 2;

    /**
     * {@link #ready(int)}'s bit, with {@link #READABLE}, for a socket whose peer closed its side
     * (or that failed): unlike bytes, that stays readable for good, and is not reported again.
     */
    int PEER_CLOSED = 4;

    /**
     * Adds a socket, for reads and writes, edge-triggered, with {@code token} as what a poll reports
     * it by; any thread. Closing the descriptor (and every duplicate of it) removes it.
     *
     * @return false if the kernel refused (out of memory, or the user's limit on watched descriptors)
     */
    boolean add(int fd, long token);

    /** Polls without waiting; the loop's thread only. Returns how many sockets are ready (then see {@link #token} and {@link #ready}). */
    int poll();

    /** The token of the {@code i}-th socket the last poll found ready. */
    long token(int i);

    /** {@link #READABLE}, {@link #WRITABLE} and {@link #PEER_CLOSED} bits of the {@code i}-th socket the last poll found ready. */
    int ready(int i);

    /**
     * The loop's thread, before it parks: has the next {@link #sleep()} return once a poll would
     * find a socket ready (at once if one would now).
     *
     * @return false if the kernel refused
     */
    boolean armSleep();

    /**
     * The sleeping thread: blocks until a poll would find a socket ready after {@link #armSleep()},
     * or {@link #wakeSleeper()} was called.
     *
     * @return true once {@link #wakeSleeper()} was called
     */
    boolean sleep();

    /** Has the current and every later {@link #sleep()} return true at once (the loop is stopping). */
    void wakeSleeper();

    /** Closes the descriptors; once no other method runs or will (after {@link #sleep()} returned true). */
    void close();

    /** A new instance, if this JVM can make the calls (see {@link DirectSocketCalls#available()}); else null. */
    static EdgeTriggeredEpoll open() {
        if (DirectSocketCalls.available() == null) return null; // same requirements, checked once
        try {
            return (EdgeTriggeredEpoll) Class.forName("org.minipylib.wsgiserver.server.LibcEpoll")
                    .getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }
}
