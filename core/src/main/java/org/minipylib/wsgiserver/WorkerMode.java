package org.minipylib.wsgiserver;

/** Which threads serve requests. In both modes an idle keep-alive connection holds no worker. */
public enum WorkerMode {
    /** A pool of platform threads, growing from min to max threads under load, with a bounded queue. */
    POOL,
    /**
     * A virtual thread per connection (none while a plain TCP connection waits idle for its next
     * request on a readiness loop), with a bound on requests served at once.
     */
    VIRTUAL
}
