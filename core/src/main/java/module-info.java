/**
 * wsgiserver: a thread-pooled HTTP/1.1 server with a WSGI-style application contract.
 * Depends on nothing but the JDK.
 */
module org.minipylib.wsgiserver {
    requires java.naming; // LdapName splits certificate names into their parts for the TLS environ
    requires jdk.net; // SO_PEERCRED of UNIX domain sockets

    exports org.minipylib.wsgiserver;
    exports org.minipylib.wsgiserver.apps;
    exports org.minipylib.wsgiserver.http;
    exports org.minipylib.wsgiserver.tls;
    // not exported: proxy (the PROXY protocol), server (sockets, threads, scheduling) and wsgi (the
    // gateway behind WsgiServer), the machinery behind the API; its tests run on the class path

    requires java.management; // the optional JMX view (ServerConfig.jmx)
}
