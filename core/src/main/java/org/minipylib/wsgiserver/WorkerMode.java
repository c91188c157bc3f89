package org.minipylib.wsgiserver;

/** Which threads serve requests. In both modes an idle keep-alive connection holds no worker. */
public enum WorkerMode {
    /** A pool of platform threads, growing from min to max threads under load, with a bounded queue. */
    POOL,
    /**
     * Virtual threads, one serving each connection that has a request (none while a plain TCP
     * connection waits idle for its next request on a readiness loop; one thread may serve several
     * connections in turn), with a bound on requests served at once.
     */
    VIRTUAL
}
