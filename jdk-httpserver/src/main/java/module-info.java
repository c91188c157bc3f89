/**
 * Runs applications written against the JDK's {@code com.sun.net.httpserver} API on wsgiserver: an
 * {@link com.sun.net.httpserver.spi.HttpServerProvider} that {@code HttpServer.create()} finds
 * through the service loader. Depends on nothing but wsgiserver and the JDK.
 */
module org.minipylib.wsgiserver.jdkhttp {
    requires transitive org.minipylib.wsgiserver;
    requires transitive jdk.httpserver;

    exports org.minipylib.wsgiserver.jdkhttp;

    provides com.sun.net.httpserver.spi.HttpServerProvider
            with org.minipylib.wsgiserver.jdkhttp.WsgiHttpServerProvider;
}
