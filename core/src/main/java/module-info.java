/**
 * wsgiserver: a thread-pooled HTTP/1.1 server with a WSGI-style application contract.
 * Depends on nothing but the JDK.
 */
module org.minipylib.wsgiserver {
    exports org.minipylib.wsgiserver;
    exports org.minipylib.wsgiserver.apps;
    exports org.minipylib.wsgiserver.http;
    exports org.minipylib.wsgiserver.server;
    exports org.minipylib.wsgiserver.wsgi;

    requires java.management; // the optional JMX view (ServerConfig.jmx)
}
